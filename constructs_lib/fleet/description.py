"""FleetDescription: the patch groups of an organisation and where they go, as Python or as a YAML/JSON file.

One description drives both deployment shapes (``define_fleet_stages`` for CDK stages and pipelines,
``FleetStackSets`` for service-managed StackSets). Environments are listed in rollout order: each is
one wave (dev before prod), and its ``overrides`` replace the fleet's and the groups' settings there.

A file is checked field by field, and every wrong field is reported at once with the file, its path
in the file, the value and what is allowed (``FleetFileError``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

try:
    import yaml
    from pydantic import (
        AfterValidator,
        BaseModel,
        BeforeValidator,
        ConfigDict,
        Discriminator,
        Field,
        Tag,
        ValidationError,
        model_validator,
    )
except ImportError as missing:  # pragma: no cover - exercised by an install without the extra
    raise ImportError(
        f"fleet descriptions need pydantic and PyYAML ({missing.name} is missing): pip install 'constructs-lib[fleet]'"
    ) from missing

from .._internal import defaults
from .._internal.rules import (
    ACCOUNT_PATTERN,
    ACCOUNT_RULE,
    APPROVE_AFTER_DAYS_RANGE,
    AUTO_SCALING_GROUP_NAME_PATTERN,
    AUTO_SCALING_GROUP_NAME_RULE,
    BUCKET_NAME_PATTERN,
    BUCKET_NAME_RULE,
    COMMAND_PATTERN,
    COMMAND_RULE,
    CUTOFF_HOURS_RANGE,
    DURATION_HOURS_RANGE,
    HEALTH_URL_PATTERN,
    HEALTH_URL_RULE,
    KMS_KEY_ARN_PATTERN,
    KMS_KEY_ARN_RULE,
    MAX_PATCH_FILTERS,
    PATCH_STEP_RANGE,
    REGION_PATTERN,
    REGION_RULE,
    RESERVED_DOCUMENT_PREFIXES,
    RUNBOOK_WAIT_RANGE,
    S3_PREFIX_PATTERN,
    S3_PREFIX_RULE,
    SCHEDULE_OFFSET_RANGE,
    SERVICE_NAME_PATTERN,
    SERVICE_NAME_RULE,
    START_TIMEOUT_RANGE,
    STOP_TIMEOUT_RANGE,
    TARGET_GROUP_NAME_PATTERN,
    TARGET_GROUP_NAME_RULE,
    UPDATE_TIMEOUT_RANGE,
    WINDOWS_COMMAND_PATTERN,
    WINDOWS_COMMAND_RULE,
    check_count,
    check_cutoff_before_duration,
    check_filter_keys,
    check_filter_values,
    check_hooks_platforms,
    check_max_concurrency,
    check_max_errors,
    check_needs,
    check_offset_with_cron,
    check_one_health_check,
    check_program_word,
    check_runbook_fits,
    check_tag_charset,
    check_time_zone,
    check_unique,
    check_windows_service_name,
    hook_platforms_for,
    nearest_of,
    runbook_worst_seconds,
    values_per_platform,
)
from .._internal.schedule_expressions import parse_expression
from .._internal.schedule_occurrences import Opening, brake_too_late
from .._internal.vocabulary import ComplianceLevel, HookPlatform, OperatingSystem, PatchFilterKey, RebootOption

# A fleet file is a few kilobytes; a limit keeps a hostile one from exhausting memory.
MAX_FLEET_FILE_BYTES = 1024 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: ``*name`` could expand a few hundred bytes into gigabytes (an
    alias bomb), and a fleet file repeats settings with ``defaults`` and ``overrides`` instead."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; use defaults and overrides", event.start_mark
            )
        return super().compose_node(parent, index)


class FleetFileError(ValueError):
    """A fleet description that can't be used: one line per wrong field, all reported together."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} wrong field{'' if len(problems) == 1 else 's'}"
        super().__init__(f"{source}: {count}\n" + "\n".join(f"  {problem}" for problem in problems))


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A string check that says what is allowed in words rather than as a regular expression."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"must be {rule}")
        return value

    return AfterValidator(check)


def _within(allowed: tuple[int, int]) -> Any:
    """A field bound to a (lowest, highest) range of the rule book."""
    return Field(ge=allowed[0], le=allowed[1])


def _not_a_number(value: Any) -> Any:
    # YAML reads 012345678901 as a number and drops the leading zero: account ids must be quoted.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("must be a quoted string of 12 digits (unquoted, YAML reads a number and drops leading zeros)")
    return value


def _count_as_text(value: Any) -> Any:
    # max_concurrency: 5 and max_errors: 1 read as numbers in YAML; SSM takes them as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _schedule(expression: str) -> str:
    normalized, _ = parse_expression(expression)
    return normalized


def _time_zone(name: str) -> str:
    check_time_zone(name)
    return name


def _max_concurrency(value: str) -> str:
    check_max_concurrency(value)
    return value


