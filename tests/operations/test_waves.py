"""PatchWaves: the brake between waves (rule, halt runbook, records, gate), its least privilege and its checks."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from aws_cdk import Duration, Stack
from moto import mock_aws

from constructs_lib import PatchRunbook, PatchWorkflow, TargetGroupDrain, WindowSchedule, WindowTargets
from constructs_lib.cli.runbook import concrete
from constructs_lib.operations.waves import PatchWaves, check_wave_order
from tests.builders import logical_id, new_stack, template

WINDOW_ID = "mw-0ed7251d3fcf6e0c2"
# The documented execution event (user guide "monitoring-systems-manager-event-examples"), status varied.
EXECUTION_EVENT = {
    "Source": "aws.ssm",
    "DetailType": "Maintenance Window Execution State-change Notification",
    "Resources": [f"arn:aws:ssm:us-east-2:123456789012:maintenancewindow/{WINDOW_ID}"],
}
EXECUTION_DETAIL = {
    "start-time": "2016-11-16T01:00:56.427Z",
    "end-time": "2016-11-16T01:00:57.070Z",
    "window-id": WINDOW_ID,
    "window-execution-id": "b60fb56e-776c-4e5c-84ee-123456789012",
    "status": "TIMED_OUT",
}
INVOCATION_EVENT = {
    **EXECUTION_EVENT,
    "DetailType": "Maintenance Window Task Target Invocation State-change Notification",
}
INVOCATION_DETAIL = {
    **EXECUTION_DETAIL,
    "task-execution-id": "6417e808-7f35-4d1a-843f-123456789012",
    "window-target-id": "e7265f13-3cc5-4f2f-97a9-123456789012",
    "owner-information": "Owner",
}


def workflow(stack: Stack, name: str, cron: str, hours: int = 2, **options: Any) -> PatchWorkflow:
    return PatchWorkflow(
        stack,
        name,
        schedule=WindowSchedule.cron(cron),
        duration=Duration.hours(hours),
        targets=options.pop("targets", WindowTargets.from_tags({"PatchGroup": ["web"]})),
        **options,
    )


def three_waves(stack: Stack, **options: Any) -> PatchWaves:
    canary = workflow(
        stack, "Canary", "0 3 ? * FRI *", targets=WindowTargets.from_tags({"PatchGroup": ["web"], "Canary": ["true"]})
    )
    return PatchWaves(
        stack,
        "Waves",
        waves=[canary, workflow(stack, "Main", "0 3 ? * SAT *"), workflow(stack, "Rest", "0 3 ? * SUN *")],
        **options,
    )


def resources(stack: Stack, kind: str) -> dict[str, Any]:
    return {k: r for k, r in template(stack).to_json()["Resources"].items() if r["Type"] == kind}


def test_each_earlier_wave_has_a_rule_that_starts_its_halt_runbook(stack: Stack) -> None:
    waves = three_waves(stack)
    rules = resources(stack, "AWS::Events::Rule")
    assert len(rules) == 2
    canary, main = waves.windows[0], waves.windows[1]
    rule = rules[logical_id(stack, waves.rules[0])]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.ssm"],
        "detail-type": ["Maintenance Window Execution State-change Notification"],
        "detail": {"window-id": [{"Ref": logical_id(stack, canary.cfn_window)}], "status": ["FAILED", "TIMED_OUT"]},
    }
    (target,) = rule["Targets"]
    assert target["RoleArn"] == {"Fn::GetAtt": [logical_id(stack, waves._events_role), "Arn"]}
    halt = next(k for k in resources(stack, "AWS::SSM::Document") if k.startswith("WavesHaltAfterCanary"))
    assert target["Arn"]["Fn::Join"][1][1] == {"Ref": halt}
    assert target["Arn"]["Fn::Join"][1][0].endswith(":automation-definition/")
    assert target["Arn"]["Fn::Join"][1][2] == ":$DEFAULT"
    paths = target["InputTransformer"]["InputPathsMap"]
    assert sorted(paths.values()) == ["$.account", "$.detail.status", "$.detail.window-execution-id", "$.region"]
    second = rules[logical_id(stack, waves.rules[1])]["Properties"]
    assert second["EventPattern"]["detail"]["window-id"] == [{"Ref": logical_id(stack, main.cfn_window)}]


def test_the_halt_runbook_records_and_disables_every_later_wave_then_notifies(stack: Stack) -> None:
    waves = three_waves(stack)
    documents = resources(stack, "AWS::SSM::Document")
    after_canary = next(r for k, r in documents.items() if k.startswith("WavesHaltAfterCanary"))["Properties"]
    after_main = next(r for k, r in documents.items() if k.startswith("WavesHaltAfterMain"))["Properties"]
    assert after_canary["DocumentType"] == "Automation"
    steps = after_canary["Content"]["mainSteps"]
    assert [s["name"] for s in steps] == ["RecordMain", "DisableMain", "RecordRest", "DisableRest", "Notify"]
    assert [s["name"] for s in after_main["Content"]["mainSteps"]] == ["RecordRest", "DisableRest", "Notify"]
    main, rest = waves.windows[1], waves.windows[2]
    assert steps[1]["inputs"] == {
        "Service": "ssm",
        "Api": "UpdateMaintenanceWindow",
        "WindowId": {"Ref": logical_id(stack, main.cfn_window)},
        "Enabled": False,
    }
    assert steps[2]["inputs"]["Name"] == {"Ref": logical_id(stack, waves.halt_records[rest])}
    assert steps[2]["inputs"]["Overwrite"] is True
    assert "patch-resume --stack" in json.dumps(steps[-1]["inputs"]["Message"])
    assert steps[-1]["isEnd"] is True


def test_later_waves_have_an_open_halt_record_and_a_gate_that_runs_first(stack: Stack) -> None:
    waves = three_waves(stack)
    records = resources(stack, "AWS::SSM::Parameter")
    assert sorted(r["Properties"]["Value"] for r in records.values()) == ["open", "open"]
    gates = resources(stack, "AWS::SSM::MaintenanceWindowTask")
    gate_tasks = {k: r["Properties"] for k, r in gates.items() if r["Properties"].get("TaskType") == "AUTOMATION"}
    assert len(gate_tasks) == 2
    windows = {t["WindowId"]["Ref"] for t in gate_tasks.values()}
    assert windows == {logical_id(stack, w.cfn_window) for w in waves.windows[1:]}
    for task in gate_tasks.values():
        assert task["Priority"] == 0
        assert task["TaskArn"] == {"Ref": logical_id(stack, waves.gate)}
        parameters = task["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"]
        assert parameters["WindowExecutionId"] == ["{{WINDOW_EXECUTION_ID}}"]
        assert parameters["WindowId"] == ["{{WINDOW_ID}}"]
    patch_priorities = [
        r["Properties"]["Priority"] for r in gates.values() if r["Properties"]["TaskType"] != "AUTOMATION"
    ]
    assert min(patch_priorities) > 0


def test_the_gate_cancels_a_halted_execution_before_patching(stack: Stack) -> None:
    waves = three_waves(stack)
    content = resources(stack, "AWS::SSM::Document")[logical_id(stack, waves.gate)]["Properties"]["Content"]
    steps = {step["name"]: step for step in content["mainSteps"]}
    assert list(steps) == ["ReadHaltRecord", "OpenOrHalted", "CancelExecution", "DisableWindow", "NotifyHalted", "Open"]
    (choice,) = steps["OpenOrHalted"]["inputs"]["Choices"]
    assert choice == {"NextStep": "Open", "Variable": "{{ ReadHaltRecord.Value }}", "StringEquals": "open"}
    assert steps["OpenOrHalted"]["inputs"]["Default"] == "CancelExecution"
    assert steps["CancelExecution"]["inputs"]["Api"] == "CancelMaintenanceWindowExecution"
    assert steps["NotifyHalted"]["isEnd"] is True


def _api_steps(stack: Stack) -> list[dict[str, Any]]:
    documents = resources(stack, "AWS::SSM::Document").values()
    return [
        step
        for document in documents
        if document["Properties"]["DocumentType"] == "Automation"
        for step in document["Properties"]["Content"]["mainSteps"]
        if step["action"] == "aws:executeAwsApi"
    ]


def test_every_api_step_calls_a_real_operation_with_its_members(stack: Stack) -> None:
    three_waves(stack)
    session = botocore.session.get_session()
    steps = _api_steps(stack)
    assert len(steps) >= 8
    for step in steps:
        inputs = dict(step["inputs"])
        service, api = inputs.pop("Service"), inputs.pop("Api")
        operation = session.get_service_model(service).operation_model(api)
        members = operation.input_shape.members
        assert set(inputs) <= set(members), (step["name"], set(inputs) - set(members))
        assert set(operation.input_shape.required_members) <= set(inputs), step["name"]


def test_the_roles_may_do_only_what_the_brake_needs(stack: Stack) -> None:
    waves = three_waves(stack)
    roles = resources(stack, "AWS::IAM::Role")
    automation = roles[logical_id(stack, waves.automation_role)]["Properties"]["AssumeRolePolicyDocument"]
    (trust,) = automation["Statement"]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert set(trust["Condition"]) == {"StringEqualsIfExists", "ArnLikeIfExists"}
    events_trust = roles[logical_id(stack, waves._events_role)]["Properties"]["AssumeRolePolicyDocument"]
    (trust,) = events_trust["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    statements = {
        json.dumps(s["Action"]): s
        for policy in resources(stack, "AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"][0]["Ref"]
        in (logical_id(stack, waves.automation_role), logical_id(stack, waves._events_role))
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    update = statements['"ssm:UpdateMaintenanceWindow"']["Resource"]
    assert len(update) == 2
    assert {json.dumps(r).count("Ref") for r in update} == {1}  # the two later windows, by id
    assert "CanaryWindow" not in json.dumps(update)
    records = statements['["ssm:GetParameter", "ssm:PutParameter"]']["Resource"]
    assert len(records) == 2
    assert statements['"sns:Publish"']["Resource"] == {"Ref": logical_id(stack, waves.topic)}
    assert statements['"ssm:CancelMaintenanceWindowExecution"']["Resource"] == "*"
    start = statements['"ssm:StartAutomationExecution"']["Resource"]
    assert len(start) == 2
    assert all("automation-definition/" in json.dumps(r) for r in start)
    pass_role = statements['"iam:PassRole"']
    assert pass_role["Resource"] == {"Fn::GetAtt": [logical_id(stack, waves.automation_role), "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_a_later_windows_role_may_start_only_the_gate(stack: Stack) -> None:
    waves = three_waves(stack)
    main = waves.windows[1]
    policy = resources(stack, "AWS::IAM::Role")[logical_id(stack, main.window_role.cfn_role)]["Properties"]["Policies"]
    statements = policy[0]["PolicyDocument"]["Statement"]
    (start,) = [s for s in statements if s["Action"] == "ssm:StartAutomationExecution"]
    assert json.dumps({"Ref": logical_id(stack, waves.gate)}) in json.dumps(start["Resource"])
    canary_policy = resources(stack, "AWS::IAM::Role")[logical_id(stack, waves.windows[0].window_role.cfn_role)]
    assert "StartAutomationExecution" not in json.dumps(canary_policy)


def test_halt_on_instance_failure_adds_the_invocation_event(stack: Stack) -> None:
    waves = three_waves(stack, halt_on_instance_failure=True)
    rule = resources(stack, "AWS::Events::Rule")[logical_id(stack, waves.rules[0])]["Properties"]
    assert rule["EventPattern"]["detail-type"] == [
        "Maintenance Window Execution State-change Notification",
        "Maintenance Window Task Target Invocation State-change Notification",
    ]


@functools.lru_cache(maxsize=2)
def concrete_pattern(on_instances: bool) -> str:
    """The first brake rule's pattern with a real window id (built once per setting: the tests only read it)."""
    stack = new_stack()
    waves = three_waves(stack, halt_on_instance_failure=on_instances)
    pattern = resources(stack, "AWS::Events::Rule")[logical_id(stack, waves.rules[0])]["Properties"]["EventPattern"]
    pattern["detail"]["window-id"] = [WINDOW_ID]
    return json.dumps(pattern)


