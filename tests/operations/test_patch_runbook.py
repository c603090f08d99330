"""PatchRunbook and its AUTOMATION task: the runbook's steps and failure paths, the task's wiring, the role's
least privilege, and what synth refuses (PatchWorkflow load_balancer=, auto_scaling=, before/after steps)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Annotations, Match

from constructs_lib import (
    ApprovalStep,
    AutoScalingStandby,
    AwsApiStep,
    HookDocument,
    HookScript,
    LifecycleHooks,
    PatchNotifications,
    PatchOperation,
    PatchWorkflow,
    RunbookStep,
    TargetGroupDrain,
    WindowTargets,
)
from constructs_lib._internal import automation as auto
from tests import builders
from tests.builders import ENV, new_app, new_stack, template

TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
TG2_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210"


def workflow(stack: Stack, **keywords: Any) -> PatchWorkflow:
    return builders.workflow(stack, **{"duration": Duration.hours(4), "cutoff": Duration.hours(1), **keywords})


def runbook_steps(stack: Stack) -> list[dict[str, Any]]:
    documents = template(stack).find_resources("AWS::SSM::Document", {"Properties": {"DocumentType": "Automation"}})
    (document,) = documents.values()
    steps: list[dict[str, Any]] = document["Properties"]["Content"]["mainSteps"]
    return steps


def named_step(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(step for step in steps if step["name"] == name)


def by_name(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in steps}


def policy_statements(stack: Stack, role_fragment: str) -> list[dict[str, Any]]:
    policies = template(stack).find_resources("AWS::IAM::Policy")
    statements: list[dict[str, Any]] = []
    for logical_id, policy in policies.items():
        if role_fragment in logical_id:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_drain_patch_restore_order_and_every_failure_path_leads_to_the_restore() -> None:
    stack = new_stack()
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN, TG2_ARN]))
    steps = runbook_steps(stack)
    assert [step["name"] for step in steps] == [
        "ReadTargetGroup1",
        "ReadTargetGroup2",
        "InTargetGroup1",
        "Deregister1",
        "WaitForDrain1",
        "InTargetGroup2",
        "Deregister2",
        "WaitForDrain2",
        "PatchInstance",
        "InTargetGroupAgain1",
        "Register1",
        "WaitForHealthy1",
        "Evict1",
        "InTargetGroupAgain2",
        "Register2",
        "WaitForHealthy2",
        "Evict2",
        "PatchOutcome",
        "ReportOutOfService",
        "Finished",
    ]
    named = by_name(steps)
    for name in ("Deregister1", "WaitForDrain1", "Deregister2", "WaitForDrain2", "PatchInstance"):
        assert named[name]["onFailure"] == "step:InTargetGroupAgain1", name
        assert named[name]["onCancel"] == "step:InTargetGroupAgain1", name
    assert named["PatchInstance"]["isCritical"] is True
    assert named["WaitForHealthy1"]["onFailure"] == "step:Evict1"
    assert named["Evict1"]["nextStep"] == "ReportOutOfService"
    assert named["WaitForDrain1"]["inputs"]["DesiredValues"] == ["unused"]
    assert named["WaitForDrain1"]["timeoutSeconds"] == 360
    assert named["WaitForHealthy2"]["inputs"]["DesiredValues"] == ["healthy"]
    assert named["WaitForHealthy2"]["timeoutSeconds"] == 600
    # A group the instance was not serving in (not registered, or already leaving it: someone else is
    # deregistering it, or Auto Scaling terminating it) is neither drained nor joined again.
    variable = "{{ ReadTargetGroup2.State }}"
    assert named["InTargetGroup2"]["inputs"]["Choices"] == [
        {"NextStep": "PatchInstance", "Variable": variable, "StringEquals": state}
        for state in ("unused", "draining", "unhealthy.draining")
    ]
    assert named["InTargetGroupAgain2"]["inputs"]["Choices"] == [
        {"NextStep": "PatchOutcome", "Variable": variable, "StringEquals": state}
        for state in ("unused", "draining", "unhealthy.draining")
    ]
    assert named["Register2"]["inputs"] == {
        "Service": "elbv2",
        "Api": "RegisterTargets",
        "TargetGroupArn": TG2_ARN,
        "Targets": [{"Id": "{{ InstanceId }}"}],
    }


def test_the_patch_step_runs_the_hooked_document_on_the_one_instance_with_an_explicit_timeout() -> None:
    stack = new_stack()
    notifications = PatchNotifications(stack, "Notifications")
    workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        patch_timeout=Duration.minutes(45),
        delivery_timeout=Duration.minutes(5),
        notifications=notifications,
    )
    patch = by_name(runbook_steps(stack))["PatchInstance"]
    assert patch["action"] == "aws:runCommand"
    assert patch["timeoutSeconds"] == 2700
    inputs = patch["inputs"]
    assert inputs["DocumentName"] == "AWS-RunPatchBaselineWithHooks"
    assert inputs["InstanceIds"] == ["{{ InstanceId }}"]
    assert inputs["Parameters"] == {
        "Operation": ["Install"],
        "RebootOption": ["RebootIfNeeded"],
        "SnapshotId": "{{ SnapshotId }}",
    }
    assert inputs["TimeoutSeconds"] == 300
    assert inputs["NotificationConfig"]["NotificationType"] == "Command"
    assert "ServiceRoleArn" in inputs


def test_standby_finds_the_group_first_and_exits_only_when_in_standby() -> None:
    stack = new_stack()
    workflow(stack, auto_scaling=AutoScalingStandby(groups=["web-a", "web-b"], decrement_desired_capacity=False))
    steps = runbook_steps(stack)
    assert [step["name"] for step in steps] == [
        "CheckAutoScalingGroup",
        "CheckInService",
        "FindAutoScalingGroup",
        "EnterStandby",
        "WaitForStandby",
        "PatchInstance",
        "ReadLifecycleState",
        "InStandby",
        "ExitStandby",
        "WaitForInService",
        "PatchOutcome",
        "ReportOutOfService",
        "Finished",
    ]
    named = by_name(steps)
    assert named["CheckAutoScalingGroup"]["inputs"]["DesiredValues"] == ["web-a", "web-b"]
    assert "onFailure" not in named["CheckAutoScalingGroup"]  # not in a group: abort, nothing touched
    # Already out of service (Standby, Pending, Terminating): someone else's; abort before touching it.
    assert named["CheckInService"]["action"] == "aws:assertAwsResourceProperty"
    assert named["CheckInService"]["inputs"]["PropertySelector"] == "$.AutoScalingInstances[0].LifecycleState"
    assert named["CheckInService"]["inputs"]["DesiredValues"] == ["InService"]
    assert "onFailure" not in named["CheckInService"]
    assert named["EnterStandby"]["inputs"]["ShouldDecrementDesiredCapacity"] is False
    assert named["EnterStandby"]["inputs"]["AutoScalingGroupName"] == "{{ FindAutoScalingGroup.Name }}"
    assert named["EnterStandby"]["onFailure"] == "step:ReadLifecycleState"
    assert named["InStandby"]["inputs"]["Choices"][0] == {
        "NextStep": "ExitStandby",
        "Variable": "{{ ReadLifecycleState.State }}",
        "StringEquals": "Standby",
    }
    assert named["WaitForInService"]["inputs"]["DesiredValues"] == ["InService"]


def test_a_topic_gets_the_failure_reports_and_your_steps_run_first_and_last() -> None:
    stack = new_stack()
    notifications = PatchNotifications(stack, "Notifications")
    table = "arn:aws:dynamodb:eu-west-1:111111111111:table/flags"
    flag = {"TableName": "flags", "Key": {"id": {"S": "{{ InstanceId }}"}}}
    workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        notifications=notifications,
        before_patch=[AwsApiStep(name="SetFlag", service="dynamodb", api="PutItem", resources=[table])],
        after_patch=[
            AwsApiStep(name="ClearFlag", service="dynamodb", api="DeleteItem", resources=[table], parameters=flag)
        ],
    )
    steps = runbook_steps(stack)
    names = [step["name"] for step in steps]
    # Your steps come before the target group is read (a step may wait), and a failed read then goes on to
    # your after_patch steps: nothing of the instance changed.
    assert names[:2] == ["SetFlag", "ReadTargetGroup1"]
    assert named_step(steps, "ReadTargetGroup1")["onFailure"] == "step:ClearFlag"
    assert names[-2:] == ["ClearFlag", "Finished"]
    named = by_name(steps)
    assert named["PatchOutcome"]["inputs"]["Choices"][0]["NextStep"] == "ClearFlag"
    assert named["PatchOutcome"]["inputs"]["Default"] == "ReportNotPatched"
    assert named["ReportNotPatched"]["inputs"]["Api"] == "Publish"
    assert named["ReportOutOfService"]["nextStep"] == "ClearFlag"
    # A report that can't be sent goes on to your steps, neither failing the run nor sending the other report.
    for report in ("ReportNotPatched", "ReportOutOfService"):
        assert named[report]["onFailure"] == "step:ClearFlag", report
        assert named[report]["isCritical"] is False, report
    assert "out of service" in named["ReportOutOfService"]["inputs"]["Message"]
    statements = policy_statements(stack, "RunbookRole")
    assert not [s for s in statements if s["Resource"] == table]
    # Your steps' grants are a policy of their own, which the library's cdk-nag acknowledgements do not cover.
    granted = policy_statements(stack, "RunbookStepsPolicy")
    assert granted
    assert {json_key(s["Action"]) for s in granted} == {"dynamodb:DeleteItem,dynamodb:PutItem"}
    assert any(s["Action"] == "sns:Publish" for s in statements)


def test_the_automation_task_runs_the_runbook_per_target_under_the_rate_control() -> None:
    stack = new_stack()
    web = workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), max_concurrency="2", max_errors="0")
    task = template(stack).find_resources("AWS::SSM::MaintenanceWindowTask")
    (props,) = [resource["Properties"] for resource in task.values()]
    assert props["TaskType"] == "AUTOMATION"
    assert props["TaskArn"] == {"Ref": stack.get_logical_id(web.runbook.cfn_document)}  # type: ignore[union-attr]
    assert props["MaxConcurrency"] == "2"
    assert props["MaxErrors"] == "0"
    assert props["Targets"] == [
        {"Key": "WindowTargetIds", "Values": [{"Ref": stack.get_logical_id(web.targets.cfn_target)}]}
    ]
    parameters = props["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"]
    assert parameters["InstanceId"] == ["{{TARGET_ID}}"]
    assert parameters["SnapshotId"] == ["{{WINDOW_EXECUTION_ID}}"]
    role = web.runbook.role.node.default_child  # type: ignore[union-attr]
    assert parameters["AutomationAssumeRole"] == [{"Fn::GetAtt": [stack.get_logical_id(role), "Arn"]}]  # type: ignore[arg-type]


def test_resource_group_targets_pass_the_short_id() -> None:
    stack = new_stack()
    workflow(
        stack,
        patch_groups=(),
        targets=WindowTargets.from_resource_group("web-servers"),
        auto_scaling=AutoScalingStandby(groups=["web"]),
    )
    (props,) = [r["Properties"] for r in template(stack).find_resources("AWS::SSM::MaintenanceWindowTask").values()]
    parameters = props["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"]
    assert parameters["InstanceId"] == ["{{RESOURCE_ID}}"]


def test_the_runbook_role_is_held_to_the_groups_the_targets_and_itself() -> None:
    stack = new_stack()
    web = workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        auto_scaling=AutoScalingStandby(groups=["web-asg"]),
    )
    statements = policy_statements(stack, "RunbookRole")
    by_action = {json_key(s["Action"]): s for s in statements}
    assert (
        by_action["elasticloadbalancing:DeregisterTargets,elasticloadbalancing:RegisterTargets"]["Resource"] == TG_ARN
    )
    standby = by_action["autoscaling:EnterStandby,autoscaling:ExitStandby"]["Resource"]
    assert ":autoScalingGroup:*:autoScalingGroupName/web-asg" in str(standby)
    send = [s for s in statements if s["Action"] == "ssm:SendCommand"]
    assert {"StringEquals": {"ssm:resourceTag/PatchGroup": ["web"]}} in [s.get("Condition") for s in send]
    assert all("Condition" in s or "document/AWS-RunPatchBaselineWithHooks" in str(s["Resource"]) for s in send)
    assert not any(s["Action"] == "iam:PassRole" for s in statements)  # no notification role to pass
    roles = template(stack).find_resources("AWS::IAM::Role")
    runbook_role = next(role for logical_id, role in roles.items() if "RunbookRole" in logical_id)
    trust = runbook_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert "aws:SourceAccount" in str(trust["Condition"])
    window_role = next(role for logical_id, role in roles.items() if "WindowServiceRole" in logical_id)
    window_statements = window_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    passes = [s for s in window_statements if s["Action"] == "iam:PassRole"]
    assert len(passes) == 1
    role = web.runbook.role.node.default_child  # type: ignore[union-attr]
    assert passes[0]["Resource"] == {"Fn::GetAtt": [stack.get_logical_id(role), "Arn"]}  # type: ignore[arg-type]
    assert passes[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_a_target_group_given_by_name_is_found_at_run_time_and_only_that_name_is_granted() -> None:
    stack = new_stack()
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=["web-tg", TG2_ARN]))
    steps = runbook_steps(stack)
    names = [step["name"] for step in steps]
    assert names[:3] == ["FindTargetGroup1", "ReadTargetGroup1", "ReadTargetGroup2"]
    named = by_name(steps)
    assert named["FindTargetGroup1"]["inputs"] == {
        "Service": "elbv2",
        "Api": "DescribeTargetGroups",
        "Names": ["web-tg"],
    }
    assert named["FindTargetGroup1"]["outputs"] == [
        {"Name": "Arn", "Selector": "$.TargetGroups[0].TargetGroupArn", "Type": "String"}
    ]
    found = "{{ FindTargetGroup1.Arn }}"
    for name in ("ReadTargetGroup1", "Deregister1", "WaitForDrain1", "Register1", "WaitForHealthy1", "Evict1"):
        assert named[name]["inputs"]["TargetGroupArn"] == found, name
    assert named["Register2"]["inputs"]["TargetGroupArn"] == TG2_ARN
    assert "FindTargetGroup2" not in named
    statements = policy_statements(stack, "RunbookRole")
    by_action = {json_key(s["Action"]): s for s in statements}
    drain = by_action["elasticloadbalancing:DeregisterTargets,elasticloadbalancing:RegisterTargets"]["Resource"]
    assert sorted(drain) == sorted(
        [TG2_ARN, "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/*"]
    )
    assert resources_of(statements, "elasticloadbalancing:DescribeTargetGroups") == ["*"]
    assert resources_of(statements, "elasticloadbalancing:DescribeTargetHealth") == ["*"]


def test_target_groups_by_arn_alone_need_no_lookup_and_no_describe_groups() -> None:
    stack = new_stack()
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]))
    assert not any(step["name"].startswith("FindTargetGroup") for step in runbook_steps(stack))
    statements = policy_statements(stack, "RunbookRole")
    assert resources_of(statements, "elasticloadbalancing:DescribeTargetHealth") == ["*"]
    assert resources_of(statements, "elasticloadbalancing:DescribeTargetGroups") == []


def resources_of(statements: list[dict[str, Any]], action: str) -> list[Any]:
    """Every resource the statements allow ``action`` on (CDK merges statements with equal resources)."""
    found: list[Any] = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            resource = statement["Resource"]
            found += resource if isinstance(resource, list) else [resource]
    return found


def json_key(action: Any) -> str:
    return ",".join(action) if isinstance(action, list) else str(action)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"operation": PatchOperation.SCAN}, "a scan takes nothing out of service"),
        ({"patch_timeout": Duration.hours(4)}, "the patch timeout plus .* must fit in the window's duration (240 min)"),
        ({"patch_timeout": Duration.minutes(5)}, "patch_timeout"),
    ],
)
def test_synth_refuses_bad_combinations(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), **keywords)


def test_a_valid_neighbour_of_the_timeout_rule_synthesizes() -> None:
    stack = new_stack()
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), patch_timeout=Duration.minutes(200))
    assert runbook_steps(stack)


def test_patch_timeout_alone_does_nothing_and_is_refused() -> None:
    with pytest.raises(ValueError, match="patch_timeout needs load_balancer, auto_scaling or steps"):
        workflow(new_stack(), patch_timeout=Duration.hours(1))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TargetGroupDrain(target_groups=[]), "load_balancer.target_groups"),
        (lambda: TargetGroupDrain(target_groups=[TG_ARN, TG_ARN]), "must be distinct"),
        (lambda: TargetGroupDrain(target_groups=["-web"]), "must be target group ARNs .* or names"),
        (lambda: TargetGroupDrain(target_groups=["web-"]), r"no hyphen first or last\); got 'web-'"),
        (lambda: TargetGroupDrain(target_groups=["w" * 33]), "1 to 32 letters"),
        (lambda: TargetGroupDrain(target_groups=["web_tg"]), "got 'web_tg'"),
        (lambda: TargetGroupDrain(target_groups=[TG_ARN + "0"]), "must be target group ARNs"),
        (lambda: TargetGroupDrain(target_groups=["web", "web"]), "must be distinct"),
        (lambda: TargetGroupDrain(target_groups=[TG_ARN], drain_timeout=Duration.seconds(10)), "drain_timeout"),
        (lambda: TargetGroupDrain(target_groups=[TG_ARN], health_timeout=Duration.hours(3)), "health_timeout"),
        (lambda: AutoScalingStandby(groups=[]), "auto_scaling.groups"),
        (lambda: AutoScalingStandby(groups=["a", "a"]), "must be distinct"),
        (lambda: AutoScalingStandby(groups=["*"]), r"must be group names \(1 to 255 characters, without colons"),
        (lambda: AutoScalingStandby(groups=["web?"]), "got 'web\\?'"),
        (lambda: AutoScalingStandby(groups=["{{ InstanceId }}"]), "braces"),
        (lambda: AutoScalingStandby(groups=["a" * 256]), "1 to 255 characters"),
        (lambda: AutoScalingStandby(groups=["a"], timeout=Duration.seconds(5)), "auto_scaling.timeout"),
        (lambda: AwsApiStep(name="X", service="s3", api="PutObject", resources=[]), "resources"),
        (lambda: ApprovalStep(name="Ok", approvers=["arn:aws:iam::1:role/a"], min_required=2), "min_required"),
        (lambda: RunbookStep(name="Run", document_name="x"), "document_name"),
    ],
)
def test_options_refuse_wrong_values(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("group", ["web asg", "a" * 255, "web-asg.prod_1"])
def test_auto_scaling_group_names_at_the_edges_are_accepted(group: str) -> None:
    assert AutoScalingStandby(groups=[group]).names == [group]


@pytest.mark.parametrize("group", ["w", "web-tg", "W" * 32, "a-b-c-1", TG_ARN])
def test_target_group_names_and_arns_at_the_edges_are_accepted(group: str) -> None:
    assert TargetGroupDrain(target_groups=[group]).arns == [group]


@pytest.mark.parametrize(
    ("build", "keyword"),
    [
        (lambda: TargetGroupDrain(target_groups=TG_ARN), "target_groups"),
        (lambda: AutoScalingStandby(groups=["a"], decrement_desired_capacity="yes"), "decrement_desired_capacity"),  # type: ignore[arg-type]
        (lambda: AwsApiStep(name="X", service="s3", api="PutObject", resources=["a"], parameters=[]), "parameters"),  # type: ignore[arg-type]
    ],
)
def test_options_refuse_wrong_types(build: Any, keyword: str) -> None:
    with pytest.raises(TypeError, match=keyword):
        build()


def test_a_step_name_twice_is_refused() -> None:
    table = "arn:aws:dynamodb:eu-west-1:111111111111:table/flags"
    step = AwsApiStep(name="Flag", service="dynamodb", api="PutItem", resources=[table])
    with pytest.raises(ValueError, match="'Flag' is used twice"):
        workflow(new_stack(), before_patch=[step], after_patch=[step])


def test_a_jump_to_a_missing_step_and_oncancel_into_a_sleep_are_refused() -> None:
    with pytest.raises(ValueError, match="continues at 'Nowhere'"):
        auto.check_steps([auto.Sleep(name="A", duration="PT1S", next_step="Nowhere")])
    with pytest.raises(ValueError, match="onCancel can't continue at B"):
        auto.check_steps(
            [auto.Sleep(name="A", duration="PT1S", on_cancel="step:B"), auto.Sleep(name="B", duration="PT1S")]
        )
    auto.check_steps(
        [auto.Sleep(name="A", duration="PT1S", on_failure="step:B"), auto.Sleep(name="B", duration="PT1S")]
    )


def test_managed_nodes_cannot_be_behind_a_load_balancer() -> None:
    with pytest.raises(ValueError, match="targets must be EC2 instances"):
        workflow(
            new_stack(),
            patch_groups=(),
            targets=WindowTargets.from_instance_ids(["mi-0123456789abcdef0"]),
            load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        )


def target_group_stack(**target_group: Any) -> tuple[Stack, elbv2.ApplicationTargetGroup]:
    app = new_app()
    stack = new_stack(app)
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-12345678", availability_zones=["a"])
    group = elbv2.ApplicationTargetGroup(stack, "Group", vpc=vpc, port=80, **target_group)
    return stack, group


def synth_errors(stack: Stack) -> str:
    try:
        stack.node.root.synth()  # type: ignore[attr-defined]
    except RuntimeError as error:
        return str(error)
    return ""


def test_target_groups_of_ip_type_are_refused_at_synth() -> None:
    stack, group = target_group_stack(target_type=elbv2.TargetType.IP)
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[group]))
    assert "has target type ip" in synth_errors(stack)


def test_a_deregistration_delay_longer_than_the_drain_timeout_is_refused_and_the_default_is_300() -> None:
    stack, group = target_group_stack(target_type=elbv2.TargetType.INSTANCE)
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[group], drain_timeout=Duration.minutes(4)))
    assert "deregistration delay of 300 s, longer than load_balancer.drain_timeout (240 s)" in synth_errors(stack)
    fits, fitting = target_group_stack(target_type=elbv2.TargetType.INSTANCE, deregistration_delay=Duration.seconds(60))
    workflow(fits, load_balancer=TargetGroupDrain(target_groups=[fitting], drain_timeout=Duration.minutes(4)))
    assert synth_errors(fits) == ""


def test_more_than_half_out_of_service_at_once_warns_and_the_estimate_counts_the_off_instance_time() -> None:
    stack = new_stack()
    web = workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        max_concurrency="60%",
        expected_fleet_size=500,
        minutes_per_instance=10,
    )
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("more than half"))
    assert warnings
    assert web.rollout is not None
    assert web.rollout.at_once == 100  # 300 by max_concurrency; Automation runs 100 at once, the rest queue
    assert web.rollout.minutes == 5 * (10 + 6 + 10)


def test_the_runbook_task_exposes_the_hooks_its_patch_step_runs() -> None:
    stack = new_stack()
    hooks = LifecycleHooks(pre_install=HookDocument.from_document_name(stack, "Stop", "Stop-App"))
    web = workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), hooks=hooks)
    assert web.task.hooks is hooks
    assert by_name(runbook_steps(stack))["PatchInstance"]["inputs"]["Parameters"]["PreInstallHookDocName"] == [
        "Stop-App"
    ]


def test_a_runbook_name_is_checked_claimed_and_needs_a_runbook() -> None:
    stack = new_stack()
    web = workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), runbook_name="web-PatchRunbook")
    assert web.runbook is not None
    assert stack.resolve(web.runbook.cfn_document.name) == "web-PatchRunbook"
    script = HookScript.inline("true")
    HookDocument(new_stack(), "Elsewhere", linux=script, document_name="web-PatchRunbook")  # another stack: fine
    with pytest.raises(ValueError, match="document_name 'web-PatchRunbook' is already used"):
        HookDocument(stack, "Clash", linux=script, document_name="web-PatchRunbook")
    with pytest.raises(ValueError, match="reserved prefixes aws, amazon or amzn; got runbook_name='AWS-Mine'"):
        workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), runbook_name="AWS-Mine")
    with pytest.raises(ValueError, match="runbook_name must be"):
        workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), runbook_name="a b")
    with pytest.raises(ValueError, match="runbook_name needs load_balancer, auto_scaling or steps"):
        workflow(new_stack(), runbook_name="web-PatchRunbook")


def test_a_wildcard_of_your_own_is_left_for_cdk_nag_to_report() -> None:
    from tests.validators.test_nag import nag_findings

    app = new_app()
    stack = Stack(app, "Web", env=ENV)
    workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        before_patch=[AwsApiStep(name="Wide", service="dynamodb", api="DeleteItem", resources=["*"])],
    )
    findings = [finding for finding in nag_findings(app) if "IAM5" in finding["ruleName"]]
    assert findings
    assert all("Runbook/StepsPolicy/Resource" in json.dumps(finding) for finding in findings)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"service": "*"}, "step X service must be a boto3 service name"),
        ({"api": "*"}, "step X api must be an API operation name"),
        ({"api": "updateItem"}, "step X api must be an API operation name"),
        ({"actions": ["*"]}, "step X actions must be IAM actions"),
        ({"actions": ["dynamodb:*", "iam"]}, "step X actions must be IAM actions"),
    ],
)
def test_your_api_steps_name_one_operation(step: dict[str, Any], message: str) -> None:
    keywords: dict[str, Any] = {
        "name": "X",
        "service": "dynamodb",
        "api": "UpdateItem",
        "resources": ["arn:aws:dynamodb:::t"],
    }
    with pytest.raises(ValueError, match=message):
        AwsApiStep(**{**keywords, **step})
    assert AwsApiStep(**keywords, actions=["dynamodb:UpdateItem", "dynamodb:Get*"]).api == "UpdateItem"


def test_a_misspelt_variable_in_your_step_is_refused_at_synth() -> None:
    misspelt = AwsApiStep(
        name="SetFlag",
        service="dynamodb",
        api="PutItem",
        resources=["arn:aws:dynamodb:us-east-1:123456789012:table/flags"],
        parameters={"TableName": "flags", "Item": {"id": {"S": "{{ InstanceID }}"}}},
    )
    with pytest.raises(ValueError, match=r"step SetFlag uses \{\{ InstanceID \}\}, which is no parameter"):
        workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), before_patch=[misspelt])
    fixed = AwsApiStep(
        name="SetFlag",
        service="dynamodb",
        api="PutItem",
        resources=["arn:aws:dynamodb:us-east-1:123456789012:table/flags"],
        parameters={"Item": {"id": {"S": "{{ InstanceId }}"}, "run": {"S": "{{ automation:EXECUTION_ID }}"}}},
    )
    workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[TG_ARN]), before_patch=[fixed])


def test_a_runbook_of_aws_is_named_without_an_account() -> None:
    stack = new_stack()
    workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        after_patch=[RunbookStep(name="Restart", document_name="AWS-RestartEC2Instance")],
    )
    statements = policy_statements(stack, "RunbookStepsPolicy")
    assert resources_of(statements, "ssm:StartAutomationExecution") == [
        "arn:aws:ssm:us-east-1::automation-definition/AWS-RestartEC2Instance:*"
    ]
    own = new_stack()
    workflow(
        own,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        after_patch=[RunbookStep(name="Warm", document_name="WarmCaches")],
    )
    assert resources_of(policy_statements(own, "RunbookStepsPolicy"), "ssm:StartAutomationExecution") == [
        "arn:aws:ssm:us-east-1:123456789012:automation-definition/WarmCaches:*"
    ]


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (TG_ARN.replace("us-east-1", "eu-west-1"), "is in region eu-west-1; the runbook runs in us-east-1"),
        (
            TG_ARN.replace("123456789012", "111111111111"),
            "is in account 111111111111; the runbook runs in 123456789012",
        ),
    ],
)
def test_a_target_group_of_another_place_is_refused(arn: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workflow(new_stack(), load_balancer=TargetGroupDrain(target_groups=[arn]))


def test_timeouts_known_only_at_deploy_time_are_refused_naming_the_keyword() -> None:
    from aws_cdk import CfnParameter

    stack = new_stack()
    seconds = CfnParameter(stack, "Drain", type="Number").value_as_number
    with pytest.raises(ValueError, match=r"load_balancer\.drain_timeout must be known at synth"):
        TargetGroupDrain(target_groups=[TG_ARN], drain_timeout=Duration.seconds(seconds))


def test_cancel_at_the_cutoff_is_refused_with_the_runbook() -> None:
    from constructs_lib import CutoffBehavior

    with pytest.raises(ValueError, match="cutoff_behavior CANCEL_TASK can't go with the patch runbook"):
        workflow(
            new_stack(),
            load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
            cutoff_behavior=CutoffBehavior.CANCEL_TASK,
        )
    workflow(
        new_stack(),
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        cutoff_behavior=CutoffBehavior.CONTINUE_TASK,
    )


def test_a_runbook_without_targets_is_refused() -> None:
    from constructs_lib import PatchRunbook

    with pytest.raises(ValueError, match="targets"):
        PatchRunbook(new_stack(), "Runbook", targets=[], load_balancer=TargetGroupDrain(target_groups=[TG_ARN]))


def auto_scaling_group(stack: Stack, **capacity: Any) -> Any:
    """A CDK Auto Scaling group in an imported VPC, with the given min_capacity, desired_capacity, ..."""
    from aws_cdk import aws_autoscaling as autoscaling

    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-1", availability_zones=["us-east-1a"], private_subnet_ids=["subnet-1"]
    )
    return autoscaling.AutoScalingGroup(
        stack,
        "Group",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.micro"),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        **capacity,
    )


def no_room_warnings(stack: Stack) -> list[Any]:
    return list(Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("no instance can enter")))


def test_a_group_at_its_minimum_warns_that_standby_with_a_decrement_can_not_work() -> None:
    stack = new_stack()
    full = auto_scaling_group(stack, min_capacity=2, desired_capacity=2, max_capacity=4)
    workflow(stack, auto_scaling=AutoScalingStandby(groups=[full]))
    (warning,) = no_room_warnings(stack)
    assert "desired capacity 2 and minimum 2" in warning.entry.data
    roomy = new_stack()
    spare = auto_scaling_group(roomy, min_capacity=1, desired_capacity=2, max_capacity=4)
    workflow(roomy, auto_scaling=AutoScalingStandby(groups=[spare]))
    assert not no_room_warnings(roomy)
    without_decrement = new_stack()
    full = auto_scaling_group(without_decrement, min_capacity=2, desired_capacity=2, max_capacity=4)
    workflow(without_decrement, auto_scaling=AutoScalingStandby(groups=[full], decrement_desired_capacity=False))
    assert not no_room_warnings(without_decrement)


def test_a_window_that_only_starts_the_runbook_sends_no_command_itself() -> None:
    stack = new_stack()
    workflow(stack, load_balancer=TargetGroupDrain(target_groups=[TG_ARN]))
    roles = template(stack).find_resources("AWS::IAM::Role")
    window_role = next(role for logical_id, role in roles.items() if "WindowServiceRole" in logical_id)
    statements = window_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {
        action for s in statements for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(action.startswith("ssm:") and "Command" in action for action in actions)
    assert "ssm:StartAutomationExecution" in actions
    assert window_role["Properties"]["Description"] == "Maintenance window service role: starts the patch runbooks"
    runbook_role = policy_statements(stack, "RunbookRole")
    sends = [s for s in runbook_role if s["Action"] == "ssm:SendCommand" and "Condition" in s]
    assert sends
    assert all("managed-instance" not in json.dumps(s["Resource"]) for s in sends)


def test_after_your_steps_the_instance_is_checked_again_and_a_failure_goes_to_your_after_steps() -> None:
    stack = new_stack()
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/flags"
    workflow(
        stack,
        auto_scaling=AutoScalingStandby(groups=["web-asg"]),
        before_patch=[ApprovalStep(name="Approve", approvers=["arn:aws:iam::123456789012:role/ops"])],
        after_patch=[AwsApiStep(name="Tidy", service="dynamodb", api="DeleteItem", resources=[table])],
    )
    steps = runbook_steps(stack)
    names = [step["name"] for step in steps]
    assert names[:5] == ["CheckAutoScalingGroup", "CheckInService", "Approve", "StillInService", "FindAutoScalingGroup"]
    named = by_name(steps)
    for name in ("StillInService", "FindAutoScalingGroup"):
        assert named[name]["onFailure"] == "step:Tidy", name
    assert "onFailure" not in named["CheckInService"]  # before your steps: abort, nothing ran
    plain = new_stack()
    workflow(plain, auto_scaling=AutoScalingStandby(groups=["web-asg"]))
    plain_steps = by_name(runbook_steps(plain))
    assert "StillInService" not in plain_steps
    assert "onFailure" not in plain_steps["FindAutoScalingGroup"]


def test_a_group_without_a_desired_capacity_starts_at_its_minimum_and_warns_too() -> None:
    stack = new_stack()
    workflow(stack, auto_scaling=AutoScalingStandby(groups=[auto_scaling_group(stack, min_capacity=2)]))
    assert len(no_room_warnings(stack)) == 1


def test_a_role_you_make_and_share_keeps_sending_and_the_windows_own_says_what_it_does() -> None:
    from constructs_lib import MaintenanceWindowRole

    stack = new_stack()
    shared = MaintenanceWindowRole(stack, "Shared")
    shared.allow_automation("arn:aws:ssm:us-east-1:123456789012:automation-definition/x:$DEFAULT", shared.role)
    statements = stack.resolve(shared.cfn_role.policies)[0]["policyDocument"]["Statement"]
    assert any(s["Action"] == "ssm:SendCommand" for s in statements)  # your own Run Command tasks may use it
    assert shared.sends_commands
    shared.runbooks_only()
    assert not shared.sends_commands
    assert stack.resolve(shared.cfn_role.description).endswith("starts the patch runbooks")
    shared.allow_targets(WindowTargets.from_tags({"PatchGroup": ["web"]}))
    assert shared.sends_commands
    assert stack.resolve(shared.cfn_role.description).endswith("sends AWS-RunPatchBaselineWithHooks")


def test_a_runbook_steps_version_wildcard_is_acknowledged_as_ours() -> None:
    from tests.validators.test_nag import nag_findings

    app = new_app()
    stack = Stack(app, "Web", env=ENV)
    workflow(
        stack,
        load_balancer=TargetGroupDrain(target_groups=[TG_ARN]),
        after_patch=[RunbookStep(name="Warm", document_name="WarmCaches")],
    )
    assert nag_findings(app) == []
