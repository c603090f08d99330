"""PatchBaseline: which patches are approved for one operating system, and for which patch groups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, Required, TypedDict, runtime_checkable

from aws_cdk import Annotations, Duration, Names
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal.rules import (
    APPROVE_AFTER_DAYS_RANGE,
    MAX_PATCH_FILTERS,
    check_approval_delay,
    check_count,
    check_filter_keys,
    check_filter_values,
    check_length,
    check_needs,
    check_patch_groups,
    check_pattern,
    check_resource_name,
    fail,
    unknown_filter_values,
)
from .._internal.typecheck import check_fields, typed
from .._internal.validation import is_unresolved, whole_units
from .._internal.vocabulary import ComplianceLevel, OperatingSystem, PatchFilterKey
from .stack_checks import claim_default_baseline, claim_patch_groups, watch

__all__ = [
    "ApprovalRule",
    "ComplianceLevel",
    "IPatchBaseline",
    "OperatingSystem",
    "PatchBaseline",
    "PatchBaselineOptions",
    "PatchFilter",
    "PatchFilterKey",
    "PatchSource",
    "RejectedPatchesAction",
    "SecurityUpdatesComplianceStatus",
]


class RejectedPatchesAction(StrEnum):
    """What happens to rejected patches that other packages depend on."""

    ALLOW_AS_DEPENDENCY = "ALLOW_AS_DEPENDENCY"
    BLOCK = "BLOCK"


class SecurityUpdatesComplianceStatus(StrEnum):
    """How available but unapproved security updates are reported (Windows Server only)."""

    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"


_SOURCE_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,50}$")
_UNTIL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BASELINE_ID = re.compile(r"^[a-zA-Z0-9_\-:/]{20,128}$")


@dataclass(frozen=True, kw_only=True)
class PatchFilter:
    """One patch filter: a key and 1 to 20 values (each 1 to 64 characters; ``*`` matches all)."""

    key: PatchFilterKey
    values: Sequence[str]

    def __post_init__(self) -> None:
        check_fields(self)
        object.__setattr__(self, "values", tuple(self.values))
        check_count(f"{self.key.value} filter values", self.values, 1, 20)
        for value in self.values:
            check_length(f"{self.key.value} filter values item", value, 1, 64)
        check_filter_values(self.key, self.values)

    def to_cfn(self) -> ssm.CfnPatchBaseline.PatchFilterProperty:
        """The CloudFormation property."""
        return ssm.CfnPatchBaseline.PatchFilterProperty(key=self.key.value, values=list(self.values))


@dataclass(frozen=True, kw_only=True)
class ApprovalRule:
    """An auto-approval rule: patches matching all filters are approved after a delay or up to a date.

    Args:
        approve_after: how long after release a patch is approved, whole days from 0 to 360.
            Default: none; give one of approve_after and approve_until, except for Debian and Ubuntu,
            whose rules approve by their filters alone and take neither.
        approve_until: approve patches released up to this date (a date or "YYYY-MM-DD").
            Default: none; see approve_after.
        compliance_level: severity reported when an approved patch is missing. Default: UNSPECIFIED.
        enable_non_security: also install non-security updates from the repositories (Linux only).
            Default: False, security updates only.
        filters: up to 4 filters, all of which a patch must match. Default: no filter, every patch.
    """

    approve_after: Duration | None = None
    approve_until: date | str | None = None
    compliance_level: ComplianceLevel | None = None
    enable_non_security: bool = False
    filters: Sequence[PatchFilter] = ()
    # approve_after in whole days, converted once: a rule shared by many baselines costs no jsii call each.
    _approve_after_days: int | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        check_fields(self)
        object.__setattr__(self, "filters", tuple(self.filters))
        if self.approve_after is not None and self.approve_until is not None:
            fail(
                "provide either approve_after or approve_until, not both; got "
                f"approve_after={self.approve_after and self.approve_after.to_human_string()}, "
                f"approve_until={self.approve_until}"
            )
        days = whole_units("approve_after", self.approve_after, "days")
        object.__setattr__(self, "_approve_after_days", days)
        low, high = APPROVE_AFTER_DAYS_RANGE
        if days is not None and not is_unresolved(days) and not low <= days <= high:
            fail(f"approve_after must be {low} to {high} days; got approve_after={days} days")
        if isinstance(self.approve_until, datetime):
            # A datetime is a date to Python, but ApproveUntilDate holds YYYY-MM-DD only (PatchStringDateTime).
            fail(f"approve_until must be a date, not a datetime; got approve_until={self.approve_until.isoformat()}")
        if isinstance(self.approve_until, str):
            _check_until_date(self.approve_until)
        check_count("filters", self.filters, 0, MAX_PATCH_FILTERS)

    @property
    def dated(self) -> bool:
        """The rule approves after a delay or up to a date (not by its filters alone)."""
        return self.approve_after is not None or self.approve_until is not None

    @property
    def approve_until_text(self) -> str | None:
        """approve_until as YYYY-MM-DD."""
        if isinstance(self.approve_until, date):
            return self.approve_until.isoformat()
        return self.approve_until

    def to_cfn(self) -> ssm.CfnPatchBaseline.RuleProperty:
        """The CloudFormation property."""
        return ssm.CfnPatchBaseline.RuleProperty(
            approve_after_days=self._approve_after_days,
            approve_until_date=self.approve_until_text,
            compliance_level=self.compliance_level.value if self.compliance_level else None,
            enable_non_security=self.enable_non_security or None,
            patch_filter_group=ssm.CfnPatchBaseline.PatchFilterGroupProperty(
                patch_filters=[f.to_cfn() for f in self.filters]
            ),
        )


@dataclass(frozen=True, kw_only=True)
class PatchSource:
    """An alternative package repository for Linux patching (a yum/dnf repo definition).

    Args:
        name: 3 to 50 characters from a-z, A-Z, 0-9, _, - and .
        products: 1 to 20 OS versions the source applies to, e.g. "AmazonLinux2023".
        configuration: the repository definition in yum .repo ini format, 1 to 1024 characters.
    """

    name: str
    products: Sequence[str]
    configuration: str

    def __post_init__(self) -> None:
        check_fields(self)
        object.__setattr__(self, "products", tuple(self.products))
        check_pattern("sources name", self.name, _SOURCE_NAME, "3 to 50 characters from a-z, A-Z, 0-9, _, - and .")
        check_count(f"sources[{self.name!r}] products", self.products, 1, 20)
        for product in self.products:  # API model shape PatchSourceProduct
            check_length(f"sources[{self.name!r}] products", product, 1, 128)
        check_length(f"sources[{self.name!r}] configuration", self.configuration, 1, 1024)

    def to_cfn(self) -> ssm.CfnPatchBaseline.PatchSourceProperty:
        """The CloudFormation property."""
        return ssm.CfnPatchBaseline.PatchSourceProperty(
            name=self.name, products=list(self.products), configuration=self.configuration
        )


class PatchBaselineOptions(TypedDict, total=False):
    """The keywords of PatchBaseline, for constructs that define baselines for you (PatchWorkflow).

    Build one like a call: ``PatchBaselineOptions(operating_system=..., approval_rules=[...])``.
    """

    operating_system: Required[OperatingSystem]
    approval_rules: Sequence[ApprovalRule]
    approved_patches: Sequence[str]
    approved_patches_compliance_level: ComplianceLevel | None
    approved_patches_enable_non_security: bool
    rejected_patches: Sequence[str]
    rejected_patches_action: RejectedPatchesAction | None
    global_filters: Sequence[PatchFilter]
    sources: Sequence[PatchSource]
    patch_groups: Sequence[str]
    default_baseline: bool
    available_security_updates_compliance_status: SecurityUpdatesComplianceStatus | None
    baseline_name: str | None
    description: str | None


@runtime_checkable
class IPatchBaseline(Protocol):
    """Anything that identifies a patch baseline."""

    @property
    def baseline_id(self) -> str:
        """The baseline ID (a CloudFormation reference for baselines defined in the stack)."""
        ...


class PatchBaseline(Construct):
    """Defines a patch baseline for one operating system, optionally registered to patch groups.

    Instances tagged ``PatchGroup=<group>`` (or ``Patch Group``) use the baseline registered for their
    group and OS; untagged instances, and groups with no baseline for their OS, use the OS default
    baseline. A patch group holds one baseline per OS.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        operating_system: OperatingSystem,
        approval_rules: Sequence[ApprovalRule] = (),
        approved_patches: Sequence[str] = (),
        approved_patches_compliance_level: ComplianceLevel | None = None,
        approved_patches_enable_non_security: bool = False,
        rejected_patches: Sequence[str] = (),
        rejected_patches_action: RejectedPatchesAction | None = None,
        global_filters: Sequence[PatchFilter] = (),
        sources: Sequence[PatchSource] = (),
        patch_groups: Sequence[str] = (),
        default_baseline: bool = False,
        available_security_updates_compliance_status: SecurityUpdatesComplianceStatus | None = None,
        baseline_name: str | None = None,
        description: str | None = None,
    ) -> None:
        """Define the baseline.

        Args:
            operating_system: the OS whose patches the baseline governs (changing it replaces the baseline).
            approval_rules: up to 10 auto-approval rules. Default: none, only approved_patches are approved.
            approved_patches: up to 50 patch names or IDs always approved. Default: none.
            approved_patches_compliance_level: severity for missing approved_patches. Default: UNSPECIFIED.
            approved_patches_enable_non_security: let approved_patches include non-security updates (Linux only).
                Default: False.
            rejected_patches: up to 50 patch names or IDs never approved. Default: none.
            rejected_patches_action: whether rejected patches may install as dependencies.
                Default: ALLOW_AS_DEPENDENCY.
            global_filters: up to 4 filters every patch must match first. Default: none.
            sources: up to 20 alternative repositories (Linux only). Default: the instance's own repositories.
            patch_groups: patch groups this baseline serves (1 to 256 characters each). Default: none;
                the baseline applies only if it is the default baseline.
            default_baseline: make this the default baseline for its OS in the account and region.
                Default: False, the current default stays.
            available_security_updates_compliance_status: how available but unapproved security updates
                are reported (Windows only). Default: the service's behaviour, reported as compliant.
            baseline_name: the baseline name. Default: a unique name derived from the construct path.
            description: the baseline description, 1 to 1024 characters. Default: no description.
        """
        super().__init__(scope, construct_id)
        self.operating_system = operating_system
        self.patch_groups: tuple[str, ...] = tuple(patch_groups)
        self.default_baseline = default_baseline
        _check_rules_for_os(operating_system, approval_rules, global_filters)
        _check_linux_only(operating_system, sources, approved_patches_enable_non_security)
        for keyword, given in (
            ("approved_patches_compliance_level", approved_patches_compliance_level is not None),
            ("approved_patches_enable_non_security", approved_patches_enable_non_security),
        ):
            check_needs(keyword, given, "approved_patches", bool(approved_patches))
        check_needs(
            "rejected_patches_action", rejected_patches_action is not None, "rejected_patches", bool(rejected_patches)
        )
        if available_security_updates_compliance_status and operating_system is not OperatingSystem.WINDOWS:
            fail(
                "available_security_updates_compliance_status applies to Windows only; got "
                f"operating_system={operating_system.value}"
            )
        for keyword, patches in (
            ("approved_patches", approved_patches),
            ("rejected_patches", rejected_patches),
        ):
            check_count(keyword, patches, 0, 50)
            for patch in patches:
                check_length(keyword, patch, 1, 100)
        check_count("sources", sources, 0, 20)
        check_patch_groups(self.patch_groups)
        check_resource_name("baseline_name", baseline_name)
        check_length("description", description, 1, 1024)
        _warn_unknown_filter_values(self, operating_system, approval_rules, global_filters)
        watch(self)
        claim_patch_groups(self, operating_system, list(self.patch_groups))
        if default_baseline:
            claim_default_baseline(self, operating_system)

        self.cfn_baseline = ssm.CfnPatchBaseline(
            self,
            "Resource",
            name=baseline_name or Names.unique_resource_name(self, max_length=128),
            operating_system=operating_system.value,
            description=description,
            approval_rules=ssm.CfnPatchBaseline.RuleGroupProperty(
                patch_rules=[rule.to_cfn() for rule in approval_rules]
            )
            if approval_rules
            else None,
            global_filters=ssm.CfnPatchBaseline.PatchFilterGroupProperty(
                patch_filters=[f.to_cfn() for f in global_filters]
            )
            if global_filters
            else None,
            approved_patches=list(approved_patches) or None,
            approved_patches_compliance_level=(
                approved_patches_compliance_level.value if approved_patches_compliance_level else None
            ),
            approved_patches_enable_non_security=approved_patches_enable_non_security or None,
            rejected_patches=list(rejected_patches) or None,
            rejected_patches_action=rejected_patches_action.value if rejected_patches_action else None,
            sources=[source.to_cfn() for source in sources] or None,
            patch_groups=list(self.patch_groups) or None,
            default_baseline=default_baseline or None,
            available_security_updates_compliance_status=(
                available_security_updates_compliance_status.value
                if available_security_updates_compliance_status
                else None
            ),
        )

    @property
    def baseline_id(self) -> str:
        """The baseline ID (a CloudFormation Ref)."""
        return self.cfn_baseline.ref

    @staticmethod
    @typed
    def from_patch_baseline_id(scope: Construct, construct_id: str, baseline_id: str) -> IPatchBaseline:
        """Reference a baseline that exists outside this stack by its ID (``pb-...``) or ARN."""
        return _ImportedPatchBaseline(scope, construct_id, baseline_id=baseline_id)


