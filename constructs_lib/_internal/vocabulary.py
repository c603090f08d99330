"""The closed sets the rule book speaks of: str enums whose values are the exact CloudFormation/SSM strings.

Pure Python (no CDK), so the fleet description and the commands use them without the jsii runtime; the
public API re-exports each from the construct module that uses it.
"""

from __future__ import annotations

from enum import StrEnum


class OperatingSystem(StrEnum):
    """Operating systems a patch baseline can target (CloudFormation ``OperatingSystem``)."""

    WINDOWS = "WINDOWS"
    AMAZON_LINUX = "AMAZON_LINUX"
    AMAZON_LINUX_2 = "AMAZON_LINUX_2"
    AMAZON_LINUX_2022 = "AMAZON_LINUX_2022"
    AMAZON_LINUX_2023 = "AMAZON_LINUX_2023"
    UBUNTU = "UBUNTU"
    REDHAT_ENTERPRISE_LINUX = "REDHAT_ENTERPRISE_LINUX"
    SUSE = "SUSE"
    CENTOS = "CENTOS"
    ORACLE_LINUX = "ORACLE_LINUX"
    DEBIAN = "DEBIAN"
    MACOS = "MACOS"
    RASPBIAN = "RASPBIAN"
    ROCKY_LINUX = "ROCKY_LINUX"
    ALMA_LINUX = "ALMA_LINUX"

    @property
    def is_linux(self) -> bool:
        """True for every Linux distribution (not Windows, not macOS)."""
        return self not in (OperatingSystem.WINDOWS, OperatingSystem.MACOS)


class PatchFilterKey(StrEnum):
    """Patch filter keys (CloudFormation ``PatchFilter.Key``); which ones apply depends on the OS."""

    ADVISORY_ID = "ADVISORY_ID"
    ARCH = "ARCH"
    BUGZILLA_ID = "BUGZILLA_ID"
    CLASSIFICATION = "CLASSIFICATION"
    CVE_ID = "CVE_ID"
    EPOCH = "EPOCH"
    MSRC_SEVERITY = "MSRC_SEVERITY"
    NAME = "NAME"
    PATCH_ID = "PATCH_ID"
    PATCH_SET = "PATCH_SET"
    PRIORITY = "PRIORITY"
    PRODUCT = "PRODUCT"
    PRODUCT_FAMILY = "PRODUCT_FAMILY"
    RELEASE = "RELEASE"
    REPOSITORY = "REPOSITORY"
    SECTION = "SECTION"
    SECURITY = "SECURITY"
    SEVERITY = "SEVERITY"
    VERSION = "VERSION"


class ComplianceLevel(StrEnum):
    """Compliance severity reported for missing approved patches."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"
    UNSPECIFIED = "UNSPECIFIED"


class PatchOperation(StrEnum):
    """What the patch run does: report compliance only, or install approved patches."""

    SCAN = "Scan"
    INSTALL = "Install"


class RebootOption(StrEnum):
    """Whether the run reboots after installing (``Reboot`` is not a valid value in SSM)."""

    REBOOT_IF_NEEDED = "RebootIfNeeded"
    NO_REBOOT = "NoReboot"


class ScheduleKind(StrEnum):
    """Which expression form a schedule uses."""

    CRON = "cron"
    RATE = "rate"
    AT = "at"
    UNRESOLVED = "unresolved"


class HookPlatform(StrEnum):
    """An instance platform a bundled app hook has a step for (the step's ``platformType`` precondition)."""

    LINUX = "Linux"
    WINDOWS = "Windows"
