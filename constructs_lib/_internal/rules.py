"""The rule book: every CloudFormation/SSM rule the library enforces, as pure functions (no CDK).

The constructs call these and raise ``ValueError`` naming the keyword; the fleet description calls the
same functions, and pydantic reports the message under the field's path in the file. Each rule is
written here once. A check skips a string that is an unresolved CDK token (``tokens``); numbers that
may be tokens are screened by ``validation`` before they get here.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NoReturn

from .tokens import is_list_token, is_unresolved_text
from .vocabulary import HookPlatform, OperatingSystem, PatchFilterKey, PatchOperation, ScheduleKind

# ---------------------------------------------------------------------------------------------------------
# Generic checks: every message names the keyword, shows the value received and says what is allowed.


def fail(message: str) -> NoReturn:
    """Raise the library's configuration error."""
    raise ValueError(message)


def _unresolved(value: Any) -> bool:
    return isinstance(value, str) and is_unresolved_text(value)


def check_int_range(keyword: str, value: int | None, low: int, high: int | None = None) -> None:
    """Check that a plain integer lies in ``low..high`` (``high`` None means no upper bound)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"
        fail(f"{keyword} must be {allowed}; got {keyword}={value!r}")


# Control characters other than tab and line breaks, and lone surrogates: JSON writes DEL and the C1
# controls unescaped, which YAML parsers (cfn-lint's among them) refuse, and a lone surrogate is not UTF-8.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_length(keyword: str, value: str | None, low: int, high: int) -> None:
    """Check a string's length, and that it holds no control characters but tab and line breaks."""
    if value is None or _unresolved(value):
        return
    if not low <= len(value) <= high:
        fail(f"{keyword} must be {low} to {high} characters long; got {len(value)} characters: {value!r}")
    check_text(keyword, value)


def check_text(keyword: str, value: str) -> None:
    """Refuse control characters other than tab and line breaks (and lone surrogates) in ``value``."""
    unwritable = _UNWRITABLE.search(value)
    if unwritable:
        fail(
            f"{keyword} must not hold control characters (tab and line breaks aside); "
            f"got {unwritable.group()!r} in {value!r}"
        )


def check_pattern(keyword: str, value: str | None, pattern: re.Pattern[str], rule: str) -> None:
    """Check a string against a service pattern, describing the rule in words."""
    if value is None or _unresolved(value):
        return
    if not pattern.fullmatch(value):
        fail(f"{keyword} must be {rule}; got {keyword}={value!r}")


def check_count(keyword: str, values: Sequence[Any], low: int, high: int) -> None:
    """Check how many items a list holds (a list token's length is unknown)."""
    if len(values) == 1 and isinstance(values[0], str) and is_list_token(values[0]):
        return
    if not low <= len(values) <= high:
        fail(f"{keyword} must hold {low} to {high} items; got {len(values)}")


def check_unique(keyword: str, values: Sequence[str]) -> None:
    """Reject duplicates in a list the service treats as a set."""
    seen: set[str] = set()
    for value in values:
        if value in seen and not _unresolved(value):
            fail(f"{keyword} must not repeat a value; got {value!r} twice")
        seen.add(value)


# Extra characters allowed beside letters, spaces and digits in tags and patch groups (the service
# pattern is ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$); a maintenance-window target key allows no "+" (API model
# shape TargetKey: ^[\p{L}\p{Z}\p{N}_.:/=\-@]*$), and a tag key becomes one ("tag:<key>").
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_CHARSET_RULE = "letters, digits, spaces and _ . : / = + - @"
_TARGET_KEY_PUNCTUATION = _TAG_PUNCTUATION - {"+"}
TARGET_KEY_RULE = "letters, digits, spaces and _ . : / = - @ (no +: it becomes a target key)"


def check_tag_charset(keyword: str, value: str, *, target_key: bool = False) -> None:
    """Check the Unicode class pattern ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$ used by tags and patch groups, or,
    for a ``target_key``, the same without ``+``."""
    if _unresolved(value):
        return
    punctuation, rule = (
        (_TARGET_KEY_PUNCTUATION, TARGET_KEY_RULE) if target_key else (_TAG_PUNCTUATION, TAG_CHARSET_RULE)
    )
    for char in value:
        if unicodedata.category(char)[0] not in "LZN" and char not in punctuation:
            fail(f"{keyword} may contain only {rule}; got {keyword}={value!r} with {char!r}")


