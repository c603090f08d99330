"""patch-fleet: check a fleet file and print its rollout, wave by wave, as Markdown.

For each environment (a wave, in order): where it deploys, and per group the schedule in words, the
next window start, approval delay, rate control, reboot option and hooks. A group whose next window in
a later wave opens before the one in an earlier wave is flagged: prod would patch before dev.

    patch-fleet examples/organization/fleet.yaml [--after 2026-12-01T00:00:00+00:00]

Exits 0 when the file is valid (flags are warnings), 2 with one line per wrong field when it is not.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from .._internal import defaults, rules
from ..fleet.description import (
    EnvironmentSpec,
    FleetDescription,
    FleetFileError,
    PatchGroupSpec,
    PlatformCommands,
    PlatformNames,
    ResolvedSettings,
)
from .command import CommandError, moment, run_command
from .schedule_preview import describe, next_starts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-fleet", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the fleet description (.yaml, .yml or .json)")
    parser.add_argument(
        "--after",
        type=moment,
        default=None,
        help="show window starts after this ISO-8601 moment (default: now)",
    )
    return parser.parse_args(argv)


def hooks_text(group: PatchGroupSpec) -> str:
    if group.hooks is None:
        return "none"
    hooks = group.hooks
    health = hooks.health_url or f"port {hooks.health_port}"
    update = _shown(hooks.update_command) if hooks.update_command else "nothing"
    return f"stop {_shown(hooks.service)}, update: {update}, start and check {health}"


def around_patch_text(group: PatchGroupSpec) -> str:
    """The group's off-instance steps, in order, with their timeouts; "nothing" when the patch runs alone."""
    if not group.has_runbook:
        return "nothing (Run Command)"
    lb, asg = group.load_balancer, group.auto_scaling
    out, back = [], []
    if asg is not None:
        out.append(f"standby in {', '.join(asg.groups)} (≤ {asg.timeout_seconds} s)")
        back.append("exit standby")
    if lb is not None:
        out.append(f"drain from {', '.join(lb.target_groups)} (≤ {lb.drain_timeout_seconds} s each)")
        back.append(f"register and wait until healthy (≤ {lb.health_timeout_seconds} s each)")
    patch = group.patch_timeout_seconds or defaults.PATCH_STEP_SECONDS
    steps = [*out, f"patch (≤ {math.ceil(patch / 60)} min)", *back]
    return f"{', then '.join(steps)}; worst case {math.ceil(group.runbook_worst_seconds() / 60)} min per instance"


def _shown(value: str | PlatformNames | PlatformCommands | None) -> str:
    """`value`, or `linux value` (Linux), `windows value` (Windows)."""
    if isinstance(value, (PlatformNames, PlatformCommands)):
        given = (("Linux", value.linux), ("Windows", value.windows))
        return ", ".join(f"`{text}` ({platform})" for platform, text in given if text)
    return f"`{value}`"


def first_start(settings: ResolvedSettings, after: datetime) -> datetime | None:
    timezone = settings.schedule_timezone or "UTC"
    starts = next_starts(settings.schedule, timezone, after, 1, offset=settings.schedule_offset)
    return starts[0] if starts else None


