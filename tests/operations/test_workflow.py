"""PatchWorkflow: the one-statement L3."""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

import pytest
from aws_cdk import Duration, Stack

from constructs_lib import (
    ApprovalRule,
    HookDocument,
    HookScript,
    LifecycleHooks,
    OperatingSystem,
    PatchBaseline,
    PatchBaselineOptions,
    PatchWorkflow,
    ScriptLanguage,
    WindowSchedule,
    WindowTargets,
)
from tests.builders import hook, template, workflow

WEEKLY = WindowSchedule.cron("0 3 ? * SUN *")


def test_minimal_workflow_targets_its_patch_group(stack: Stack) -> None:
    wf = workflow(stack)
    t = template(stack)
    t.resource_count_is("AWS::SSM::MaintenanceWindow", 1)
    t.resource_count_is("AWS::SSM::PatchBaseline", 0)
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget", {"Targets": [{"Key": "tag:PatchGroup", "Values": ["web"]}]}
    )
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTask",
        {
            "Name": "Web-Patch",
            "TaskArn": "AWS-RunPatchBaselineWithHooks",
            "Targets": [{"Key": "WindowTargetIds", "Values": [{"Ref": stack.get_logical_id(wf.targets.cfn_target)}]}],
        },
    )
    assert wf.task.window is wf.window
    assert wf.baselines == ()


def test_defines_baselines_registered_to_the_patch_groups(stack: Stack) -> None:
    pre = hook(stack, "Pre", windows=HookScript.inline("Write-Output hook", language=ScriptLanguage.POWERSHELL))
    wf = workflow(
        stack,
        patch_groups=["web", "api"],
        baselines=[
            PatchBaselineOptions(operating_system=OperatingSystem.WINDOWS),
            PatchBaselineOptions(
                operating_system=OperatingSystem.AMAZON_LINUX_2023,
                approval_rules=[ApprovalRule(approve_after=Duration.days(3))],
            ),
        ],
        hooks=LifecycleHooks(pre_install=pre),
        schedule_timezone="Europe/Berlin",
        max_concurrency="5",
        window_name="Web-Weekly",
        task_name="WebPatching",
    )
    assert [b.operating_system for b in wf.baselines] == [OperatingSystem.AMAZON_LINUX_2023, OperatingSystem.WINDOWS]
    assert [b.node.id for b in wf.baselines] == ["BaselineAmazonLinux2023", "BaselineWindows"]
    t = template(stack)
    for system in ("AMAZON_LINUX_2023", "WINDOWS"):
        t.has_resource_properties("AWS::SSM::PatchBaseline", {"OperatingSystem": system, "PatchGroups": ["web", "api"]})
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindow", {"Name": "Web-Weekly", "ScheduleTimezone": "Europe/Berlin"}
    )
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget", {"Targets": [{"Key": "tag:PatchGroup", "Values": ["web", "api"]}]}
    )
    t.has_resource_properties("AWS::SSM::MaintenanceWindowTask", {"Name": "WebPatching", "MaxConcurrency": "5"})