# ---------------------------------------------------------------------------------------------------------
# Names.


# SSM names for documents, windows, targets, tasks and baselines.
# EC2 instances (i-, 8 or 17 hex digits) and hybrid managed nodes (mi-, 17 hex digits).
INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")
INSTANCE_ID_RULE = "an EC2 instance ID (i- and 8 or 17 hex digits) or a managed node ID (mi- and 17)"


def check_patch_groups(patch_groups: Sequence[str]) -> None:
    """Patch groups are values of the PatchGroup tag: unique, 1 to 256 characters of the tag charset."""
    check_unique("patch_groups", patch_groups)
    for group in patch_groups:
        check_length("patch_groups", group, 1, 256)
        check_tag_charset("patch_groups", group)


RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
RESOURCE_NAME_RULE = "3 to 128 characters from a-z, A-Z, 0-9, _, - and ."


# IAM API model, shape roleNameType: 1 to 64 characters from [\w+=,.@-].
# S3's safe key characters without "*": the prefix lands in IAM resource ARNs, where * and ? are wildcards
# and ${...} a policy variable, which would widen what instances may write.
S3_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.'()/-]+$")
S3_KEY_PREFIX_RULE = "letters, digits and ! _ . ' ( ) / - (no * ? or $: they would widen the IAM grant)"

IAM_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
IAM_ROLE_NAME_RULE = "1 to 64 characters from a-z, A-Z, 0-9 and _ + = , . @ -"


def check_needs(keyword: str, given: bool, needed: str, present: bool) -> None:
    """A keyword that does nothing without another is refused, naming both (it would be silently ignored)."""
    if given and not present:
        fail(f"{keyword} needs {needed}: without it, {keyword} does nothing")


def check_resource_name(keyword: str, value: str | None) -> None:
    """Check an SSM resource name (documents, windows, targets, tasks, baselines)."""
    check_pattern(keyword, value, RESOURCE_NAME, RESOURCE_NAME_RULE)


# Document names SSM keeps for AWS's own (CreateDocument: "aws", "amazon" and "amzn" are reserved prefixes).
RESERVED_DOCUMENT_PREFIXES = ("aws", "amazon", "amzn")


def check_document_name(keyword: str, name: str | None) -> None:
    """Check the name of a document of ours: an SSM resource name that AWS does not keep for itself."""
    if name is None or is_unresolved_text(name):
        return
    check_resource_name(keyword, name)
    if name.lower().startswith(RESERVED_DOCUMENT_PREFIXES):
        fail(f"{keyword} must not start with the reserved prefixes aws, amazon or amzn; got {keyword}={name!r}")


# ---------------------------------------------------------------------------------------------------------
# Maintenance windows (SSM API CreateMaintenanceWindow; user guide "Cron and rate expressions").

DURATION_HOURS_RANGE = (1, 24)
CUTOFF_HOURS_RANGE = (0, 23)
SCHEDULE_OFFSET_RANGE = (1, 6)


def check_cutoff_before_duration(
    cutoff_hours: int, duration_hours: int, *, cutoff: str = "cutoff", duration: str = "duration", unit: str = "h"
) -> None:
    """No task may start later than the cutoff: the cutoff must be shorter than the window."""
    if cutoff_hours >= duration_hours:
        fail(
            f"{cutoff} must be shorter than {duration}; "
            f"got {cutoff}={cutoff_hours}{unit}, {duration}={duration_hours}{unit}"
        )


def check_offset_with_cron(offset: int | None, kind: ScheduleKind, expression: str) -> None:
    """A schedule offset works with cron schedules only (a token schedule is judged at deploy)."""
    if offset is not None and kind not in (ScheduleKind.CRON, ScheduleKind.UNRESOLVED):
        fail(f"schedule_offset works with cron schedules only; got schedule={expression}")


@functools.cache
def _iana_time_zones() -> frozenset[str]:
    """The zones of the pinned tzdata package, never the host's (``localtime`` is a file of this machine);
    ``Factory`` is tzdb's placeholder for "no zone set", not a place."""
    zones = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
    return frozenset(zones) - {"Factory"}