def wave_lines(
    fleet: FleetDescription, index: int, environment: EnvironmentSpec, after: datetime
) -> tuple[list[str], dict[str, datetime | None]]:
    targets = [
        f"accounts {', '.join(environment.accounts)}" if environment.accounts else "",
        f"OUs {', '.join(environment.organizational_units)}" if environment.organizational_units else "",
    ]
    lines = [
        f"## Wave {index} of {len(fleet.environments)}: {environment.name}",
        "",
        f"{'; '.join(target for target in targets if target)}; regions {', '.join(environment.regions)} "
        f"(StackSets: {environment.stack_set_pace()})",
        "",
        "| group | schedule | next start | approve after | concurrency / errors | reboot | hooks | around the patch |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    starts: dict[str, datetime | None] = {}
    for group in fleet.groups:
        settings = fleet.settings(group, environment)
        start = starts[group.name] = first_start(settings, after)
        schedule = describe(settings.schedule, settings.schedule_timezone or "UTC", settings.schedule_offset)
        cells = [
            group.name,
            f"{schedule}, {settings.duration_hours} h, cutoff {settings.cutoff_hours} h",
            start.strftime("%Y-%m-%d %H:%M %Z") if start else "none",
            f"{settings.approve_after_days} days",
            f"{settings.max_concurrency} / {settings.max_errors}",
            settings.reboot_option.value,
            hooks_text(group),
            around_patch_text(group),
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return lines, starts


def order_warnings(fleet: FleetDescription, starts: dict[str, dict[str, datetime | None]]) -> list[str]:
    """Groups whose next window in a later wave opens before (or with) the one of an earlier wave."""
    warnings = []
    names = [environment.name for environment in fleet.environments]
    for group in fleet.groups:
        for earlier, later in itertools.pairwise(names):
            first, second = starts[earlier][group.name], starts[later][group.name]
            if first and second and second <= first:
                warnings.append(
                    f"group {group.name}: {later} next opens {second:%Y-%m-%d %H:%M %Z}, not after {earlier} "
                    f"({first:%Y-%m-%d %H:%M %Z}); give {later} a later schedule or a larger schedule_offset"
                )
    return warnings


def brake_lines(fleet: FleetDescription, after: datetime) -> list[str]:
    """The brake across waves: which environment halts which, or why synth will refuse it."""
    if not fleet.halt_later_waves_on_failure:
        return ["## Brake", "", "- off (halt_later_waves_on_failure: false): a failed wave halts nothing", ""]
    names = [spec.name for spec in fleet.environments]
    lines = ["## Brake", ""]
    for index, name in enumerate(names[1:], start=1):
        problem = fleet.brake_order_problem(name, after)
        halted_by = ", ".join(names[:index])
        lines.append(
            f"- ERROR (synth refuses it): {problem}"
            if problem
            else f"- a failed window of {halted_by} halts {name} (stages)"
        )
    runbooks = [group.name for group in fleet.groups if group.has_runbook]
    if runbooks and len(names) > 1:
        lines.append(
            f"- so does one failed patch runbook run of {', '.join(runbooks)} in an earlier wave (an instance "
            "that could not be patched or put back; a run started by hand counts too)"
        )
    return [*lines, ""]


def reporting_lines(fleet: FleetDescription) -> list[str]:
    """Where the morning after patch day looks, fleet-wide."""
    reporting = fleet.reporting
    if reporting is None:
        return []
    lines = [
        "## Reporting",
        "",
        f"- every stack syncs its patch state to s3://{reporting.bucket_name}/{reporting.prefix} "
        f"({reporting.region}, account {reporting.account}), under key {reporting.kms_key_arn}",
        f"- the report stack {fleet.name}-compliance-report (deploy it first) holds the bucket, the Glue tables "
        f"and the Athena queries (stale after {reporting.stale_after_days} days)"
        + (" and the Config rule" if reporting.config_rule else ""),
    ]
    if reporting.compliance_alerts:
        lines.append(f"- instances turning non-compliant: alerts to {fleet.name}-<environment>-patch-alerts")
    if reporting.telemetry:
        lines.append("- hook metrics (PatchHooks), a hook failure alarm and a dashboard per group")
    return [*lines, ""]


def region_warnings(fleet: FleetDescription) -> list[str]:
    """Regions botocore's endpoint data does not know for Systems Manager (a typo, or a region newer than
    the installed botocore: a warning, not an error, since the data lags AWS)."""
    import botocore.session

    session = botocore.session.get_session()
    known = {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ssm", partition_name=partition)
    }
    warnings = []
    for environment in fleet.environments:
        for region in environment.regions:
            if region not in known:
                nearest = rules.nearest_of(region, known)
                hint = f"; did you mean {nearest}?" if nearest else ""
                warnings.append(
                    f"environment {environment.name}: region {region} is not a Systems Manager region botocore "
                    f"{botocore.__version__} knows{hint}"
                )
    return warnings


def run(args: argparse.Namespace, out: TextIO) -> int:
    try:
        fleet = FleetDescription.from_file(args.file)
    except FleetFileError as error:
        raise CommandError(str(error)) from None
    after = args.after or datetime.now(UTC)
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    lines = [f"# Rollout of {fleet.name} ({args.file})", ""]
    starts: dict[str, dict[str, datetime | None]] = {}
    for index, environment in enumerate(fleet.environments, start=1):
        wave, starts[environment.name] = wave_lines(fleet, index, environment, after)
        lines += [*wave, ""]
    warnings = order_warnings(fleet, starts)
    if warnings:
        lines += ["## Order warnings", "", *(f"- {warning}" for warning in warnings), ""]
    lines += brake_lines(fleet, after)
    lines += reporting_lines(fleet)
    unknown_regions = region_warnings(fleet)
    if unknown_regions:
        lines += ["## Region warnings", "", *(f"- {warning}" for warning in unknown_regions), ""]
    out.write("\n".join(lines))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-fleet command."""
    return run_command("patch-fleet", lambda: run(parse_args(argv), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