@pytest.mark.parametrize(
    ("event", "detail", "on_instances", "matches"),
    [
        (EXECUTION_EVENT, EXECUTION_DETAIL, False, True),
        (EXECUTION_EVENT, {**EXECUTION_DETAIL, "status": "FAILED"}, False, True),
        (EXECUTION_EVENT, {**EXECUTION_DETAIL, "status": "SUCCESS"}, False, False),
        (EXECUTION_EVENT, {**EXECUTION_DETAIL, "status": "CANCELLED"}, False, False),
        (EXECUTION_EVENT, {**EXECUTION_DETAIL, "window-id": "mw-0aaaaaaaaaaaaaaaa"}, False, False),
        (INVOCATION_EVENT, INVOCATION_DETAIL, False, False),
        (INVOCATION_EVENT, INVOCATION_DETAIL, True, True),
        (INVOCATION_EVENT, {**INVOCATION_DETAIL, "status": "SUCCESS"}, True, False),
        ({**EXECUTION_EVENT, "Source": "aws.ec2"}, EXECUTION_DETAIL, True, False),
    ],
)
@mock_aws
def test_the_brake_pattern_on_documented_events(
    event: dict[str, Any], detail: dict[str, Any], on_instances: bool, matches: bool
) -> None:
    pattern = concrete_pattern(on_instances)
    region = "us-east-2"
    sqs, eventbridge = boto3.client("sqs", region_name=region), boto3.client("events", region_name=region)
    queue = sqs.create_queue(QueueName="brake")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eventbridge.put_rule(Name="brake", EventPattern=pattern)
    eventbridge.put_targets(Rule="brake", Targets=[{"Id": "q", "Arn": arn}])
    eventbridge.put_events(Entries=[{**event, "Detail": json.dumps(detail)}])
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
    assert bool(received) is matches