def _max_errors(value: str) -> str:
    check_max_errors(value)
    return value


def _patch_group(value: str) -> str:
    check_tag_charset("patch_group", value)
    return value


def _not_reserved(name: str) -> str:
    # Every document the fleet names starts with the fleet's name, and SSM keeps these prefixes for AWS's own.
    if name.lower().startswith(RESERVED_DOCUMENT_PREFIXES):
        raise ValueError("must not start with aws, amazon or amzn (SSM keeps them for AWS's own documents)")
    return name


Name = Annotated[
    str,
    _matching(r"^[A-Za-z][A-Za-z0-9-]{1,19}$", "2 to 20 letters, digits and hyphens, first a letter"),
    AfterValidator(_not_reserved),
]
EnvironmentName = Annotated[str, _matching(r"^[a-z][a-z0-9]{1,11}$", "2 to 12 lower-case letters and digits")]
GroupName = Annotated[
    str, _matching(r"^[A-Za-z][A-Za-z0-9-]{1,39}$", "2 to 40 letters, digits and hyphens, first a letter")
]
AccountId = Annotated[str, BeforeValidator(_not_a_number), _matching(ACCOUNT_PATTERN, ACCOUNT_RULE)]
OrganizationalUnitId = Annotated[
    str, _matching(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$", "an OU id (ou-xxxx-xxxxxxxx) or root id")
]
Region = Annotated[str, _matching(REGION_PATTERN, REGION_RULE)]
ServiceName = Annotated[str, _matching(SERVICE_NAME_PATTERN, SERVICE_NAME_RULE)]


def _program_first(command: str) -> str:
    check_program_word("the command", command)
    return command


Command = Annotated[str, _matching(COMMAND_PATTERN, COMMAND_RULE), AfterValidator(_program_first)]
WindowsCommand = Annotated[
    str, _matching(WINDOWS_COMMAND_PATTERN, WINDOWS_COMMAND_RULE), AfterValidator(_program_first)
]
HealthUrl = Annotated[str, _matching(HEALTH_URL_PATTERN, HEALTH_URL_RULE)]
Port = Annotated[int, Field(ge=1, le=65535)]
FilterValues = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=20)]


class _Model(BaseModel):
    # Unknown keys are errors (a typo would otherwise be ignored silently); descriptions are immutable.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, use_enum_values=False)


class GroupSettings(_Model):
    """Settings a group takes from the fleet's ``defaults``, its own fields and its environment's ``overrides``.

    Unset fields (None) take the value from the level before; what no level sets takes the default below.

    Args:
        schedule: a cron(...), rate(...) or at(...) expression. Default: cron(0 3 ? * SUN *).
        schedule_timezone: IANA time zone of the schedule. Default: UTC.
        schedule_offset: days after the cron date, 1 to 6, e.g. to run prod a few days after dev. Default: none.
        duration_hours: how long the window stays open, 1 to 24. Default: 3.
        cutoff_hours: how long before the end no task starts, 0 to 23 and below duration_hours. Default: 1.
        approve_after_days: days after release a patch is approved, 0 to 360. Default: 7.
        compliance_level: severity reported for a missing approved patch. Default: UNSPECIFIED.
        reboot_option: RebootIfNeeded or NoReboot. Default: RebootIfNeeded.
        max_concurrency: instances patched at once, a count or percentage. Default: 10%.
        max_errors: errors before the run stops, a count or percentage. Default: 1.
    """

    schedule: Annotated[str, AfterValidator(_schedule)] | None = None
    schedule_timezone: Annotated[str, AfterValidator(_time_zone)] | None = None
    schedule_offset: Annotated[int, _within(SCHEDULE_OFFSET_RANGE)] | None = None
    duration_hours: Annotated[int, _within(DURATION_HOURS_RANGE)] | None = None
    cutoff_hours: Annotated[int, _within(CUTOFF_HOURS_RANGE)] | None = None
    approve_after_days: Annotated[int, _within(APPROVE_AFTER_DAYS_RANGE)] | None = None
    compliance_level: ComplianceLevel | None = None
    reboot_option: RebootOption | None = None
    max_concurrency: Annotated[str, BeforeValidator(_count_as_text), AfterValidator(_max_concurrency)] | None = None
    max_errors: Annotated[str, BeforeValidator(_count_as_text), AfterValidator(_max_errors)] | None = None


@dataclass(frozen=True)
class ResolvedSettings:
    """A group's settings in one environment, every level applied (see GroupSettings for the meaning)."""

    schedule: str
    schedule_timezone: str | None
    schedule_offset: int | None
    duration_hours: int
    cutoff_hours: int
    approve_after_days: int
    compliance_level: ComplianceLevel
    reboot_option: RebootOption
    max_concurrency: str
    max_errors: str