def test_explicit_targets_and_default_baseline(stack: Stack) -> None:
    workflow(
        stack,
        patch_groups=[],
        targets=WindowTargets.from_instance_ids(["i-0123456789abcdef0"]),
        baselines=[PatchBaselineOptions(operating_system=OperatingSystem.UBUNTU, default_baseline=True)],
    )
    t = template(stack)
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget", {"Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]}
    )
    t.has_resource_properties("AWS::SSM::PatchBaseline", {"OperatingSystem": "UBUNTU", "DefaultBaseline": True})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"patch_groups": []}, r"provide targets or patch_groups; the workflow needs instances to patch"),
        (
            {"baselines": [PatchBaselineOptions(operating_system=OperatingSystem.WINDOWS)] * 2},
            r"baselines must hold one baseline per operating system; got WINDOWS twice",
        ),
        (
            {"baselines": [PatchBaselineOptions(operating_system=OperatingSystem.WINDOWS, patch_groups=["x"])]},
            r"baselines must not set patch_groups; the workflow registers them to its own patch_groups",
        ),
        (
            {
                "patch_groups": [],
                "targets": WindowTargets.from_tag_keys(["PatchMe"]),
                "baselines": [PatchBaselineOptions(operating_system=OperatingSystem.WINDOWS)],
            },
            r"baselines WINDOWS would apply to no instance: give the workflow patch_groups or make it a default_baseline",
        ),
        ({"cutoff": Duration.hours(3)}, r"cutoff must be shorter than duration; got cutoff=3h, duration=3h"),
    ],
)
def test_fails_on_invalid_workflow(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workflow(stack, **overrides)


def test_patch_baseline_options_match_the_constructor() -> None:
    keywords = set(inspect.signature(PatchBaseline.__init__).parameters) - {"self", "scope", "construct_id"}
    assert set(get_type_hints(PatchBaselineOptions)) == keywords


def test_scan_run_beside_the_install_run(stack: Stack) -> None:
    from constructs_lib import CommandOutput, PatchNotifications

    output = CommandOutput(stack, "Output")
    notifications = PatchNotifications(stack, "Notify")
    wf = workflow(
        stack,
        scan_schedule=WindowSchedule.cron("0 1 ? * * *"),
        hooks=LifecycleHooks(pre_install=hook(stack)),
        output=output,
        notifications=notifications,
        schedule_timezone="Europe/Berlin",
    )
    assert wf.scan_window is not None
    assert wf.scan_task is not None
    t = template(stack)
    t.resource_count_is("AWS::SSM::MaintenanceWindow", 2)
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindow",
        {"Schedule": "cron(0 1 ? * * *)", "Duration": 1, "Cutoff": 0, "ScheduleTimezone": "Europe/Berlin"},
    )
    tasks = {
        task["Properties"]["Name"]: task["Properties"]
        for task in t.find_resources("AWS::SSM::MaintenanceWindowTask").values()
    }
    scan = tasks["Web-Scan"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]
    install = tasks["Web-Patch"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]
    assert scan["Parameters"] == {"Operation": ["Scan"], "RebootOption": ["RebootIfNeeded"]}
    assert "PreInstallHookDocName" in install["Parameters"]
    assert scan["OutputS3KeyPrefix"] == "patching/TestStack/Web/ScanWindow/Scan"
    assert install["OutputS3KeyPrefix"] == "patching/TestStack/Web/Window/Patch"
    assert scan["NotificationConfig"] == install["NotificationConfig"]


def test_without_a_scan_schedule_there_is_one_window(stack: Stack) -> None:
    wf = workflow(stack)
    assert wf.scan_window is None
    assert wf.scan_task is None


def test_fails_when_hooks_meet_a_macos_only_fleet(stack: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"hooks need Linux or Windows instances: AWS-RunPatchBaselineWithHooks "
        r"does not support macOS; got baselines for MACOS only",
    ):
        workflow(
            stack,
            baselines=[PatchBaselineOptions(operating_system=OperatingSystem.MACOS)],
            hooks=LifecycleHooks(on_exit=hook(stack)),
        )


def test_macos_beside_linux_with_hooks_is_fine(stack: Stack) -> None:
    wf = workflow(
        stack,
        baselines=[
            PatchBaselineOptions(operating_system=OperatingSystem.MACOS),
            PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023),
        ],
        hooks=LifecycleHooks(on_exit=hook(stack)),
    )
    assert len(wf.baselines) == 2


WINDOWS_ONLY = {"linux": None, "windows": HookScript.inline("Write-Output hook", language=ScriptLanguage.POWERSHELL)}