TOO_LATE = (
    r"wave TestStack/Main opens .* while the window of wave TestStack/Canary that opened .* \(2 h\) may still run: "
    r"the brake would come too late; open the later wave after the earlier one ends, or pass check_order=False"
)


@pytest.mark.parametrize(
    "crons",
    [
        ("0 3 ? * SAT *", "0 4 ? * SAT *"),  # an hour into the canary's two
        ("0 3 ? * SAT *", "0 3 ? * SAT *"),  # together
        ("0 3 ? * * *", "0 4 ? * SUN *"),  # a daily canary is running on Sunday too
    ],
)
def test_a_later_wave_that_can_open_while_an_earlier_one_runs_is_refused(stack: Stack, crons: tuple[str, str]) -> None:
    canary, main = workflow(stack, "Canary", crons[0]), workflow(stack, "Main", crons[1])
    with pytest.raises(ValueError, match=TOO_LATE):
        PatchWaves(stack, "Waves", waves=[canary, main])


@pytest.mark.parametrize(
    "crons",
    [
        ("0 3 ? * SAT *", "0 5 ? * SAT *"),  # as the canary's window ends
        ("0 3 ? * SAT *", "0 1 ? * SAT *"),  # before it, the previous canary long over
        ("0 3 ? * * *", "0 6 ? * SUN *"),
    ],
)
def test_a_later_wave_opening_after_the_last_earlier_window_ends_is_taken(stack: Stack, crons: tuple[str, str]) -> None:
    PatchWaves(stack, "Waves", waves=[workflow(stack, "Canary", crons[0]), workflow(stack, "Main", crons[1])])