_SETTING_DEFAULTS: dict[str, Any] = {
    "schedule_timezone": None,
    "schedule_offset": None,
    "schedule": defaults.SCHEDULE,
    "duration_hours": defaults.DURATION_HOURS,
    "cutoff_hours": defaults.CUTOFF_HOURS,
    "approve_after_days": defaults.APPROVE_AFTER_DAYS,
    "compliance_level": defaults.COMPLIANCE_LEVEL,
    "reboot_option": defaults.REBOOT_OPTION,
    "max_concurrency": defaults.MAX_CONCURRENCY,
    "max_errors": defaults.MAX_ERRORS,
}
_SETTING_FIELDS = tuple(GroupSettings.model_fields)


class PlatformNames(_Model):
    """A service name per platform, where Linux and Windows call the app differently.

    Args:
        linux: the systemd unit. Default: none (required when the group has Linux).
        windows: the Windows service. Default: none (required when the group has Windows).
    """

    linux: ServiceName | None = None
    windows: ServiceName | None = None


class PlatformCommands(_Model):
    """A command per platform (a mixed group's commands must be given this way).

    Args:
        linux: the command on Linux. Default: none, nothing runs there.
        windows: the command on Windows (backslashes allowed). Default: none, nothing runs there.
    """

    linux: Command | None = None
    windows: WindowsCommand | None = None


# A hook value given once or per platform: a mapping is checked as per platform, anything else as text, so
# a wrong value gets one message, not one per form.
_PER_PLATFORM_TAGS = ("text", "per_platform")


def _text_or_per_platform(value: Any) -> str:
    return "per_platform" if isinstance(value, (dict, PlatformNames, PlatformCommands)) else "text"


ServiceNames = Annotated[
    Annotated[ServiceName, Tag("text")] | Annotated[PlatformNames, Tag("per_platform")],
    Discriminator(_text_or_per_platform),
]
Commands = Annotated[
    Annotated[Command, Tag("text")] | Annotated[PlatformCommands, Tag("per_platform")],
    Discriminator(_text_or_per_platform),
]


class HookSpec(_Model):
    """The app the hooks stop before patching, update after it and start and verify on exit.

    A mixed group (Linux and Windows) gives its commands per platform (``{linux: ..., windows: ...}``);
    names may be shared or per platform.

    Args:
        service: the systemd unit or Windows service, or ``{linux: ..., windows: ...}``.
        port: the app's localhost TCP port: it must close before the app counts as stopped, and be free
            before the app starts. Default: none.
        drain_command: one program and its arguments, run without a shell before stopping. Default: none.
        stop_timeout_seconds: how long to wait for the app to stop, 1 to 3600. Default: 60.
        escalate_to_kill: kill the app when it does not stop in time. Default: False, the hook fails.
        update_command: one program and its arguments that update the app. Default: none, nothing is updated.
        verify_command: one program and its arguments that prove the update worked. Default: none.
        update_timeout_seconds: limit for update_command, 1 to 7200. Default: 600.
        health_url: an http(s) URL on a loopback address answering 200 when the app is healthy.
            Default: none; then health_port.
        health_port: a localhost TCP port accepting connections when healthy. Default: none; then health_url.
        start_timeout_seconds: how long to wait for health after start, 3 to 3600 (checks back off to every 2 s).
            Default: 120.
    """

    service: ServiceNames
    port: Port | None = None
    drain_command: Commands | None = None
    stop_timeout_seconds: Annotated[int, _within(STOP_TIMEOUT_RANGE)] = defaults.STOP_TIMEOUT_SECONDS
    escalate_to_kill: bool = False
    update_command: Commands | None = None
    verify_command: Commands | None = None
    update_timeout_seconds: Annotated[int, _within(UPDATE_TIMEOUT_RANGE)] = defaults.UPDATE_TIMEOUT_SECONDS
    health_url: HealthUrl | None = None
    health_port: Port | None = None
    # Above the fleet's fixed health interval: the start hook's timeout must outlast one interval.
    start_timeout_seconds: Annotated[int, Field(ge=defaults.HEALTH_INTERVAL_SECONDS + 1, le=START_TIMEOUT_RANGE[1])] = (
        defaults.START_TIMEOUT_SECONDS
    )

    @model_validator(mode="after")
    def _one_health_check(self) -> Self:
        check_one_health_check(self.health_url, self.health_port)
        given = "update_timeout_seconds" in self.model_fields_set
        check_needs("update_timeout_seconds", given, "update_command", self.update_command is not None)
        return self


TargetGroupName = Annotated[str, _matching(TARGET_GROUP_NAME_PATTERN, TARGET_GROUP_NAME_RULE)]
AutoScalingGroupName = Annotated[str, _matching(AUTO_SCALING_GROUP_NAME_PATTERN, AUTO_SCALING_GROUP_NAME_RULE)]
# Strict: true would otherwise read as 1 second, and "no" as False.
WaitSeconds = Annotated[int, Field(strict=True), _within(RUNBOOK_WAIT_RANGE)]