@pytest.mark.parametrize(
    ("systems", "hook_settings", "message"),
    [
        (
            [OperatingSystem.AMAZON_LINUX_2023],
            WINDOWS_ONLY,
            r"hooks.pre_install \(Pre\) has no Linux step, but the baselines patch AMAZON_LINUX_2023: those "
            r"instances would skip the hook; give the hook platforms \['Linux'\] \(got \['Windows'\]\)",
        ),
        (
            [OperatingSystem.WINDOWS],
            {},
            r"hooks.pre_install \(Pre\) has no Windows step, but the baselines patch WINDOWS: .* "
            r"\(got \['Linux'\]\)",
        ),
        (
            [OperatingSystem.UBUNTU, OperatingSystem.WINDOWS],
            {},
            r"has no Windows step, but the baselines patch UBUNTU, WINDOWS: those instances would skip the hook; "
            r"give the hook platforms \['Linux', 'Windows'\]",
        ),
    ],
    ids=["windows-hook-linux-fleet", "linux-hook-windows-fleet", "linux-hook-mixed-fleet"],
)
def test_a_hook_missing_a_platform_the_baselines_patch_is_refused(
    stack: Stack, systems: list[OperatingSystem], hook_settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        workflow(
            stack,
            baselines=[PatchBaselineOptions(operating_system=system) for system in systems],
            hooks=LifecycleHooks(pre_install=hook(stack, "Pre", **hook_settings)),
        )


def test_hooks_covering_the_baselines_and_documents_from_elsewhere_are_accepted(stack: Stack) -> None:
    wf = workflow(
        stack,
        baselines=[
            PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023),
            PatchBaselineOptions(operating_system=OperatingSystem.MACOS),
        ],
        # A Linux hook for Linux (macOS runs none), and a named document this stack can't see into.
        hooks=LifecycleHooks(
            pre_install=hook(stack, "Pre"),
            on_exit=HookDocument.from_document_name(stack, "Shared", "AWS-Noop"),
        ),
    )
    assert len(wf.baselines) == 2


def test_a_string_of_patch_groups_is_refused_not_split_into_letters(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"patch_groups must be a list of strings; got the string 'web'"):
        workflow(stack, patch_groups="web")


def test_a_scan_duration_without_a_scan_schedule_is_refused(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"scan_duration needs scan_schedule: without it, scan_duration does nothing"):
        workflow(stack, scan_duration=Duration.hours(2))


def _names(stack: Stack, resource_type: str) -> list[str]:
    return sorted(r["Properties"].get("Name", "") for r in template(stack).find_resources(resource_type).values())


def test_task_target_and_scan_window_names_derive_from_the_workflow_id(stack: Stack) -> None:
    workflow(stack, scan_schedule=WindowSchedule.cron("0 1 ? * * *"), window_name="web-weekly")
    assert _names(stack, "AWS::SSM::MaintenanceWindowTask") == ["Web-Patch", "Web-Scan"]
    assert _names(stack, "AWS::SSM::MaintenanceWindowTarget") == ["Web-Targets", "Web-Targets"]
    assert _names(stack, "AWS::SSM::MaintenanceWindow") == ["web-weekly", "web-weekly-Scan"]


def test_names_given_by_keyword_win(stack: Stack) -> None:
    workflow(
        stack,
        scan_schedule=WindowSchedule.cron("0 1 ? * * *"),
        task_name="install",
        target_name="web-fleet",
        scan_window_name="web-daily-scan",
    )
    assert "install" in _names(stack, "AWS::SSM::MaintenanceWindowTask")
    assert _names(stack, "AWS::SSM::MaintenanceWindowTarget") == ["web-fleet", "web-fleet"]
    assert "web-daily-scan" in _names(stack, "AWS::SSM::MaintenanceWindow")


def test_an_id_that_makes_no_valid_name_falls_back_to_the_plain_names(stack: Stack) -> None:
    PatchWorkflow(stack, "Web fleet", schedule=WEEKLY, duration=Duration.hours(3), patch_groups=["web"])
    assert _names(stack, "AWS::SSM::MaintenanceWindowTask") == ["Patch"]
    assert _names(stack, "AWS::SSM::MaintenanceWindowTarget") == ["Targets"]


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("target_name", "web fleet", r"target_name must be 3 to 128 characters from a-z"),
        ("scan_window_name", "x" * 129, r"window_name must be 3 to 128 characters"),
    ],
)
def test_names_by_keyword_are_checked(stack: Stack, keyword: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workflow(stack, scan_schedule=WindowSchedule.cron("0 1 ? * * *"), **{keyword: value})


def test_minutes_per_instance_without_a_fleet_size_is_refused(stack: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"minutes_per_instance needs expected_fleet_size: without it, minutes_per_instance does nothing",
    ):
        workflow(stack, minutes_per_instance=40)


def test_minutes_per_instance_with_a_fleet_size_is_used(stack: Stack) -> None:
    wf = workflow(stack, expected_fleet_size=10, minutes_per_instance=40)
    assert wf.rollout is not None