def test_the_order_check_gives_the_same_answer_on_every_day(stack: Stack) -> None:
    canary, main = workflow(stack, "Canary", "0 3 ? * SAT *"), workflow(stack, "Main", "0 3 ? * SUN *")
    close = workflow(stack, "Close", "0 4 ? * SAT *")
    for half_days in range(28):
        now = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=12 * half_days)
        check_wave_order([canary.window, main.window], now)
        with pytest.raises(ValueError, match=r"wave TestStack/Close opens"):
            check_wave_order([canary.window, close.window], now)


def test_the_order_check_counts_in_each_windows_time_zone(stack: Stack) -> None:
    # 03:00 in New York is 08:00 UTC (winter): a UTC window at 06:00 the same day opens before it ends.
    canary = workflow(stack, "Canary", "0 3 ? * SAT *", schedule_timezone="America/New_York")
    main = workflow(stack, "Main", "0 9 ? * SAT *")
    with pytest.raises(ValueError, match=r"wave TestStack/Main opens"):
        check_wave_order([canary.window, main.window], datetime(2026, 12, 1, tzinfo=UTC))
    later = workflow(stack, "Later", "0 11 ? * SAT *")
    check_wave_order([canary.window, later.window], datetime(2026, 12, 1, tzinfo=UTC))