class LoadBalancerSpec(_Model):
    """The ELBv2 target groups a group's instances are drained from for their patch (TargetGroupDrain).

    Target groups are given by name: the same template deploys in every account and region, and the runbook
    looks each name up where it runs.

    Args:
        target_groups: 1 to 5 target group names, of target type instance.
        drain_timeout_seconds: how long to wait until an instance is drained from each group, 30 to 7200;
            at least the groups' deregistration delay. Default: 360.
        health_timeout_seconds: how long to wait until it is healthy again in each group, 30 to 7200.
            Default: 600.
    """

    target_groups: Annotated[list[TargetGroupName], Field(min_length=1, max_length=5)]
    drain_timeout_seconds: WaitSeconds = defaults.DRAIN_WAIT_SECONDS
    health_timeout_seconds: WaitSeconds = defaults.HEALTHY_WAIT_SECONDS

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        check_unique("target_groups", self.target_groups)
        return self


class AutoScalingSpec(_Model):
    """The Auto Scaling groups whose instances go to standby for their patch (AutoScalingStandby).

    Args:
        groups: 1 to 10 Auto Scaling group names; an instance in none of them is not touched and fails.
        decrement_desired_capacity: lower the desired capacity during standby (no replacement launched).
            Default: true.
        timeout_seconds: how long to wait for Standby, and for InService again, 30 to 7200. Default: 600.
    """

    groups: Annotated[list[AutoScalingGroupName], Field(min_length=1, max_length=10)]
    decrement_desired_capacity: Annotated[bool, Field(strict=True)] = True
    timeout_seconds: WaitSeconds = defaults.STANDBY_WAIT_SECONDS

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        check_unique("groups", self.groups)
        return self


class PatchGroupSpec(GroupSettings):
    """One patch group: its instances (tagged ``PatchGroup=<patch_group>``), OSes, hooks and settings.

    Args:
        name: the group's name in resource names, 2 to 40 letters, digits and hyphens.
        patch_group: the PatchGroup tag value of its instances. Default: name.
        operating_systems: one baseline each, registered to the patch group.
        baseline_filters: per OS, the patch filters ({key: [1 to 20 values]}) a patch must match to be
            approved. Default: none, every patch is approved after approve_after_days.
        hooks: the app to stop, update and start. Default: no hooks (AWS-Noop).
        load_balancer: drain each instance from these target groups for its patch and put it back once
            healthy; the group's patch then runs as a per-instance Automation runbook. Default: none.
        auto_scaling: put each instance in standby in its Auto Scaling group for its patch (also runs the
            runbook). Default: none.
        patch_timeout_seconds: with the runbook, how long the hooked patch may take on one instance, reboot
            included, 600 to 86400. Default: 7200.
        overrides: settings for this group in named environments only, applied last, e.g.
            ``{prod: {max_concurrency: "5%"}}``. Default: none.
        Every GroupSettings field may be set here too.
    """

    name: GroupName
    patch_group: Annotated[str, AfterValidator(_patch_group), Field(min_length=1, max_length=256)] | None = None
    operating_systems: Annotated[list[OperatingSystem], Field(min_length=1)]
    # At most 4 filters a rule (API model PatchFilterList); Windows has 5 keys, so the count is checked below.
    baseline_filters: dict[OperatingSystem, dict[PatchFilterKey, FilterValues]] = {}
    hooks: HookSpec | None = None
    load_balancer: LoadBalancerSpec | None = None
    auto_scaling: AutoScalingSpec | None = None
    patch_timeout_seconds: Annotated[int, Field(strict=True), _within(PATCH_STEP_RANGE)] | None = None
    overrides: dict[str, GroupSettings] = {}

    @property
    def tag_value(self) -> str:
        """The PatchGroup tag value of the group's instances."""
        return self.patch_group or self.name

    @property
    def has_runbook(self) -> bool:
        """True when the group's patch runs as the per-instance runbook (off-instance steps around it)."""
        return self.load_balancer is not None or self.auto_scaling is not None

    def runbook_worst_seconds(self) -> int:
        """One instance's time in the runbook with every wait at its timeout (0 without a runbook)."""
        if not self.has_runbook:
            return 0
        lb, asg = self.load_balancer, self.auto_scaling
        return runbook_worst_seconds(
            patch=self.patch_timeout_seconds or defaults.PATCH_STEP_SECONDS,
            target_groups=len(lb.target_groups) if lb else 0,
            drain=lb.drain_timeout_seconds if lb else 0,
            health=lb.health_timeout_seconds if lb else 0,
            standby=asg.timeout_seconds if asg else None,
        )

    @model_validator(mode="after")
    def _patch_timeout(self) -> Self:
        given = self.patch_timeout_seconds is not None
        check_needs("patch_timeout_seconds", given, "load_balancer or auto_scaling", self.has_runbook)
        return self

    @model_validator(mode="after")
    def _operating_systems(self) -> Self:
        check_unique("operating_systems", [system.value for system in self.operating_systems])
        if self.hooks is not None:
            check_hooks_platforms(self.operating_systems)
            self._check_per_platform(self.hooks)
        for system, filters in self.baseline_filters.items():
            if system not in self.operating_systems:
                raise ValueError(f"baseline_filters names {system.value}, which is not in operating_systems")
            check_filter_keys(system, list(filters), "baseline_filters key")
            check_count(f"baseline_filters[{system.value}]", list(filters), 0, MAX_PATCH_FILTERS)
            for key, values in filters.items():
                check_filter_values(key, values)
        return self

    def _check_per_platform(self, hooks: HookSpec) -> None:
        """The hooks' values cover the group's platforms: names for each, commands per platform when mixed."""
        platforms = sorted(hook_platforms_for(self.operating_systems))
        for field in ("service", "drain_command", "update_command", "verify_command"):
            value = getattr(hooks, field)
            values = values_per_platform(
                f"hooks.{field}",
                value if not isinstance(value, (PlatformNames, PlatformCommands)) else per_platform_values(value),
                platforms,
                is_command=field != "service",
                required=field == "service",
                how=f"it per platform, as {field}: {{linux: ..., windows: ...}}",
                shown=repr(value if isinstance(value, str | None) else value.model_dump(exclude_none=True)),
            )
            if field == "service" and HookPlatform.WINDOWS in values:
                check_windows_service_name("hooks.service", values[HookPlatform.WINDOWS])


