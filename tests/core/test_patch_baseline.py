"""PatchBaseline, ApprovalRule, PatchFilter and PatchSource."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk.assertions import Annotations as AssertionsAnnotations
from aws_cdk.assertions import Match

from constructs_lib import (
    ApprovalRule,
    ComplianceLevel,
    OperatingSystem,
    PatchBaseline,
    PatchFilter,
    PatchFilterKey,
    PatchSource,
    RejectedPatchesAction,
    SecurityUpdatesComplianceStatus,
)
from tests.builders import template

BASELINE = "AWS::SSM::PatchBaseline"
SECURITY = PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=["Security"])


def rule(**overrides: Any) -> ApprovalRule:
    settings: dict[str, Any] = {"approve_after": Duration.days(7), "filters": [SECURITY]}
    settings.update(overrides)
    return ApprovalRule(**settings)


def baseline(stack: Stack, **overrides: Any) -> PatchBaseline:
    settings: dict[str, Any] = {"operating_system": OperatingSystem.AMAZON_LINUX_2023}
    settings.update(overrides)
    return PatchBaseline(stack, "Baseline", **settings)


def test_defines_a_linux_baseline_with_every_setting(stack: Stack) -> None:
    baseline(
        stack,
        approval_rules=[
            rule(
                compliance_level=ComplianceLevel.CRITICAL,
                enable_non_security=True,
                filters=[SECURITY, PatchFilter(key=PatchFilterKey.SEVERITY, values=["Critical"])],
            ),
            ApprovalRule(approve_until=date(2026, 12, 31)),
        ],
        approved_patches=["kernel-6.1.*"],
        approved_patches_compliance_level=ComplianceLevel.HIGH,
        approved_patches_enable_non_security=True,
        rejected_patches=["python2*"],
        rejected_patches_action=RejectedPatchesAction.BLOCK,
        global_filters=[PatchFilter(key=PatchFilterKey.PRODUCT, values=["AmazonLinux2023"])],
        sources=[
            PatchSource(
                name="internal-repo",
                products=["AmazonLinux2023"],
                configuration="[internal]\nname=Internal\nbaseurl=https://repo.example/al2023\nenabled=1",
            )
        ],
        patch_groups=["web", "api"],
        default_baseline=True,
        baseline_name="Web-AL2023",
        description="Web servers",
    )
    template(stack).has_resource_properties(
        BASELINE,
        {
            "Name": "Web-AL2023",
            "OperatingSystem": "AMAZON_LINUX_2023",
            "Description": "Web servers",
            "ApprovalRules": {
                "PatchRules": [
                    {
                        "ApproveAfterDays": 7,
                        "ComplianceLevel": "CRITICAL",
                        "EnableNonSecurity": True,
                        "PatchFilterGroup": {
                            "PatchFilters": [
                                {"Key": "CLASSIFICATION", "Values": ["Security"]},
                                {"Key": "SEVERITY", "Values": ["Critical"]},
                            ]
                        },
                    },
                    {"ApproveUntilDate": "2026-12-31", "PatchFilterGroup": {"PatchFilters": []}},
                ]
            },
            "ApprovedPatches": ["kernel-6.1.*"],
            "ApprovedPatchesComplianceLevel": "HIGH",
            "ApprovedPatchesEnableNonSecurity": True,
            "RejectedPatches": ["python2*"],
            "RejectedPatchesAction": "BLOCK",
            "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["AmazonLinux2023"]}]},
            "Sources": [
                {
                    "Name": "internal-repo",
                    "Products": ["AmazonLinux2023"],
                    "Configuration": "[internal]\nname=Internal\nbaseurl=https://repo.example/al2023\nenabled=1",
                }
            ],
            "PatchGroups": ["web", "api"],
            "DefaultBaseline": True,
        },
    )


def test_defines_a_windows_baseline(stack: Stack) -> None:
    baseline(
        stack,
        operating_system=OperatingSystem.WINDOWS,
        approval_rules=[rule(filters=[PatchFilter(key=PatchFilterKey.MSRC_SEVERITY, values=["Critical"])])],
        available_security_updates_compliance_status=SecurityUpdatesComplianceStatus.NON_COMPLIANT,
    )
    template(stack).has_resource_properties(
        BASELINE, {"OperatingSystem": "WINDOWS", "AvailableSecurityUpdatesComplianceStatus": "NON_COMPLIANT"}
    )


def test_minimal_baseline_omits_optional_properties(stack: Stack) -> None:
    b = baseline(stack)
    props = next(iter(template(stack).find_resources(BASELINE).values()))["Properties"]
    assert set(props) == {"Name", "OperatingSystem"}
    assert stack.resolve(b.baseline_id) == {"Ref": stack.get_logical_id(b.cfn_baseline)}
    assert b.node.default_child is b.cfn_baseline


@pytest.mark.parametrize(
    ("system", "key"),
    [
        (OperatingSystem.UBUNTU, PatchFilterKey.PRIORITY),
        (OperatingSystem.DEBIAN, PatchFilterKey.SECTION),
        (OperatingSystem.MACOS, PatchFilterKey.CLASSIFICATION),
        (OperatingSystem.WINDOWS, PatchFilterKey.PRODUCT_FAMILY),
        (OperatingSystem.REDHAT_ENTERPRISE_LINUX, PatchFilterKey.SEVERITY),
        (OperatingSystem.ROCKY_LINUX, PatchFilterKey.CLASSIFICATION),
    ],
)
def test_accepts_filter_keys_valid_for_the_os(stack: Stack, system: OperatingSystem, key: PatchFilterKey) -> None:
    # Debian and Ubuntu rules approve by their filters alone: no delay.
    delay: dict[str, Any] = (
        {"approve_after": None} if system in (OperatingSystem.UBUNTU, OperatingSystem.DEBIAN) else {}
    )
    baseline(
        stack, operating_system=system, approval_rules=[rule(filters=[PatchFilter(key=key, values=["*"])], **delay)]
    )
    template(stack).resource_count_is(BASELINE, 1)


@pytest.mark.parametrize("system", [OperatingSystem.UBUNTU, OperatingSystem.DEBIAN])
def test_debian_and_ubuntu_rules_approve_by_filters_alone(stack: Stack, system: OperatingSystem) -> None:
    priority = PatchFilter(key=PatchFilterKey.PRIORITY, values=["Required", "Important"])
    baseline(stack, operating_system=system, approval_rules=[ApprovalRule(filters=[priority])])
    (props,) = [r["Properties"] for r in template(stack).find_resources(BASELINE).values()]
    (patch_rule,) = props["ApprovalRules"]["PatchRules"]
    assert "ApproveAfterDays" not in patch_rule
    assert "ApproveUntilDate" not in patch_rule


@pytest.mark.parametrize(
    ("system", "settings", "message"),
    [
        (
            OperatingSystem.UBUNTU,
            {"approve_after": Duration.days(7)},
            r"approval_rules\[0\] may not set approve_after or approve_until for UBUNTU: AWS does not support them "
            r"on Debian or Ubuntu, whose rules approve by their filters alone; remove it",
        ),
        (
            OperatingSystem.DEBIAN,
            {"approve_until": "2026-01-01"},
            r"may not set approve_after or approve_until for DEBIAN",
        ),
        (
            OperatingSystem.AMAZON_LINUX_2023,
            {},
            r"approval_rules\[0\] needs approve_after or approve_until for AMAZON_LINUX_2023 \(only Debian and "
            r"Ubuntu rules approve by their filters alone\)",
        ),
    ],
)
def test_an_approval_delay_follows_the_os(
    stack: Stack, system: OperatingSystem, settings: dict[str, Any], message: str
) -> None:
    filters = [PatchFilter(key=PatchFilterKey.PRODUCT, values=["*"])]
    with pytest.raises(ValueError, match=message):
        baseline(stack, operating_system=system, approval_rules=[ApprovalRule(filters=filters, **settings)])


def test_windows_takes_patch_set_application(stack: Stack) -> None:
    patch_set = PatchFilter(key=PatchFilterKey.PATCH_SET, values=["APPLICATION"])
    baseline(stack, operating_system=OperatingSystem.WINDOWS, approval_rules=[rule(filters=[patch_set])])
    template(stack).resource_count_is(BASELINE, 1)


def test_four_filters_fit_a_rule_and_the_global_filters(stack: Stack) -> None:
    four = [PatchFilter(key=key, values=["*"]) for key in (PatchFilterKey.PRODUCT, PatchFilterKey.CLASSIFICATION)] * 2
    baseline(stack, approval_rules=[rule(filters=four)], global_filters=four)
    template(stack).resource_count_is(BASELINE, 1)


def test_accepts_boundaries(stack: Stack) -> None:
    baseline(
        stack,
        approval_rules=[rule(approve_after=Duration.days(360))] + [rule(approve_after=Duration.days(0))] * 9,
        approved_patches=[f"p{i}" for i in range(50)],
        global_filters=[PatchFilter(key=PatchFilterKey.PRODUCT, values=[f"v{i}" for i in range(20)])],
    )
    template(stack).resource_count_is(BASELINE, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ApprovalRule(approve_after=Duration.days(1), approve_until="2026-01-01"),
            r"provide either approve_after or approve_until, not both",
        ),
        (
            lambda: rule(approve_after=Duration.days(361)),
            r"approve_after must be 0 to 360 days; got approve_after=361 days",
        ),
        (
            lambda: rule(approve_after=Duration.hours(36)),
            r"approve_after must be a whole number of days; got approve_after=36h",
        ),
        (
            lambda: ApprovalRule(approve_until="2026-02-30"),
            r"approve_until must be a real date written YYYY-MM-DD; got approve_until='2026-02-30'",
        ),
        (lambda: ApprovalRule(approve_until="31/12/2026"), r"approve_until must be a real date written YYYY-MM-DD"),
        # API model PatchFilterList: at most 4 (the CloudFormation schema says 5, the create call refuses it).
        (lambda: rule(filters=[SECURITY] * 5), r"filters must hold 0 to 4 items; got 5"),
        (
            lambda: PatchFilter(key=PatchFilterKey.PATCH_SET, values=["OS", "Application"]),
            r"PATCH_SET filter values must be OS or APPLICATION; got 'Application'",
        ),
        (
            lambda: PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=[]),
            r"CLASSIFICATION filter values must hold 1 to 20 items; got 0",
        ),
        (
            lambda: PatchFilter(key=PatchFilterKey.PRODUCT, values=["x"] * 21),
            r"PRODUCT filter values must hold 1 to 20 items; got 21",
        ),
        (
            lambda: PatchFilter(key=PatchFilterKey.PRODUCT, values=["x" * 65]),
            r"PRODUCT filter values item must be 1 to 64 characters long",
        ),
        (lambda: PatchSource(name="ab", products=["p"], configuration="c"), r"sources name must be 3 to 50 characters"),
        (
            lambda: PatchSource(name="repo", products=[], configuration="c"),
            r"sources\['repo'\] products must hold 1 to 20 items",
        ),
        (
            lambda: PatchSource(name="repo", products=["p"], configuration=""),
            r"sources\['repo'\] configuration must be 1 to 1024 characters",
        ),
    ],
)
def test_fails_on_invalid_rule_parts(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


WINDOWS = OperatingSystem.WINDOWS
SOURCE = PatchSource(name="repo", products=["p"], configuration="c")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"approval_rules": [rule()] * 11}, r"approval_rules must hold 0 to 10 items; got 11"),
        ({"global_filters": [SECURITY] * 5}, r"global_filters must hold 0 to 4 items; got 5"),
        (
            {"approval_rules": [rule(filters=[PatchFilter(key=PatchFilterKey.MSRC_SEVERITY, values=["Critical"])])]},
            r"filter key MSRC_SEVERITY is not valid for AMAZON_LINUX_2023; allowed: CLASSIFICATION, PRODUCT, SEVERITY",
        ),
        (
            {"operating_system": OperatingSystem.UBUNTU, "global_filters": [SECURITY]},
            r"filter key CLASSIFICATION is not valid for UBUNTU; allowed: PRIORITY, PRODUCT, SECTION",
        ),
        (
            {
                "operating_system": WINDOWS,
                "approval_rules": [rule(filters=[PatchFilter(key=PatchFilterKey.SEVERITY, values=["x"])])],
            },
            r"filter key SEVERITY is not valid for WINDOWS",
        ),
        (
            {"operating_system": WINDOWS, "approval_rules": [rule(enable_non_security=True)]},
            r"enable_non_security applies to Linux only; got operating_system=WINDOWS",
        ),
        (
            {"operating_system": WINDOWS, "sources": [SOURCE]},
            r"sources apply to Linux only; got operating_system=WINDOWS",
        ),
        (
            {"operating_system": OperatingSystem.MACOS, "approved_patches_enable_non_security": True},
            r"approved_patches_enable_non_security applies to Linux only; got operating_system=MACOS",
        ),
        (
            {"available_security_updates_compliance_status": SecurityUpdatesComplianceStatus.COMPLIANT},
            r"available_security_updates_compliance_status applies to Windows only; got operating_system=AMAZON_LINUX_2023",
        ),
        ({"approved_patches": ["p"] * 51}, r"approved_patches must hold 0 to 50 items; got 51"),
        ({"rejected_patches": ["x" * 101]}, r"rejected_patches must be 1 to 100 characters long; got 101"),
        ({"sources": [SOURCE] * 21}, r"sources must hold 0 to 20 items; got 21"),
        ({"patch_groups": ["web", "web"]}, r"patch_groups must not repeat a value; got 'web' twice"),
        ({"patch_groups": ["x" * 257]}, r"patch_groups must be 1 to 256 characters long; got 257"),
        ({"patch_groups": ["web;prod"]}, r"patch_groups may contain only letters, digits, spaces .* with ';'"),
        ({"baseline_name": "my baseline"}, r"baseline_name must be 3 to 128 characters"),
        ({"description": "x" * 1025}, r"description must be 1 to 1024 characters long"),
    ],
)
def test_fails_on_invalid_baseline(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        baseline(stack, **overrides)


def test_tokens_are_passed_through_unchecked(stack: Stack) -> None:
    days = CfnParameter(stack, "Days", type="Number").value_as_number
    group = CfnParameter(stack, "Group").value_as_string
    until = CfnParameter(stack, "Until").value_as_string
    baseline(
        stack,
        approval_rules=[rule(approve_after=Duration.days(days)), ApprovalRule(approve_until=until)],
        patch_groups=[group],
        baseline_name=CfnParameter(stack, "Name").value_as_string,
    )
    template(stack).has_resource_properties(
        BASELINE,
        {
            "Name": {"Ref": "Name"},
            "PatchGroups": [{"Ref": "Group"}],
            "ApprovalRules": {
                "PatchRules": [
                    {
                        "ApproveAfterDays": {"Ref": "Days"},
                        "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                    },
                    {"ApproveUntilDate": {"Ref": "Until"}, "PatchFilterGroup": {"PatchFilters": []}},
                ]
            },
        },
    )


def test_from_patch_baseline_id(stack: Stack) -> None:
    existing = PatchBaseline.from_patch_baseline_id(stack, "Existing", "pb-0123456789abcdef0")
    assert existing.baseline_id == "pb-0123456789abcdef0"
    arn = "arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-0123456789abcdef0"
    assert PatchBaseline.from_patch_baseline_id(stack, "ByArn", arn).baseline_id == arn
    template(stack).resource_count_is(BASELINE, 0)


def test_fails_on_invalid_baseline_id(stack: Stack) -> None:
    with pytest.raises(
        ValueError, match=r"baseline_id must be a baseline ID \(pb-...\) or ARN.*; got baseline_id='pb-1'"
    ):
        PatchBaseline.from_patch_baseline_id(stack, "Existing", "pb-1")


def _rule(operating_system: OperatingSystem, patch_filter: PatchFilter) -> ApprovalRule:
    if operating_system is OperatingSystem.UBUNTU:
        return ApprovalRule(filters=[patch_filter])
    return ApprovalRule(approve_after=Duration.days(7), filters=[patch_filter])


def _filter_warnings(stack: Stack) -> list[str]:
    found = AssertionsAnnotations.from_stack(stack).find_warning("*", Match.string_like_regexp("selects nothing"))
    return [str(message.entry.data) for message in found]


@pytest.mark.parametrize(
    ("operating_system", "key", "value", "nearest"),
    [
        (OperatingSystem.AMAZON_LINUX_2023, PatchFilterKey.SEVERITY, "Critcal", "Critical"),
        (OperatingSystem.AMAZON_LINUX_2023, PatchFilterKey.CLASSIFICATION, "Bugfixes", "Bugfix"),
        (OperatingSystem.WINDOWS, PatchFilterKey.CLASSIFICATION, "SecurityUpdate", "SecurityUpdates"),
        (OperatingSystem.WINDOWS, PatchFilterKey.MSRC_SEVERITY, "Importnat", "Important"),
        (OperatingSystem.UBUNTU, PatchFilterKey.PRIORITY, "Requried", "Required"),
    ],
)
def test_a_filter_value_no_known_value_matches_is_a_synth_warning_with_the_nearest(
    stack: Stack, operating_system: OperatingSystem, key: PatchFilterKey, value: str, nearest: str
) -> None:
    PatchBaseline(
        stack,
        "Baseline",
        operating_system=operating_system,
        approval_rules=[_rule(operating_system, PatchFilter(key=key, values=[nearest, value]))],
    )
    (warning,) = _filter_warnings(stack)
    assert f"{key.value} filter value {value!r} matches no {key.value} value of {operating_system.value}" in warning
    assert f"did you mean {nearest!r}?" in warning


@pytest.mark.parametrize(
    ("operating_system", "key", "values"),
    [
        (OperatingSystem.AMAZON_LINUX_2023, PatchFilterKey.SEVERITY, ["Critical", "Important", "*"]),
        (OperatingSystem.REDHAT_ENTERPRISE_LINUX, PatchFilterKey.SEVERITY, ["Moderate"]),
        (OperatingSystem.WINDOWS, PatchFilterKey.CLASSIFICATION, ["CriticalUpdates", "SecurityUpdates"]),
        (OperatingSystem.UBUNTU, PatchFilterKey.PRIORITY, ["Required", "Important"]),
        (OperatingSystem.AMAZON_LINUX_2023, PatchFilterKey.PRODUCT, ["AmazonLinux2023.anything"]),
    ],
)
def test_known_values_and_open_ended_keys_warn_of_nothing(
    stack: Stack, operating_system: OperatingSystem, key: PatchFilterKey, values: list[str]
) -> None:
    PatchBaseline(
        stack,
        "Baseline",
        operating_system=operating_system,
        approval_rules=[_rule(operating_system, PatchFilter(key=key, values=values))],
    )
    assert _filter_warnings(stack) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"approved_patches_compliance_level": ComplianceLevel.HIGH},
            r"approved_patches_compliance_level needs approved_patches: without it, .* does nothing",
        ),
        (
            {"approved_patches_enable_non_security": True},
            r"approved_patches_enable_non_security needs approved_patches",
        ),
        (
            {"rejected_patches_action": RejectedPatchesAction.BLOCK},
            r"rejected_patches_action needs rejected_patches",
        ),
    ],
)
def test_a_keyword_that_does_nothing_without_its_list_is_refused(
    stack: Stack, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PatchBaseline(stack, "Baseline", operating_system=OperatingSystem.AMAZON_LINUX_2023, **settings)


def test_the_same_keywords_with_their_lists_are_taken(stack: Stack) -> None:
    PatchBaseline(
        stack,
        "Baseline",
        operating_system=OperatingSystem.AMAZON_LINUX_2023,
        approved_patches=["kernel"],
        approved_patches_compliance_level=ComplianceLevel.HIGH,
        approved_patches_enable_non_security=True,
        rejected_patches=["telnet"],
        rejected_patches_action=RejectedPatchesAction.BLOCK,
    )
