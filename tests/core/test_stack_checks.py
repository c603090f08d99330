"""Checks across constructs: conflicts in one account and region, and CloudFormation's limits on by default."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnWaitConditionHandle, DefaultStackSynthesizer, Duration, Environment, Stack

from constructs_lib import OperatingSystem, PatchBaseline, PatchBaselineOptions, PatchWorkflow, WindowSchedule
from tests.builders import hook, new_app

HERE = Environment(account="123456789012", region="us-east-1")


def _stack(app: App, stack_id: str, env: Environment | None = HERE) -> Stack:
    return Stack(app, stack_id, env=env, synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False))


def _baseline(stack: Stack, construct_id: str, **settings: Any) -> PatchBaseline:
    settings.setdefault("operating_system", OperatingSystem.AMAZON_LINUX_2023)
    return PatchBaseline(stack, construct_id, approved_patches=["kernel"], **settings)


def test_a_patch_group_with_two_baselines_of_one_os_is_refused_naming_both() -> None:
    app = new_app()
    _baseline(_stack(app, "A"), "Web", patch_groups=["web"])
    with pytest.raises(
        ValueError,
        match=r"patch_groups: patch group 'web' already has a AMAZON_LINUX_2023 baseline in account 123456789012 "
        r"region us-east-1 \(A/Web\), so B/Other can't have it: a patch group holds one baseline per operating system",
    ):
        _baseline(_stack(app, "B"), "Other", patch_groups=["db", "web"])


def test_a_patch_group_holds_one_baseline_per_os_and_groups_are_apart() -> None:
    app = new_app()
    stack = _stack(app, "A")
    _baseline(stack, "Linux", patch_groups=["web"])
    _baseline(stack, "Windows", patch_groups=["web"], operating_system=OperatingSystem.WINDOWS)
    _baseline(stack, "Db", patch_groups=["db"])
    _baseline(
        _stack(app, "Ireland", Environment(account="123456789012", region="eu-west-1")), "Web", patch_groups=["web"]
    )
    _baseline(
        _stack(app, "Other", Environment(account="210987654321", region="us-east-1")), "Web", patch_groups=["web"]
    )


def test_environment_agnostic_stacks_may_go_to_different_accounts_so_only_one_stack_is_checked() -> None:
    app = new_app()
    _baseline(_stack(app, "A", env=None), "Web", patch_groups=["web"])
    second = _stack(app, "B", env=None)
    _baseline(second, "Web", patch_groups=["web"])
    with pytest.raises(ValueError, match=r"already has a AMAZON_LINUX_2023 baseline in stack B \(B/Web\)"):
        _baseline(second, "Again", patch_groups=["web"])


def test_two_workflows_registering_one_group_to_two_baselines_are_refused() -> None:
    stack = _stack(new_app(), "A")
    settings: dict[str, Any] = {
        "schedule": WindowSchedule.cron("0 3 ? * SUN *"),
        "duration": Duration.hours(3),
        "patch_groups": ["web"],
        "baselines": [PatchBaselineOptions(operating_system=OperatingSystem.UBUNTU)],
    }
    PatchWorkflow(stack, "Web", **settings)
    with pytest.raises(ValueError, match=r"patch_groups: patch group 'web' already has a UBUNTU baseline"):
        PatchWorkflow(stack, "WebAgain", **settings)


def test_a_second_default_baseline_for_one_os_is_refused() -> None:
    app = new_app()
    _baseline(_stack(app, "A"), "Default", default_baseline=True)
    _baseline(_stack(app, "A2"), "WindowsDefault", default_baseline=True, operating_system=OperatingSystem.WINDOWS)
    with pytest.raises(
        ValueError,
        match=r"default_baseline: AMAZON_LINUX_2023 already has a default baseline in account 123456789012 region "
        r"us-east-1 \(A/Default\), so B/Default can't have it: one default baseline per operating system",
    ):
        _baseline(_stack(app, "B"), "Default", default_baseline=True)


def test_a_document_name_used_twice_in_one_account_and_region_is_refused() -> None:
    app = new_app()
    second = _stack(app, "B")
    hook(_stack(app, "A"), "Stop", document_name="Patching-Stop")
    hook(second, "Start", document_name="Patching-Start")
    hook(
        _stack(app, "Ireland", Environment(account="123456789012", region="eu-west-1")),
        "Stop",
        document_name="Patching-Stop",
    )
    with pytest.raises(
        ValueError,
        match=r"document_name 'Patching-Stop' is already used in account 123456789012 region us-east-1 \(A/Stop\), "
        r"so B/Stop can't have it: document names are unique per account and region",
    ):
        hook(second, "Stop", document_name="Patching-Stop")


def test_every_stack_holding_these_constructs_is_held_to_cloudformations_limits() -> None:
    app = new_app()
    full = _stack(app, "Full")
    hook(full, "Hook")
    for index in range(500):  # 501 resources with the document
        CfnWaitConditionHandle(full, f"Filler{index}")
    with pytest.raises(RuntimeError, match=r"stack Full holds 501 resources; CloudFormation allows 500"):
        app.synth()


def test_a_stack_at_the_limit_synthesizes() -> None:
    app = new_app()
    stack = _stack(app, "Full")
    hook(stack, "Hook")
    for index in range(499):
        CfnWaitConditionHandle(stack, f"Filler{index}")
    app.synth()


def test_a_patch_fleet_in_an_environment_moves_a_group_without_clashing_with_itself() -> None:
    # PatchFleet defines a group, removes it when it does not fit, and defines it again in the next stack.
    from constructs_lib import ApprovalRule, PatchFleet, WindowSchedule

    fleet = PatchFleet(new_app(), "Fleet", stack_name_prefix="acme", env=HERE, resources_per_stack=10)
    for index in range(3):
        fleet.add_group(
            f"Group{index}",
            schedule=WindowSchedule.cron("0 3 ? * SUN *"),
            duration=Duration.hours(3),
            patch_groups=[f"group-{index}"],
            baselines=[
                PatchBaselineOptions(
                    operating_system=OperatingSystem.AMAZON_LINUX_2023,
                    approval_rules=[ApprovalRule(approve_after=Duration.days(7))],
                )
            ],
        )
    assert len(fleet.group_stacks) >= 2


def test_resources_of_a_nested_stack_count_in_its_own_template_not_its_parents() -> None:
    from aws_cdk import NestedStack

    app = new_app()
    parent = _stack(app, "Parent")
    hook(parent, "Hook")
    nested = NestedStack(parent, "Nested")
    for index in range(300):
        CfnWaitConditionHandle(parent, f"Filler{index}")
        CfnWaitConditionHandle(nested, f"Filler{index}")
    app.synth()  # 302 in the parent, 300 in the nested stack: both within 500