def per_platform_values(value: PlatformNames | PlatformCommands) -> dict[HookPlatform, str | None]:
    """A per-platform field as the rule book takes it."""
    return {HookPlatform.LINUX: value.linux, HookPlatform.WINDOWS: value.windows}


# The retention periods CloudWatch Logs accepts, in days, and the CDK's RetentionDays member for each.
LOG_RETENTIONS = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


def _retention(days: int) -> int:
    if days not in LOG_RETENTIONS:
        raise ValueError(f"must be a CloudWatch Logs retention: {', '.join(map(str, LOG_RETENTIONS))} days")
    return days


class OutputSpec(_Model):
    """Where every patch run of the fleet writes its full output, in each account and region.

    Args:
        s3: write output to an S3 bucket of each stack. Default: True.
        cloudwatch: stream output to a CloudWatch Logs group of each stack. Default: True.
        retention_days: how long output is kept, a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...).
            Default: 90.
    """

    s3: bool = True
    cloudwatch: bool = True
    retention_days: Annotated[int, AfterValidator(_retention)] = 90

    @model_validator(mode="after")
    def _a_destination(self) -> Self:
        if not self.s3 and not self.cloudwatch:
            raise ValueError("set s3, cloudwatch or both to true; output needs a destination")
        return self


KeyArn = Annotated[str, _matching(KMS_KEY_ARN_PATTERN, KMS_KEY_ARN_RULE)]
BucketName = Annotated[str, _matching(BUCKET_NAME_PATTERN, BUCKET_NAME_RULE)]
S3Prefix = Annotated[str, _matching(S3_PREFIX_PATTERN, S3_PREFIX_RULE)]


class ReportingSpec(_Model):
    """The morning after patch day, fleet-wide: each stack's patch state synced to one bucket, alerts when an
    instance falls out of compliance, hook metrics, alarms and a dashboard per group.

    The central side (ComplianceReport: bucket, key, Glue tables, Athena queries) lives in the reporting
    account: ``ComplianceReportStack`` defines it from this description; deploy it first and copy its outputs
    here (the bucket name is yours to fix; the key ARN is known once the key exists).

    Args:
        account: the reporting account, 12 digits (quoted).
        region: the reporting account's region, where the bucket is.
        bucket_name: the central bucket's name.
        kms_key_arn: the central key (ComplianceReport's output ComplianceKeyArn); the bucket takes only
            objects encrypted with it.
        prefix: the folder the syncs write under. Default: "patch-compliance".
        stale_after_days: the age at which the stale-scan query lists an instance, 1 to 365. Default: 7.
        compliance_alerts: a rule per group's workflow on non-compliant patch compliance, to each stack's
            alerts topic. Default: true.
        telemetry: hook metrics, alarms and a dashboard per group (needs ``output.cloudwatch``). Default: true.
        config_rule: AWS Config's patch compliance rule in the reporting account (needs a recorder). Default:
            false.
    """

    account: AccountId
    region: Region
    bucket_name: BucketName
    kms_key_arn: KeyArn
    prefix: S3Prefix = "patch-compliance"
    stale_after_days: Annotated[int, Field(strict=True, ge=1, le=365)] = 7
    compliance_alerts: Annotated[bool, Field(strict=True)] = True
    telemetry: Annotated[bool, Field(strict=True)] = True
    config_rule: Annotated[bool, Field(strict=True)] = False

    @model_validator(mode="after")
    def _key_beside_bucket(self) -> Self:
        # The sync's key must be in the bucket's region (API model ResourceDataSyncS3Destination).
        key_region = self.kms_key_arn.split(":")[3]
        if key_region != self.region:
            raise ValueError(f"kms_key_arn is in {key_region}; it must be in the bucket's region {self.region}")
        return self