def check_time_zone(name: str | None) -> None:
    """Check that ``name`` is an IANA time zone (from the pinned tzdata package, the same on every host)."""
    if name is None or _unresolved(name):
        return
    if name not in _iana_time_zones():
        fail(
            f"schedule_timezone must be an IANA time zone name such as America/New_York or Europe/Berlin; "
            f"got schedule_timezone={name!r}"
        )


# ---------------------------------------------------------------------------------------------------------
# Rate control (Run Command MaxConcurrency / MaxErrors).

_MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
_MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
_RATE_RULE = "a count such as 10 or a percentage such as 10% (1% to 100%), at most 7 characters"


def check_max_concurrency(max_concurrency: str) -> None:
    """Check max_concurrency: a count or a percentage from 1% to 100%, at most 7 characters."""
    check_pattern("max_concurrency", max_concurrency, _MAX_CONCURRENCY, _RATE_RULE)
    check_length("max_concurrency", max_concurrency, 1, 7)


def check_max_errors(max_errors: str) -> None:
    """Check max_errors: 0, a count or a percentage from 0% to 100%, at most 7 characters."""
    check_pattern("max_errors", max_errors, _MAX_ERRORS, "0, " + _RATE_RULE.replace("(1% to", "(0% to"))
    check_length("max_errors", max_errors, 1, 7)


# AWS-RunPatchBaseline's SnapshotId parameter: a GUID (or empty, which means "let SSM pick one").
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_snapshot_id(snapshot_id: str | None) -> None:
    """Check a SnapshotId: one GUID for every node of a run, so they all install the same patch set."""
    check_pattern("snapshot_id", snapshot_id, _GUID, "a GUID such as 0b3e5a8c-4f2d-4c1e-9a7b-3d2f1e0c9b8a")


def check_rate_control(max_concurrency: str, max_errors: str) -> None:
    """Check max_concurrency and max_errors against the Run Command formats."""
    check_max_concurrency(max_concurrency)
    check_max_errors(max_errors)


# ---------------------------------------------------------------------------------------------------------
# Patch baselines (SSM API CreatePatchBaseline and DescribePatchProperties).

APPROVE_AFTER_DAYS_RANGE = (0, 360)
# A filter group holds at most 4 filters (API model shape PatchFilterList: max 4; the CloudFormation
# schema says 5, and cfn-lint passes a 5th that CreatePatchBaseline refuses).
MAX_PATCH_FILTERS = 4
# ApproveAfterDays and ApproveUntilDate are "not supported for Debian Server or Ubuntu Server": their rules
# approve by filters alone (API model shape PatchRule; user guide "patch-manager-linux-rules").
APPROVE_BY_FILTERS_ALONE = frozenset({OperatingSystem.DEBIAN, OperatingSystem.UBUNTU})

_K = PatchFilterKey
_RPM_KEYS = frozenset({_K.PRODUCT, _K.CLASSIFICATION, _K.SEVERITY})
_DEB_KEYS = frozenset({_K.PRODUCT, _K.PRIORITY, _K.SECTION})
_DEB_FAMILY = (OperatingSystem.DEBIAN, OperatingSystem.UBUNTU, OperatingSystem.RASPBIAN)
# Filter keys valid in baselines per OS. Rocky, Alma and Raspbian are not listed by the API; they
# follow their families (RHEL and Debian).
FILTER_KEYS_BY_OS: dict[OperatingSystem, frozenset[PatchFilterKey]] = {
    # PATCH_SET: OS or APPLICATION (Microsoft application patches); API model shape PatchFilter.
    OperatingSystem.WINDOWS: frozenset(
        {_K.PATCH_SET, _K.PRODUCT, _K.PRODUCT_FAMILY, _K.CLASSIFICATION, _K.MSRC_SEVERITY}
    ),
    OperatingSystem.MACOS: frozenset({_K.PRODUCT, _K.CLASSIFICATION}),
    **dict.fromkeys(_DEB_FAMILY, _DEB_KEYS),
    **{system: _RPM_KEYS for system in OperatingSystem if system.is_linux and system not in _DEB_FAMILY},
}


PATCH_SET_VALUES = ("OS", "APPLICATION")