def test_the_order_check_can_be_turned_off(stack: Stack) -> None:
    canary, main = workflow(stack, "Canary", "0 3 ? * SAT *"), workflow(stack, "Main", "0 4 ? * SAT *")
    PatchWaves(stack, "Waves", waves=[canary, main], check_order=False)


@pytest.mark.parametrize(
    ("count", "message"),
    [(1, r"waves must hold 2 to 10 items; got 1"), (0, r"waves must hold 2 to 10 items; got 0")],
)
def test_at_least_two_waves(stack: Stack, count: int, message: str) -> None:
    waves = [workflow(stack, f"W{i}", "0 3 ? * SAT *") for i in range(count)]
    with pytest.raises(ValueError, match=message):
        PatchWaves(stack, "Waves", waves=waves)


def test_a_wave_given_twice_would_halt_itself(stack: Stack) -> None:
    canary = workflow(stack, "Canary", "0 3 ? * SAT *")
    with pytest.raises(
        ValueError, match=r"waves must be distinct: TestStack/Canary is given twice, so it would halt itself"
    ):
        PatchWaves(stack, "Waves", waves=[canary, canary])


def test_wrong_types_are_refused(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"waves"):
        PatchWaves(stack, "Waves", waves="Canary,Main")  # type: ignore[arg-type]


def test_tags_never_reach_the_halt_record(stack: Stack) -> None:
    """An update of an SSM parameter rewrites its template value: a tag change must not re-open a wave."""
    from aws_cdk import Tags

    waves = three_waves(stack)
    Tags.of(stack).add("CostCentre", "42")
    body = template(stack).to_json()["Resources"]
    for record in waves.halt_records.values():
        assert "Tags" not in body[logical_id(stack, record)]["Properties"]
    assert "Tags" in body[logical_id(stack, waves.windows[1])]["Properties"]  # tagging still works elsewhere


def test_a_task_beside_the_gate_is_refused_at_synth(stack: Stack) -> None:
    canary = workflow(stack, "Canary", "0 3 ? * SAT *")
    main = workflow(stack, "Main", "0 3 ? * SUN *", priority=0)
    PatchWaves(stack, "Waves", waves=[canary, main])
    with pytest.raises(
        RuntimeError, match=r"task TestStack/Main/Window/Patch/Resource of wave TestStack/Main has priority 0"
    ):
        template(stack)


def test_a_task_after_the_gate_is_taken(stack: Stack) -> None:
    PatchWaves(
        stack,
        "Waves",
        waves=[workflow(stack, "Canary", "0 3 ? * SAT *"), workflow(stack, "Main", "0 3 ? * SUN *", priority=1)],
    )
    template(stack)


def test_waves_whose_ids_differ_only_in_punctuation_are_refused(stack: Stack) -> None:
    first, second = workflow(stack, "Web-1", "0 3 ? * SAT *"), workflow(stack, "Web1", "0 3 ? * SUN *")
    with pytest.raises(ValueError, match=r"waves TestStack/Web-1 and TestStack/Web1 differ only in punctuation"):
        PatchWaves(stack, "Waves", waves=[first, second])