class _ImportedPatchBaseline(Construct):
    """A patch baseline defined outside this stack."""

    def __init__(self, scope: Construct, construct_id: str, *, baseline_id: str) -> None:
        """Reference the baseline; nothing is defined in the template."""
        super().__init__(scope, construct_id)
        check_pattern("baseline_id", baseline_id, _BASELINE_ID, "a baseline ID (pb-...) or ARN, 20 to 128 characters")
        self._baseline_id = baseline_id

    @property
    def baseline_id(self) -> str:
        """The baseline ID as given."""
        return self._baseline_id


def _check_until_date(text: str) -> None:
    if is_unresolved(text):
        return
    try:
        if not _UNTIL_DATE.fullmatch(text):
            raise ValueError(text)
        date.fromisoformat(text)
    except ValueError:
        fail(f"approve_until must be a real date written YYYY-MM-DD; got approve_until={text!r}")


def _check_rules_for_os(
    operating_system: OperatingSystem, rules: Sequence[ApprovalRule], global_filters: Sequence[PatchFilter]
) -> None:
    check_count("approval_rules", rules, 0, 10)
    check_count("global_filters", global_filters, 0, MAX_PATCH_FILTERS)
    for index, rule in enumerate(rules):
        check_approval_delay(operating_system, rule.dated, f"approval_rules[{index}]")
    filters = [f for rule in rules for f in rule.filters] + list(global_filters)
    check_filter_keys(operating_system, [patch_filter.key for patch_filter in filters], "filter key")
    if not operating_system.is_linux and any(rule.enable_non_security for rule in rules):
        fail(f"enable_non_security applies to Linux only; got operating_system={operating_system.value}")


def _warn_unknown_filter_values(
    baseline: Construct,
    operating_system: OperatingSystem,
    rules: Sequence[ApprovalRule],
    global_filters: Sequence[PatchFilter],
) -> None:
    """A synth warning per filter value no known value matches (a typo such as Critcal selects nothing)."""
    filters = [f for rule in rules for f in rule.filters] + list(global_filters)
    for patch_filter in filters:
        for line in unknown_filter_values(operating_system, patch_filter.key, patch_filter.values):
            Annotations.of(baseline).add_warning_v2("constructs-lib:unknown-filter-value", line)


def _check_linux_only(
    operating_system: OperatingSystem, sources: Sequence[PatchSource], approved_non_security: bool
) -> None:
    if operating_system.is_linux:
        return
    if sources:
        fail(f"sources apply to Linux only; got operating_system={operating_system.value}")
    if approved_non_security:
        fail(
            f"approved_patches_enable_non_security applies to Linux only; got operating_system={operating_system.value}"
        )