_OS = OperatingSystem
_RPM_FAMILY = (
    _OS.AMAZON_LINUX,
    _OS.AMAZON_LINUX_2,
    _OS.AMAZON_LINUX_2022,
    _OS.AMAZON_LINUX_2023,
    _OS.CENTOS,
    _OS.ORACLE_LINUX,
    _OS.REDHAT_ENTERPRISE_LINUX,
    _OS.ROCKY_LINUX,
    _OS.ALMA_LINUX,
)
# The values DescribePatchProperties reports per OS for the keys most rules use, as the SSM user guide's
# baseline pages ("patch-manager-linux-rules", the predefined baselines) and Microsoft's MsrcSeverity
# enumeration give them. AWS may add values before this list does: an unknown value is a synth warning
# (with the nearest known one), never an error. PRODUCT and the other keys are open-ended.
KNOWN_FILTER_VALUES: dict[tuple[OperatingSystem, PatchFilterKey], frozenset[str]] = {
    **{
        (os, _K.CLASSIFICATION): frozenset({"Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"})
        for os in _RPM_FAMILY
    },
    **{
        (os, _K.SEVERITY): frozenset({"Critical", "Important", "Medium", "Moderate", "Low", "None"})
        for os in _RPM_FAMILY
    },
    (_OS.SUSE, _K.CLASSIFICATION): frozenset({"Security", "Recommended", "Optional", "Feature", "Document", "Yast"}),
    (_OS.SUSE, _K.SEVERITY): frozenset({"Critical", "Important", "Moderate", "Low"}),
    **{(os, _K.PRIORITY): frozenset({"Required", "Important", "Standard", "Optional", "Extra"}) for os in _DEB_FAMILY},
    (_OS.WINDOWS, _K.CLASSIFICATION): frozenset(
        {
            "CriticalUpdates",
            "DefinitionUpdates",
            "Drivers",
            "FeaturePacks",
            "SecurityUpdates",
            "ServicePacks",
            "Tools",
            "UpdateRollups",
            "Updates",
            "Upgrades",
        }
    ),
    (_OS.WINDOWS, _K.MSRC_SEVERITY): frozenset({"Critical", "Important", "Moderate", "Low", "Unspecified"}),
}


def nearest_of(value: str, known: Collection[str], cutoff: float = 0.6) -> str | None:
    """The known value most like ``value`` (for a did-you-mean), or None when none is close."""
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None


def unknown_filter_values(operating_system: OperatingSystem, key: PatchFilterKey, values: Collection[str]) -> list[str]:
    """One line per value that no known value of ``key`` for ``operating_system`` matches ("*" matches all)."""
    known = KNOWN_FILTER_VALUES.get((operating_system, key))
    if known is None:
        return []
    lines = []
    for value in values:
        if value == "*" or value in known or _unresolved(value):
            continue
        nearest = nearest_of(value, known)
        hint = f"did you mean {nearest!r}? " if nearest else ""
        lines.append(
            f"{key.value} filter value {value!r} matches no {key.value} value of {operating_system.value} "
            f"patches known here, so it selects nothing; {hint}known: {', '.join(sorted(known))}"
        )
    return lines


def check_filter_values(key: PatchFilterKey, values: Collection[str]) -> None:
    """A PATCH_SET filter takes OS or APPLICATION (API model shape PatchFilter)."""
    for value in values:
        if key is PatchFilterKey.PATCH_SET and value not in PATCH_SET_VALUES:
            fail(f"PATCH_SET filter values must be OS or APPLICATION; got {value!r}")


def check_approval_delay(operating_system: OperatingSystem, dated: bool, keyword: str) -> None:
    """Debian and Ubuntu rules approve by their filters alone; every other OS's rule needs approve_after or
    approve_until (API model shape PatchRule)."""
    if operating_system in APPROVE_BY_FILTERS_ALONE and dated:
        fail(
            f"{keyword} may not set approve_after or approve_until for {operating_system.value}: AWS does not "
            "support them on Debian or Ubuntu, whose rules approve by their filters alone; remove it"
        )
    if operating_system not in APPROVE_BY_FILTERS_ALONE and not dated:
        fail(
            f"{keyword} needs approve_after or approve_until for {operating_system.value} (only Debian and "
            "Ubuntu rules approve by their filters alone)"
        )


def check_filter_keys(operating_system: OperatingSystem, keys: Collection[PatchFilterKey], keyword: str) -> None:
    """Every patch filter key must be one the OS supports."""
    allowed = FILTER_KEYS_BY_OS[operating_system]
    for key in keys:
        if key not in allowed:
            fail(
                f"{keyword} {key.value} is not valid for {operating_system.value}; allowed: "
                f"{', '.join(sorted(k.value for k in allowed))}"
            )