def test_a_wave_in_another_account_is_refused(stack: Stack) -> None:
    from aws_cdk import Environment

    other = Stack(stack.node.scope, "Other", env=Environment(account="999999999999", region="us-east-1"))  # type: ignore[arg-type]
    canary = workflow(other, "Canary", "0 3 ? * SAT *")
    with pytest.raises(
        ValueError,
        match=r"waves must be in the account and region of TestStack; TestStack/Canary|Other/Canary is in 999999999999/us-east-1",
    ):
        PatchWaves(stack, "Waves", waves=[canary, workflow(stack, "Main", "0 3 ? * SUN *")])


def test_a_window_with_its_own_role_warns_that_the_gate_needs_grants(stack: Stack) -> None:
    from aws_cdk import aws_iam as iam
    from aws_cdk.assertions import Annotations, Match

    from constructs_lib import MaintenanceWindow

    role = iam.Role(stack, "Yours", assumed_by=iam.ServicePrincipal("ssm.amazonaws.com"))
    canary = workflow(stack, "Canary", "0 3 ? * SAT *")
    main = MaintenanceWindow(
        stack, "Main", schedule=WindowSchedule.cron("0 3 ? * SUN *"), duration=Duration.hours(3), service_role=role
    )
    PatchWaves(stack, "Waves", waves=[canary, main])
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("runs with your service_role"))
    assert len(warnings) == 1


def test_a_customer_key_topic_lets_the_automation_role_publish(stack: Stack) -> None:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "Topic", master_key=key)
    waves = PatchWaves(
        stack,
        "Waves",
        waves=[workflow(stack, "Canary", "0 3 ? * SAT *"), workflow(stack, "Main", "0 3 ? * SUN *")],
        notifications=topic,
    )
    policies = [
        s
        for r in resources(stack, "AWS::IAM::Policy").values()
        if r["Properties"]["Roles"] == [{"Ref": logical_id(stack, waves.automation_role)}]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    (grant,) = [s for s in policies if "kms:Decrypt" in s["Action"]]
    assert grant["Resource"] == {"Fn::GetAtt": [logical_id(stack, key), "Arn"]}


def test_a_collision_some_months_only_is_found_whatever_the_day() -> None:
    """Patch Tuesday 22:00 for 4 h against the 14th at 00:00 collides when the 14th is a Wednesday."""
    from constructs_lib._internal.schedule_occurrences import Opening, brake_too_late

    dev = Opening("dev", "cron(0 22 ? * TUE#2 *)", "UTC", None, 4)
    prod = Opening("prod", "cron(0 0 14 * ? *)", "UTC", None, 4)
    for now in (datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 8, 1, tzinfo=UTC)):
        assert brake_too_late(dev, prod, now) is not None, now


def test_window_lengths_are_elapsed_hours_across_a_daylight_saving_change() -> None:
    from constructs_lib._internal.schedule_occurrences import Opening, brake_too_late

    # 2026-03-08 00:30 EST + 4 h is 05:30 EDT: a 04:30 opening that day falls inside.
    canary = Opening("canary", "cron(30 0 ? * SUN *)", "America/New_York", None, 4)
    main = Opening("main", "cron(30 4 ? * SUN *)", "America/New_York", None, 3)
    assert brake_too_late(canary, main, datetime(2026, 1, 1, tzinfo=UTC)) is not None
    # 2025-11-02 00:30 EDT + 4 h is 08:30 UTC: a 09:00 UTC opening is after it.
    daily = Opening("daily", "cron(30 0 * * ? *)", "America/New_York", None, 4)
    yearly = Opening("yearly", "cron(0 9 ? 11 SUN#1 *)", "UTC", None, 3)
    assert brake_too_late(daily, yearly, datetime(2025, 1, 1, tzinfo=UTC)) is None


def test_every_earlier_wave_is_checked_not_only_the_one_before(stack: Stack) -> None:
    first = workflow(stack, "First", "0 0 ? * MON *", hours=4)
    second = workflow(stack, "Second", "0 5 ? * MON *")
    third = workflow(stack, "Third", "0 2 ? * MON *")  # after Second's previous week, inside First's window
    with pytest.raises(ValueError, match=r"wave TestStack/Third opens .* while the window of wave TestStack/First"):
        PatchWaves(stack, "Waves", waves=[first, second, third])