class EnvironmentSpec(_Model):
    """One environment, a wave of the rollout: where it deploys and what it changes.

    Args:
        name: 2 to 12 lower-case letters and digits, e.g. dev or prod.
        accounts: the accounts of the CDK-stages shape (one stage per account and region). Default: none.
        organizational_units: the OUs (or root) of the StackSet shape. Default: none.
        regions: the regions, in deployment order.
        overrides: settings that replace the fleet's and the groups' here. Default: none.
        max_concurrent_percentage: StackSet accounts deployed at once per region, 1 to 100. Default: 25.
        failure_tolerance_percentage: StackSet accounts that may fail per region, 0 to 100. Default: 0.
        region_concurrency: SEQUENTIAL (regions one after another) or PARALLEL. Default: SEQUENTIAL.
        concurrency_mode: SOFT_FAILURE_TOLERANCE runs max_concurrent_percentage of the accounts at once and
            stops starting more once the failures pass the tolerance (batches in flight finish);
            STRICT_FAILURE_TOLERANCE never lets failures pass it, so at most tolerance + 1 accounts run at
            once, one at a time with the default tolerance of 0 (CloudFormation's own default). Default:
            SOFT_FAILURE_TOLERANCE.
    """

    name: EnvironmentName
    accounts: list[AccountId] = []
    organizational_units: list[OrganizationalUnitId] = []
    regions: Annotated[list[Region], Field(min_length=1)]
    overrides: GroupSettings = GroupSettings()
    max_concurrent_percentage: Annotated[int, Field(ge=1, le=100)] = 25
    failure_tolerance_percentage: Annotated[int, Field(ge=0, le=100)] = 0
    region_concurrency: Literal["SEQUENTIAL", "PARALLEL"] = "SEQUENTIAL"
    concurrency_mode: Literal["SOFT_FAILURE_TOLERANCE", "STRICT_FAILURE_TOLERANCE"] = "SOFT_FAILURE_TOLERANCE"

    def stack_set_pace(self) -> str:
        """How many accounts a StackSet operation really runs at once, in words (patch-fleet prints it)."""
        at_once = f"{self.max_concurrent_percentage}% of accounts at once"
        if self.concurrency_mode == "STRICT_FAILURE_TOLERANCE":
            at_once = (
                f"at most {self.max_concurrent_percentage}% of accounts and no more than "
                f"{self.failure_tolerance_percentage}% of them + 1 at once (strict)"
            )
        return f"{self.region_concurrency.lower()}, {at_once}, {self.failure_tolerance_percentage}% may fail"

    @model_validator(mode="after")
    def _targets(self) -> Self:
        if not self.accounts and not self.organizational_units:
            raise ValueError("give accounts (CDK stages), organizational_units (StackSets) or both")
        check_unique("accounts", self.accounts)
        check_unique("organizational_units", self.organizational_units)
        check_unique("regions", self.regions)
        return self