# ---------------------------------------------------------------------------------------------------------
# Hooks (AWS-RunPatchBaselineWithHooks and the typed app hooks' parameters).


def check_no_hooks_with_scan(operation: PatchOperation, has_hooks: bool) -> None:
    """With Operation Scan, AWS-RunPatchBaselineWithHooks stops after the scan: a hook would never run."""
    if operation is PatchOperation.SCAN and has_hooks:
        fail(
            "hooks must not be set when operation is Scan: AWS-RunPatchBaselineWithHooks stops after the "
            "scan and no hook runs; use PatchOperation.INSTALL or drop hooks"
        )


def check_hooks_platforms(operating_systems: Collection[OperatingSystem]) -> None:
    """AWS-RunPatchBaselineWithHooks runs on Linux and Windows Server only: hooks need one of them."""
    if operating_systems and all(system is OperatingSystem.MACOS for system in operating_systems):
        fail(
            "hooks need Linux or Windows instances: AWS-RunPatchBaselineWithHooks does not support macOS; "
            "got baselines for MACOS only"
        )


def check_one_health_check(health_url: str | None, health_port: int | None) -> None:
    """The start hook verifies health one way: an HTTP URL or a TCP port, not both and not neither."""
    if health_url is not None and not health_url.strip():
        fail(f"health_url must be a URL, or be left out for health_port; got health_url={health_url!r}")
    if health_url is None and health_port is None:
        fail("provide health_url or health_port: the start hook needs a health check; got neither")
    if health_url is not None and health_port is not None:
        fail(
            f"provide either health_url or health_port, not both; got health_url={health_url!r}, "
            f"health_port={health_port!r}"
        )


# The typed app hooks' time limits in whole seconds, (lowest, highest): one hour for waits, two for updates.
DRAIN_TIMEOUT_RANGE = (1, 3600)
DRAIN_WAIT_RANGE = (0, 3600)
STOP_TIMEOUT_RANGE = (1, 3600)
UPDATE_TIMEOUT_RANGE = (1, 7200)
VERIFY_TIMEOUT_RANGE = (1, 3600)
START_TIMEOUT_RANGE = (1, 3600)
HEALTH_INTERVAL_RANGE = (1, 300)

# The patch runbook: its waits (a deregistration delay is 0 to 3600 s) and its patch step (a window lasts at
# most 24 hours), in seconds.
RUNBOOK_WAIT_RANGE = (30, 7200)
PATCH_STEP_RANGE = (600, 86_400)
# ELB's rule for target group names (CreateTargetGroup, Name).
TARGET_GROUP_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$"
TARGET_GROUP_NAME_RULE = "1 to 32 letters, digits and hyphens, no hyphen first or last"
# Auto Scaling group names: 1 to 255 characters (CreateAutoScalingGroup), without what would change the
# meaning of the group's ARN in IAM (a colon separates, * and ? match anything) or of a runbook ({{ }}).
AUTO_SCALING_GROUP_NAME_PATTERN = r"^[^:*?{}\x00-\x1f]{1,255}$"
AUTO_SCALING_GROUP_NAME_RULE = "1 to 255 characters, without colons, *, ?, braces or control characters"


# Places and the compliance report's names (S3 bucket naming rules; KMS key ARNs; an S3 key prefix of at most 64
# characters, the resource data sync's S3Destination BucketPrefix for the top-level form).
ACCOUNT_PATTERN, ACCOUNT_RULE = r"^[0-9]{12}$", "12 digits"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$"
REGION_RULE = "a region name such as eu-west-1"
BUCKET_NAME_PATTERN, BUCKET_NAME_RULE = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name"
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,64}$"
KMS_KEY_ARN_RULE = "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
S3_PREFIX_PATTERN = r"^[A-Za-z0-9!_.*'()-]([A-Za-z0-9!_.*'()/-]{0,62}[A-Za-z0-9!_.*'()-])?$"
S3_PREFIX_RULE = "1 to 64 characters of an S3 key, no / first or last"


def runbook_worst_seconds(
    *, patch: int, target_groups: int, drain: int, health: int, standby: int | None, own_steps: int = 0
) -> int:
    """One instance's time in the patch runbook with every wait at its timeout: the patch, per target group
    the drain and the health wait, standby entered and left, and your own steps."""
    return patch + target_groups * (drain + health) + (2 * standby if standby else 0) + own_steps


