"""PatchTask: the AWS-RunPatchBaselineWithHooks task and its rate control, hooks and guards."""

from __future__ import annotations

from typing import Any, get_type_hints

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam

from constructs_lib import (
    CutoffBehavior,
    HookDocument,
    LifecycleHooks,
    PatchOperation,
    PatchRunOptions,
    PatchTask,
    PatchTaskOptions,
    RebootOption,
    TaskOptions,
)
from tests.builders import hook, logical_id, only_properties, targets, window

TASK = "AWS::SSM::MaintenanceWindowTask"


def test_defines_the_hooked_patch_task(stack: Stack) -> None:
    mw = window(stack)
    web = targets(mw)
    pre, post = hook(stack, "Pre"), hook(stack, "Post")
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/mw-role")
    mw.add_patch_task(
        "PatchingTask",
        targets=[web],
        operation=PatchOperation.INSTALL,
        reboot_option=RebootOption.NO_REBOOT,
        hooks=LifecycleHooks(
            pre_install=pre, post_install=post, on_exit=HookDocument.from_document_name(stack, "Noop", "AWS-Noop")
        ),
        max_concurrency="100%",
        max_errors="0",
        priority=0,
        description="Patch the web fleet",
        cutoff_behavior=CutoffBehavior.CANCEL_TASK,
        service_role=role,
        delivery_timeout=Duration.minutes(30),
        comment="weekly patching",
    )
    assert only_properties(stack, TASK) == {
        "WindowId": {"Ref": stack.get_logical_id(mw.cfn_window)},
        "TaskType": "RUN_COMMAND",
        "TaskArn": "AWS-RunPatchBaselineWithHooks",
        "Priority": 0,
        "Name": "PatchingTask",
        "Description": "Patch the web fleet",
        "MaxConcurrency": "100%",
        "MaxErrors": "0",
        "CutoffBehavior": "CANCEL_TASK",
        "ServiceRoleArn": "arn:aws:iam::123456789012:role/mw-role",
        "Targets": [{"Key": "WindowTargetIds", "Values": [{"Ref": stack.get_logical_id(web.cfn_target)}]}],
        "TaskInvocationParameters": {
            "MaintenanceWindowRunCommandParameters": {
                "Parameters": {
                    "Operation": ["Install"],
                    "RebootOption": ["NoReboot"],
                    "PreInstallHookDocName": [{"Ref": stack.get_logical_id(pre.cfn_document)}],
                    "PostInstallHookDocName": [{"Ref": stack.get_logical_id(post.cfn_document)}],
                    "OnExitHookDocName": ["AWS-Noop"],
                },
                "TimeoutSeconds": 1800,
                "Comment": "weekly patching",
            }
        },
    }


def test_defaults(stack: Stack) -> None:
    mw = window(stack)
    task = mw.add_patch_task("Patch", targets=[targets(mw)])
    props = only_properties(stack, TASK)
    assert props["MaxConcurrency"] == "10%"
    assert props["MaxErrors"] == "1"
    assert props["Priority"] == 1
    assert props["Name"] == "Patch"
    assert props["TaskInvocationParameters"] == {
        "MaintenanceWindowRunCommandParameters": {
            "Parameters": {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}
        }
    }
    for absent in ("CutoffBehavior", "Description"):
        assert absent not in props
    assert "SnapshotId" not in str(props)  # SSM derives it from the window execution
    # the window's least-privilege role, not the service-linked role
    assert props["ServiceRoleArn"] == {"Fn::GetAtt": [logical_id(stack, mw.window_role), "Arn"]}
    assert stack.resolve(task.task_id) == {"Ref": stack.get_logical_id(task.cfn_task)}
    assert task.node.default_child is task.cfn_task


def test_scan_without_hooks(stack: Stack) -> None:
    mw = window(stack)
    mw.add_patch_task("Scan", targets=[targets(mw)], operation=PatchOperation.SCAN, hooks=LifecycleHooks())
    params = only_properties(stack, TASK)["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"][
        "Parameters"
    ]
    assert params["Operation"] == ["Scan"]