class FleetDescription(_Model):
    """The fleet: its groups and the environments they roll out to, in order.

    Build it in Python (``FleetDescription(name=..., groups=[...], environments=[...])``) or read it
    with ``FleetDescription.from_file("fleet.yaml")``; both check every field.

    Args:
        name: prefixes every stack, StackSet and resource name, 2 to 20 letters, digits and hyphens.
        defaults: settings every group starts from. Default: the GroupSettings defaults.
        groups: the patch groups.
        environments: the waves of the rollout, in order (dev before prod).
        output: command output to S3 and/or CloudWatch Logs in every stack, with a managed policy to attach
            to the instances' roles. Default: none, output stays in Run Command (first 48,000 characters).
        stack_set_call_as: SELF from the management account or DELEGATED_ADMIN from a delegated
            administrator account. Default: SELF.
        halt_later_waves_on_failure: a window execution that ends FAILED or TIMED_OUT in one environment's
            stage halts every later environment's windows before they open (PatchWaves' brake, across
            accounts and regions; stages only: StackSet accounts are not known). Default: True.
        reporting: compliance synced to one bucket, compliance alerts and hook telemetry (ReportingSpec).
            Default: none.
    """

    name: Name
    defaults: GroupSettings = GroupSettings()
    groups: Annotated[list[PatchGroupSpec], Field(min_length=1)]
    environments: Annotated[list[EnvironmentSpec], Field(min_length=1)]
    output: OutputSpec | None = None
    stack_set_call_as: Literal["SELF", "DELEGATED_ADMIN"] = "SELF"
    halt_later_waves_on_failure: bool = True
    reporting: ReportingSpec | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> FleetDescription:
        """Read and check a YAML (.yaml, .yml) or JSON (.json) fleet file; raises FleetFileError."""
        path = Path(path)
        if path.suffix not in (".yaml", ".yml", ".json"):
            raise FleetFileError(str(path), [f"the file must end in .yaml, .yml or .json; got {path.suffix!r}"])
        try:
            size = path.stat().st_size
            if size > MAX_FLEET_FILE_BYTES:
                raise FleetFileError(
                    str(path), [f"is {size} bytes; a fleet file may hold at most {MAX_FLEET_FILE_BYTES}"]
                )
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
            reason = _bounded(f"can't be read: {error}".replace("\n", " "), 400)
            raise FleetFileError(str(path), [reason]) from error
        return cls.from_data(data, source=str(path))

    @classmethod
    def from_data(cls, data: Any, *, source: str = "fleet description") -> FleetDescription:
        """Check parsed data (a mapping as read from YAML or JSON); raises FleetFileError."""
        if not isinstance(data, Mapping):
            raise FleetFileError(source, [f"must be a mapping with name, groups and environments; got {data!r}"])
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = [line for problem in error.errors() for line in _describe(problem)]
            raise FleetFileError(source, problems) from None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = [
            *_duplicates("groups", "name", [group.name for group in self.groups]),
            *_duplicates("groups", "patch_group", [group.tag_value for group in self.groups]),
            *_duplicates("environments", "name", [environment.name for environment in self.environments]),
            *_shared_places(self.environments),
            *_unknown_override_environments(self.groups, {environment.name for environment in self.environments}),
            *_telemetry_needs_logs(self.reporting, self.output),
        ]
        for index, group in enumerate(self.groups):
            for environment in self.environments:
                problem = _window_problem(self.settings(group, environment), group.runbook_worst_seconds())
                if problem:
                    problems.append(f"groups[{index}]: in environment {environment.name}, {problem}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def settings(self, group: PatchGroupSpec, environment: EnvironmentSpec) -> ResolvedSettings:
        """The group's settings in ``environment``: built-in defaults, then the fleet's ``defaults``, the
        group's own, the environment's ``overrides`` and the group's ``overrides`` for that environment."""
        merged = dict(_SETTING_DEFAULTS)
        levels = (self.defaults, group, environment.overrides, group.overrides.get(environment.name, GroupSettings()))
        for level in levels:
            merged.update({key: value for key in _SETTING_FIELDS if (value := getattr(level, key)) is not None})
        return ResolvedSettings(**merged)

    def prefix(self, environment: str) -> str:
        """The prefix of every name the environment defines: ``<fleet>-<environment>``."""
        return f"{self.name}-{environment}"

    def runbook_name(self, environment: str, group: PatchGroupSpec) -> str:
        """The name of the group's patch runbook in the environment (every account and region the same)."""
        return f"{self.prefix(environment)}-{group.name}-PatchRunbook"

    def source_places(self) -> tuple[list[str], list[str]]:
        """The accounts (of the CDK-stages shape) and regions of every environment, for the central report."""
        accounts = [account for spec in self.environments for account in spec.accounts]
        regions = [region for spec in self.environments for region in spec.regions]
        return list(dict.fromkeys(accounts)), list(dict.fromkeys(regions))

    def environment(self, name: str) -> EnvironmentSpec:
        """The environment called ``name``."""
        for environment in self.environments:
            if environment.name == name:
                return environment
        raise KeyError(f"no environment {name!r}; the fleet has {', '.join(e.name for e in self.environments)}")

    def brake_order_problem(self, environment: str, now: datetime) -> str | None:
        """Why the brake would come too late for ``environment``, or None: with
        ``halt_later_waves_on_failure``, any window of an earlier environment that fails halts every window
        here, so none may open while the last earlier window before it may still run (every pair of groups,
        over three years of openings here, at most 200, each in its own time zone)."""
        if not self.halt_later_waves_on_failure:
            return None
        names = [spec.name for spec in self.environments]
        later = self.environment(environment)
        for name in names[: names.index(environment)]:
            spec = self.environment(name)
            for first, second in itertools.product(self.groups, self.groups):
                problem = brake_too_late(self._opening(spec, first), self._opening(later, second), now)
                if problem:
                    return (
                        f"{problem}; give {environment} a later schedule or schedule_offset, or set "
                        "halt_later_waves_on_failure: false"
                    )
        return None

    def _opening(self, environment: EnvironmentSpec, group: PatchGroupSpec) -> Opening:
        settings = self.settings(group, environment)
        return Opening(
            f"{environment.name}/{group.name}",
            settings.schedule,
            settings.schedule_timezone or "UTC",
            settings.schedule_offset,
            settings.duration_hours,
        )

    def wave_description(self, environment: str) -> str:
        """The rollout position of ``environment``, e.g. "acme patching with lifecycle hooks: wave 2 of 2
        (prod, after dev)", used as stack and StackSet description so every diff shows the order."""
        names = [spec.name for spec in self.environments]
        index = names.index(self.environment(environment).name)
        after = f"after {', '.join(names[:index])}" if index else "first"
        return f"{self.name} patching with lifecycle hooks: wave {index + 1} of {len(names)} ({environment}, {after})"

    def rollout_order(self) -> Iterator[str]:
        """One line per wave, in order, for reviewers: the environment, its targets and regions."""
        for index, environment in enumerate(self.environments, start=1):
            targets = [*environment.accounts, *environment.organizational_units]
            yield (
                f"wave {index} of {len(self.environments)}: {environment.name} -> {', '.join(targets)} "
                f"in {', '.join(environment.regions)}"
            )


def _duplicates(field: str, key: str, values: list[str]) -> Iterator[str]:
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        earlier = first.setdefault(value, index)
        if earlier != index:
            yield f"{field}[{index}].{key}: got {value!r}; must be unique, {field}[{earlier}] has it already"


def _telemetry_needs_logs(reporting: ReportingSpec | None, output: OutputSpec | None) -> Iterator[str]:
    if reporting is not None and reporting.telemetry and (output is None or not output.cloudwatch):
        yield "reporting.telemetry: reads the hook lines from the command output: set output with cloudwatch: true"


def _unknown_override_environments(groups: list[PatchGroupSpec], known: set[str]) -> Iterator[str]:
    for index, group in enumerate(groups):
        for name in group.overrides:
            if name not in known:
                yield (
                    f"groups[{index}].overrides.{name}: unknown environment; the fleet has {', '.join(sorted(known))}"
                )


def _shared_places(environments: list[EnvironmentSpec]) -> Iterator[str]:
    # Patch groups register once per account and region: two environments there would clash.
    owner: dict[tuple[str, str], str] = {}
    for index, environment in enumerate(environments):
        for field in ("accounts", "organizational_units"):
            for position, target in enumerate(getattr(environment, field)):
                for region in environment.regions:
                    other = owner.setdefault((target, region), environment.name)
                    if other != environment.name:
                        yield (
                            f"environments[{index}].{field}[{position}]: got {target!r}; it is in environment "
                            f"{other} already in {region}, and an account or OU belongs to one environment a region"
                        )
                        break


def _window_problem(settings: ResolvedSettings, runbook_seconds: int) -> str | None:
    """The window rules that span fields, as the constructs check them, on one environment's settings (and
    the group's runbook, which must fit in the window)."""
    try:
        check_runbook_fits(runbook_seconds, settings.duration_hours)
        check_cutoff_before_duration(
            settings.cutoff_hours, settings.duration_hours, cutoff="cutoff_hours", duration="duration_hours", unit=""
        )
        check_offset_with_cron(settings.schedule_offset, parse_expression(settings.schedule)[1], settings.schedule)
    except ValueError as problem:
        return str(problem)
    return None


def _describe(problem: Mapping[str, Any]) -> list[str]:
    """The wrong fields of one validation error: path in the file, the value found and what is allowed."""
    parts = [part for part in problem["loc"] if part not in _PER_PLATFORM_TAGS]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")
    message = str(problem["msg"]).removeprefix("Value error, ")
    if not path:
        return message.splitlines()  # consistency problems name their own paths
    # The library's own checks end in "; got keyword=value": the value is shown once, up front.
    message = re.sub(r"; got \w+=.*$", "", message)
    if problem["type"] == "missing":
        return [f"{path}: missing; this field is required"]
    if problem["type"] == "extra_forbidden":
        if "overrides" in parts and str(parts[-1]) in PatchGroupSpec.model_fields:
            return [f"{path}: is a group field; it can't change per environment (set it on the group)"]
        # A field known elsewhere in the file is no suggestion for this place: look for another.
        close = nearest_of(str(parts[-1]), [name for name in _known_fields() if name != parts[-1]], cutoff=0.75)
        hint = f"did you mean {close}?" if close else "check its spelling against the documented fields"
        return [f"{path}: unknown field; {hint}"]
    value = problem.get("input")
    shown = "the entry" if isinstance(value, Mapping) else _bounded(repr(value))
    return [f"{path}: got {shown}; {_bounded(message, 400)}"]


def _known_fields() -> list[str]:
    """Every field name a fleet file may use, for a did-you-mean."""
    models = (
        FleetDescription,
        GroupSettings,
        PatchGroupSpec,
        HookSpec,
        LoadBalancerSpec,
        AutoScalingSpec,
        EnvironmentSpec,
        OutputSpec,
        PlatformNames,
        ReportingSpec,
    )
    return sorted({name for model in models for name in model.model_fields})


def _bounded(text: str, limit: int = 120) -> str:
    """``text``, cut at ``limit`` characters: a message never repeats a huge value."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