def check_runbook_fits(worst_seconds: int, duration_hours: int) -> None:
    """An instance that takes every timeout must still finish inside the window."""
    if worst_seconds > duration_hours * 3600:
        fail(
            f"the patch timeout plus the drain, standby, health and step timeouts ({math.ceil(worst_seconds / 60)} "
            f"min) must fit in the window's duration ({duration_hours * 60} min): an instance that takes them all "
            "would outlast the window; shorten the timeouts or lengthen the window"
        )


# Precise allowedPatterns of the app hooks' parameters, valid in Java and Go regex. The documents accept
# only their built-in values (exact_literal_pattern); these say what a value may be at all.
# A service name is also a file name in the hooks' run folder: at most 200 characters, no leading dot.
SERVICE_NAME_PATTERN = r"^[A-Za-z0-9@_:-][A-Za-z0-9@_.:-]{0,199}$"
SERVICE_NAME_RULE = "1 to 200 characters from A-Z, a-z, 0-9, @, _, ., : and -, not starting with a dot"
SERVICE_MANAGER_PATTERN = r"^(service|pidfile)$"
RUN_AS_PATTERN = r"^$|^[a-z_][a-z0-9_-]{0,31}$"
RUN_AS_RULE = "a Linux user name (a-z, 0-9, _ and -, at most 32 characters)"
# One program and its arguments, split at spaces and run without a shell: no quotes, $, ;, |, &, <, > or
# line breaks, so a value names everything it runs. Windows paths may use backslashes.
COMMAND_PATTERN = r"^[A-Za-z0-9 _./:=@%+,~-]{0,1024}$"
WINDOWS_COMMAND_PATTERN = r"^[A-Za-z0-9 _./:=@%+,~\\-]{0,1024}$"
_COMMAND_RULE = (
    "one program and its arguments separated by spaces, at most 1024 characters, without quotes, ; | & $ ` < >{} "
    "or line breaks (it runs without a shell; put pipelines in a script on the instance)"
)
COMMAND_RULE = _COMMAND_RULE.format(" \\")
WINDOWS_COMMAND_RULE = _COMMAND_RULE.format("")


def check_program_word(keyword: str, command: str) -> None:
    """A command runs without a shell: its first word is the program, so ``~``, ``NAME=value`` or a leading
    ``-`` (a shell's tilde, variable assignment, or an option) would fail on the instance, not here."""
    if command and not command.strip():
        fail(f"{keyword} must name a program to run, or be left out; got {keyword}={command!r}")
    first = command.split()[0] if command.strip() else ""
    if first.startswith(("~", "-")) or "=" in first:
        fail(
            f"{keyword} must start with the program to run (it runs without a shell: no ~, NAME=value or "
            f"leading -); got {keyword}={command!r}"
        )


SECONDS_PATTERN = r"^(0|[1-9][0-9]{0,5})$"
PORT_PATTERN = r"^$|^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
# Loopback only: the hook never asks another host, nor the instance metadata address (169.254.169.254).
HEALTH_URL_PATTERN = (
    r"^$|^https?://(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~%/?=&+-]*)?$"
)
HEALTH_URL_RULE = "an http:// or https:// URL on a loopback address (127.0.0.1, localhost or [::1]), e.g. http://127.0.0.1:8080/health"
HTTP_STATUS_PATTERN = r"^[1-5][0-9]{2}$"
BOOLEAN_PATTERN = r"^(true|false)$"

# What a value may be, by hook parameter name without its Linux/Windows prefix: for a rehearsal's overrides
# of documents that accept only their own values.
HOOK_PARAMETER_PATTERNS = {
    "ServiceName": SERVICE_NAME_PATTERN,
    "ServiceManager": SERVICE_MANAGER_PATTERN,
    "RunAs": RUN_AS_PATTERN,
    "StartCommand": COMMAND_PATTERN,
    "DrainCommand": COMMAND_PATTERN,
    "UpdateCommand": COMMAND_PATTERN,
    "VerifyCommand": COMMAND_PATTERN,
    "Port": PORT_PATTERN,
    "HealthPort": PORT_PATTERN,
    "HealthUrl": HEALTH_URL_PATTERN,
    "ExpectedStatus": HTTP_STATUS_PATTERN,
    "EscalateToKill": BOOLEAN_PATTERN,
    **dict.fromkeys(
        (
            "DrainTimeoutSeconds",
            "DrainSeconds",
            "StopTimeoutSeconds",
            "UpdateTimeoutSeconds",
            "VerifyTimeoutSeconds",
            "StartTimeoutSeconds",
            "HealthIntervalSeconds",
        ),
        SECONDS_PATTERN,
    ),
}