def test_a_task_at_priority_0_in_another_stack_is_refused_too(stack: Stack) -> None:
    from aws_cdk import aws_ssm as ssm

    waves = PatchWaves(
        stack, "Waves", waves=[workflow(stack, "Canary", "0 3 ? * SAT *"), workflow(stack, "Main", "0 3 ? * SUN *")]
    )
    other = Stack(stack.node.scope, "Elsewhere", env={"account": stack.account, "region": stack.region})  # type: ignore[arg-type]
    ssm.CfnMaintenanceWindowTask(
        other,
        "Early",
        window_id=waves.windows[1].window_id,
        task_type="RUN_COMMAND",
        task_arn="AWS-RunShellScript",
        priority=0,
    )
    with pytest.raises(RuntimeError, match=r"task Elsewhere/Early of wave TestStack/Main has priority 0"):
        stack.node.root.synth()  # type: ignore[attr-defined]


# The documented Automation execution event (user guide "monitoring-systems-manager-event-examples"; the
# step event's sample without StepName and Action, ExecutedBy added as its field list has it), status varied.
AUTOMATION_EVENT = {
    "Source": "aws.ssm",
    "DetailType": "EC2 Automation Execution Status-change Notification",
    "Resources": [
        "arn:aws:ssm:us-east-2:123456789012:automation-execution/333ba70b-2333-48db-b17e-a5e69c6f4d1c",
        "arn:aws:ssm:us-east-2:123456789012:automation-definition/runbook-of-the-canary:1",
    ],
}
AUTOMATION_DETAIL = {
    "ExecutionId": "333ba70b-2333-48db-b17e-a5e69c6f4d1c",
    "Definition": "runbook-of-the-canary",
    "DefinitionVersion": 1.0,
    "Status": "Failed",
    "EndTime": "Nov 29, 2024 7:43:25 PM",
    "StartTime": "Nov 29, 2024 7:43:23 PM",
    "Time": 2630.0,
    "ExecutedBy": "arn:aws:sts::123456789012:assumed-role/PatchWindow/mw-0ed7251d3fcf6e0c2",
}


def runbook_waves(stack: Stack, **options: Any) -> PatchWaves:
    """A canary wave behind a load balancer (patched by its runbook, an AUTOMATION task), then the rest."""
    group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
    canary = workflow(stack, "Canary", "0 3 ? * FRI *", hours=4, load_balancer=TargetGroupDrain(target_groups=[group]))
    return PatchWaves(stack, "Waves", waves=[canary, workflow(stack, "Main", "0 3 ? * SAT *")], **options)


def test_a_runbook_waves_failed_instance_halts_through_its_automation_event(stack: Stack) -> None:
    waves = runbook_waves(stack, halt_on_instance_failure=True)
    canary = waves.windows[0]
    assert len(waves.rules) == 2  # the window execution's rule, and the runbook's
    rule = resources(stack, "AWS::Events::Rule")[logical_id(stack, waves.rules[1])]["Properties"]
    runbook = stack.node.find_child("Canary").node.find_child("Runbook")
    assert isinstance(runbook, PatchRunbook)
    assert rule["EventPattern"] == {
        "source": ["aws.ssm"],
        "detail-type": ["EC2 Automation Execution Status-change Notification"],
        "detail": {"Definition": [{"Ref": logical_id(stack, runbook.cfn_document)}], "Status": ["Failed", "TimedOut"]},
    }
    paths = rule["Targets"][0]["InputTransformer"]["InputPathsMap"]
    assert paths["execution"] == "$.detail.ExecutionId"
    assert paths["status"] == "$.detail.Status"
    halt = resources(stack, "AWS::SSM::Document")[logical_id(stack, waves._halt_runbooks[1])]["Properties"]["Content"]
    assert halt["parameters"]["Status"]["allowedValues"] == ["Failed", "TimedOut"]
    assert "AutomationExecutionId" in halt["parameters"]
    assert "patch runbook execution {{ AutomationExecutionId }}" in json.dumps(halt["mainSteps"])
    disabled = [step["inputs"]["WindowId"] for step in halt["mainSteps"] if step["name"].startswith("Disable")]
    assert disabled == [{"Ref": logical_id(stack, waves.windows[1].cfn_window)}]
    assert canary.window_id not in json.dumps(disabled)