def test_several_targets(stack: Stack) -> None:
    mw = window(stack)
    a, b = targets(mw, "Web"), targets(mw, "Api")
    PatchTask(stack, "Patch", window=mw, targets=[a, b])
    assert only_properties(stack, TASK)["Targets"][0]["Values"] == [
        {"Ref": stack.get_logical_id(a.cfn_target)},
        {"Ref": stack.get_logical_id(b.cfn_target)},
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"targets": []},
            r"targets must name at least one window target \(Run Command tasks need targets\); got targets=\[\]",
        ),
        (
            {"max_concurrency": "0"},
            r"max_concurrency must be a count such as 10 or a percentage .*; got max_concurrency='0'",
        ),
        ({"max_concurrency": "0%"}, r"max_concurrency must be a count"),
        ({"max_concurrency": "101%"}, r"max_concurrency must be a count"),
        ({"max_concurrency": "lots"}, r"max_concurrency must be a count"),
        ({"max_concurrency": "12345678"}, r"max_concurrency must be 1 to 7 characters long; got 8"),
        (
            {"max_errors": "-1"},
            r"max_errors must be 0, a count such as 10 or a percentage .*\(0% to 100%\).*; got max_errors='-1'",
        ),
        ({"max_errors": "some"}, r"max_errors must be 0, a count"),
        ({"max_errors": "01"}, r"max_errors must be 0, a count"),
        ({"priority": -1}, r"priority must be an integer of at least 0; got priority=-1"),
        ({"task_name": "my task"}, r"task_name must be 3 to 128 characters"),
        ({"description": ""}, r"description must be 1 to 128 characters long"),
        ({"comment": "x" * 101}, r"comment must be 1 to 100 characters long; got 101"),
        (
            {"delivery_timeout": Duration.seconds(29)},
            r"delivery_timeout must be a whole number of seconds from 30 to 2592000; got delivery_timeout=29 seconds",
        ),
        (
            {"delivery_timeout": Duration.days(31)},
            r"delivery_timeout must be a whole number of seconds from 30 to 2592000",
        ),
    ],
)
def test_fails_on_invalid_settings(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    mw = window(stack)
    settings: dict[str, Any] = {"targets": [targets(mw)]}
    settings.update(overrides)
    with pytest.raises(ValueError, match=message):
        mw.add_patch_task("Patch", **settings)


def test_fails_when_hooks_are_set_on_a_scan(stack: Stack) -> None:
    mw = window(stack)
    with pytest.raises(ValueError, match=r"hooks must not be set when operation is Scan: .* no hook runs"):
        mw.add_patch_task(
            "Scan", targets=[targets(mw)], operation=PatchOperation.SCAN, hooks=LifecycleHooks(on_exit=hook(stack))
        )


def test_fails_when_a_target_belongs_to_another_window(stack: Stack) -> None:
    other = targets(window(stack, "Other"))
    mw = window(stack)
    with pytest.raises(
        ValueError, match=r"targets must be registered with the task's window; target TestStack/Other/Web"
    ):
        mw.add_patch_task("Patch", targets=[other])


def test_tokens_are_passed_through_unchecked(stack: Stack) -> None:
    mw = window(stack)
    concurrency = CfnParameter(stack, "Concurrency").value_as_string
    errors = CfnParameter(stack, "Errors").value_as_string
    priority = CfnParameter(stack, "Priority", type="Number").value_as_number
    mw.add_patch_task("Patch", targets=[targets(mw)], max_concurrency=concurrency, max_errors=errors, priority=priority)  # type: ignore[arg-type]  # a number token is a float
    props = only_properties(stack, TASK)
    assert props["MaxConcurrency"] == {"Ref": "Concurrency"}
    assert props["MaxErrors"] == {"Ref": "Errors"}
    assert props["Priority"] == {"Ref": "Priority"}


def test_fails_on_an_unknown_keyword_naming_it(stack: Stack) -> None:
    mw = window(stack)
    with pytest.raises(TypeError, match=r"PatchTask got unexpected keyword argument\(s\) max_concurency; allowed: "):
        mw.add_patch_task("Patch", targets=[targets(mw)], max_concurency="5")  # type: ignore[call-arg]


def test_every_option_of_the_option_set_reaches_the_task(stack: Stack) -> None:
    mw = window(stack)
    options: PatchTaskOptions = {"priority": 3, "task_name": "Named", "description": "d", "comment": "c"}
    mw.add_patch_task("Patch", targets=[targets(mw)], **options)
    props = only_properties(stack, TASK)
    assert (props["Priority"], props["Name"], props["Description"]) == (3, "Named", "d")
    assert props["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["Comment"] == "c"


def test_the_option_sets_nest() -> None:
    run = set(get_type_hints(PatchRunOptions))
    assert run == {"operation", "reboot_option", "hooks", "max_concurrency", "max_errors"}
    assert run < set(get_type_hints(TaskOptions)) < set(get_type_hints(PatchTaskOptions))
    assert set(get_type_hints(PatchTaskOptions)) - set(get_type_hints(TaskOptions)) == {"description", "comment"}