def hook_parameter_pattern(name: str) -> str | None:
    """What a value of the app hooks' parameter ``name`` may be at all (None for a parameter of theirs it is not)."""
    base = name.removeprefix("Linux").removeprefix("Windows")
    if name.startswith("Windows") and base.endswith("Command"):
        return WINDOWS_COMMAND_PATTERN
    return HOOK_PARAMETER_PATTERNS.get(base)


# Regex metacharacters; everything else in a hook value (letters, digits, space and _ - / : = @ % , ~ & !)
# is literal in Java and Go (RE2) alike.
_REGEX_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def exact_literal_pattern(value: str) -> str:
    """An allowedPattern that matches ``value`` and nothing else, valid in Java and Go."""
    return "^" + _REGEX_SPECIAL.sub(r"\\\1", value) + "$"


def hook_platforms_for(operating_systems: Collection[OperatingSystem]) -> set[HookPlatform]:
    """The hook platforms instances of these operating systems run (macOS runs no hooks)."""
    platforms = set()
    for system in operating_systems:
        if system is OperatingSystem.WINDOWS:
            platforms.add(HookPlatform.WINDOWS)
        elif system is not OperatingSystem.MACOS:
            platforms.add(HookPlatform.LINUX)
    return platforms


def check_hook_covers(
    slot: str, hook_platforms: Collection[HookPlatform], operating_systems: Collection[OperatingSystem]
) -> None:
    """A hook must have a step for every platform the baselines patch: an instance without one skips it
    silently (the step's precondition is false), and its app is patched unstopped."""
    missing = hook_platforms_for(operating_systems) - set(hook_platforms)
    if missing:
        fail(
            f"{slot} has no {' or '.join(sorted(missing))} step, but the baselines patch "
            f"{', '.join(sorted(operating_systems))}: those instances would skip the hook; "
            f"give the hook platforms {[str(p) for p in sorted(hook_platforms_for(operating_systems))]} "
            f"(got {[str(p) for p in sorted(hook_platforms)]})"
        )


def values_per_platform(
    keyword: str,
    value: str | Mapping[HookPlatform, str | None] | None,
    platforms: Collection[HookPlatform],
    *,
    is_command: bool,
    required: bool,
    how: str,
    shown: str,
) -> dict[HookPlatform, str]:
    """A hook value for each of ``platforms`` ("" for none), from one value for all or a value per platform.

    A command given once for a hook with Linux and Windows steps is refused (a command line hardly ever runs
    on both; ``how`` says how to give it per platform); so is a value for a platform the hook has no step
    for, and, when ``required``, an empty one. ``shown`` is the value as the user wrote it.
    """
    if value is None or isinstance(value, str):
        if is_command and value and len(platforms) > 1:
            fail(f"{keyword} would run the same command line on Linux and Windows; give {how}; got {keyword}={shown}")
        values = dict.fromkeys(platforms, value or "")
    else:
        stray = [str(p) for p in HookPlatform if value.get(p) is not None and p not in platforms]
        if stray:
            fail(
                f"{keyword} gives a {' and '.join(stray)} value, but the hook has no {' or '.join(stray)} step; "
                f"got platforms={[str(p) for p in platforms]}"
            )
        values = {platform: value.get(platform) or "" for platform in platforms}
    if required:
        for platform, given in values.items():
            if not given:
                fail(f"{keyword} needs a value for {platform}; got {keyword}={shown}")
    return values


_WINDOWS_DEVICE_NAME = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\.|$)", re.IGNORECASE)


def check_windows_service_name(keyword: str, value: str) -> None:
    """A Windows service name is also a file name in the hooks' run folder: no ':' (a data stream) and no
    device name (CON, NUL, COM1, ...)."""
    if ":" in value or _WINDOWS_DEVICE_NAME.search(value):
        fail(
            f"{keyword} must not contain ':' or be a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9) on "
            f"Windows; got {keyword}={value!r}"
        )