def test_without_halt_on_instance_failure_a_runbook_wave_halts_on_its_window_execution_only(stack: Stack) -> None:
    waves = runbook_waves(stack)
    assert len(waves.rules) == 1
    assert "EC2 Automation" not in json.dumps(resources(stack, "AWS::Events::Rule"))


class MadeUpIds(dict[str, str]):
    """Ids for the runbook CLI's ``concrete``: those given, else a role ARN for an attribute (Fn::GetAtt) and
    the logical id itself for a Ref."""

    def __missing__(self, key: str) -> str:
        logical_id, _, attribute = key.partition(".")
        return f"arn:aws:iam::123456789012:role/{logical_id}" if attribute else key


@pytest.mark.parametrize(
    ("detail_type", "detail", "halts"),
    [
        (AUTOMATION_EVENT["DetailType"], AUTOMATION_DETAIL, True),
        (AUTOMATION_EVENT["DetailType"], {**AUTOMATION_DETAIL, "Status": "TimedOut"}, True),
        (AUTOMATION_EVENT["DetailType"], {**AUTOMATION_DETAIL, "Status": "Success"}, False),
        (AUTOMATION_EVENT["DetailType"], {**AUTOMATION_DETAIL, "Status": "Cancelled"}, False),
        (AUTOMATION_EVENT["DetailType"], {**AUTOMATION_DETAIL, "Definition": "another-runbook"}, False),
        ("EC2 Automation Step Status-change Notification", AUTOMATION_DETAIL, False),
    ],
)
@mock_aws
def test_the_runbook_rule_on_the_documented_event_gives_the_halt_runbook_valid_parameters(
    detail_type: str, detail: dict[str, Any], halts: bool
) -> None:
    """The rule as synthesized (the runbook named as in the sample), on moto's EventBridge, which applies the
    input transformer: what reaches the halt runbook must pass its parameters' patterns and allowed values."""
    stack = new_stack()
    waves = runbook_waves(stack, halt_on_instance_failure=True)
    runbook = stack.node.find_child("Canary").node.find_child("Runbook")
    assert isinstance(runbook, PatchRunbook)
    names = MadeUpIds({logical_id(stack, runbook.cfn_document): "runbook-of-the-canary", "AWS::Partition": "aws"})
    rule = concrete(resources(stack, "AWS::Events::Rule")[logical_id(stack, waves.rules[1])]["Properties"], names)
    halt = resources(stack, "AWS::SSM::Document")[logical_id(stack, waves._halt_runbooks[1])]["Properties"]
    region = "us-east-2"
    sqs, eventbridge = boto3.client("sqs", region_name=region), boto3.client("events", region_name=region)
    queue = sqs.create_queue(QueueName="halt")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eventbridge.put_rule(Name="brake", EventPattern=json.dumps(rule["EventPattern"]))
    transformer = rule["Targets"][0]["InputTransformer"]
    eventbridge.put_targets(Rule="brake", Targets=[{"Id": "q", "Arn": arn, "InputTransformer": transformer}])
    eventbridge.put_events(Entries=[{**AUTOMATION_EVENT, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
    assert bool(received) is halts
    if halts:
        given = json.loads(received[0]["Body"])
        declared = halt["Content"]["parameters"]
        assert set(given) == set(declared)
        assert given["AutomationExecutionId"] == [detail["ExecutionId"]]
        assert given["Status"][0] in declared["Status"]["allowedValues"]
        assert re.fullmatch(declared["AutomationExecutionId"]["allowedPattern"], given["AutomationExecutionId"][0])
        assert re.fullmatch(declared["SourceAccount"]["allowedPattern"], given["SourceAccount"][0])
