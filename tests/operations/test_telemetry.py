"""Hook telemetry (PatchWorkflow telemetry=): metric filters once per log group, alarms to the alerts topic, a
dashboard per workflow, and what synth refuses. (That the filters match the scripts' real lines is
tests/hook_scripts/test_hook_lines.py.)"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_cdk import Duration, Stack
from moto import mock_aws

from constructs_lib import CommandOutput, HookTelemetry, PatchWorkflow
from examples.demo.stack import demo_hooks
from tests import builders
from tests.builders import new_stack, properties


def workflow(stack: Stack, name: str = "Web", **keywords: Any) -> PatchWorkflow:
    return builders.workflow(stack, name, **{"patch_groups": [name.lower()], **keywords})


def test_six_filters_on_the_output_log_group_in_the_namespace() -> None:
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    workflow(stack, output=output, telemetry=HookTelemetry(namespace="Acme/Patching"))
    filters = properties(stack, "AWS::Logs::MetricFilter")
    assert len(filters) == 6
    log_group = stack.get_logical_id(output.log_group.node.default_child)  # type: ignore[union-attr,arg-type]
    assert {json.dumps(f["LogGroupName"]) for f in filters.values()} == {json.dumps({"Ref": log_group})}
    by_metric = {f["MetricTransformations"][0]["MetricName"]: f for f in filters.values()}
    assert set(by_metric) == {
        "StopSeconds",
        "UpdateSeconds",
        "TimeToHealthySeconds",
        "StopFailures",
        "UpdateFailures",
        "StartFailures",
    }
    healthy = by_metric["TimeToHealthySeconds"]
    assert healthy["MetricTransformations"][0] == {
        "MetricName": "TimeToHealthySeconds",
        "MetricNamespace": "Acme/Patching",
        "MetricValue": "$seconds",
        "Dimensions": [{"Key": "Service", "Value": "$service"}],
        "Unit": "Seconds",
    }
    assert healthy["FilterPattern"] == (
        '[marker = "patch-hook-metric", hook = "start_app_and_verify", service, name = "TimeToHealthySeconds", seconds]'
    )
    # A failure line is found anywhere in an event: the agent ships a second's lines as one event.
    assert by_metric["StartFailures"]["FilterPattern"] == '"start_app_and_verify: FAILED:"'
    assert by_metric["StartFailures"]["MetricTransformations"][0]["MetricValue"] == "1"
    assert "Dimensions" not in by_metric["StartFailures"]["MetricTransformations"][0]


def test_workflows_sharing_an_output_share_its_filters_and_one_namespace() -> None:
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    web = workflow(stack, "Web", output=output, telemetry=HookTelemetry())
    api = workflow(stack, "Api", output=output, telemetry=HookTelemetry(dashboard=False))
    assert web.hook_metrics is api.hook_metrics
    assert len(properties(stack, "AWS::Logs::MetricFilter")) == 6  # counted once, not once per workflow
    # Failure lines name no workflow: one alarm for the log group, not one per workflow firing together.
    assert len(properties(stack, "AWS::CloudWatch::Alarm")) == 1
    assert len(properties(stack, "AWS::CloudWatch::Dashboard")) == 1
    with pytest.raises(ValueError, match=r"telemetry\.namespace 'Other' differs from 'PatchHooks'"):
        workflow(stack, "Batch", output=output, telemetry=HookTelemetry(namespace="Other"))


def test_the_failure_alarm_sums_every_hooks_failures_and_tells_the_alerts_topic() -> None:
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    workflow(stack, output=output, hooks=demo_hooks(stack, "demo"), telemetry=HookTelemetry())
    alarms = properties(stack, "AWS::CloudWatch::Alarm")
    (alarm,) = alarms.values()  # no time_to_healthy: the failure alarm only
    expression = next(m for m in alarm["Metrics"] if "Expression" in m)
    assert expression["Expression"] == "FILL(stopfailures, 0) + FILL(updatefailures, 0) + FILL(startfailures, 0)"
    summed = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert summed == {"StopFailures", "UpdateFailures", "StartFailures"}
    assert all(m["MetricStat"]["Stat"] == "Sum" for m in alarm["Metrics"] if "MetricStat" in m)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    topic = next(k for k in properties(stack, "AWS::SNS::Topic") if k.startswith("PatchAlerts"))
    assert alarm["AlarmActions"] == [{"Ref": topic}]
    # Only this alarm (and the stack's other alarms and rules sent there) may publish to the topic.
    (policy,) = properties(stack, "AWS::SNS::TopicPolicy").values()
    (grant,) = [
        s
        for s in policy["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    (alarm_id,) = properties(stack, "AWS::CloudWatch::Alarm")
    assert grant["Condition"]["ArnEquals"] == {"aws:SourceArn": {"Fn::GetAtt": [alarm_id, "Arn"]}}


def test_time_to_healthy_alarms_per_service_of_the_typed_hooks() -> None:
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    workflow(
        stack,
        output=output,
        hooks=demo_hooks(stack, "demo"),
        telemetry=HookTelemetry(time_to_healthy=Duration.minutes(3), alarm_on_failure=False),
    )
    (alarm,) = properties(stack, "AWS::CloudWatch::Alarm").values()
    (metric,) = alarm["Metrics"]
    stat = metric["MetricStat"]
    assert stat["Metric"]["MetricName"] == "TimeToHealthySeconds"
    assert stat["Metric"]["Dimensions"] == [{"Name": "Service", "Value": "demo-app"}]
    assert (stat["Stat"], alarm["Threshold"], alarm["ComparisonOperator"]) == ("Maximum", 180, "GreaterThanThreshold")


def dashboard_body(stack: Stack) -> dict[str, Any]:
    """The only dashboard's body as CloudWatch reads it (the region reference filled in)."""
    (dashboard,) = properties(stack, "AWS::CloudWatch::Dashboard").values()
    parts = dashboard["DashboardBody"]["Fn::Join"][1]
    body: dict[str, Any] = json.loads("".join(part if isinstance(part, str) else "us-east-1" for part in parts))
    return body


def expressions(body: dict[str, Any]) -> list[str]:
    """The metric math expressions the widgets plot."""
    found = []
    for widget in body["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            found += [item["expression"] for item in metric if isinstance(item, dict) and "expression" in item]
    return found


def widget_metrics(body: dict[str, Any]) -> str:
    return json.dumps([widget["properties"].get("metrics") for widget in body["widgets"]])


def test_the_dashboard_shows_the_workflows_services_or_searches_when_they_are_unknown() -> None:
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    workflow(stack, output=output, hooks=demo_hooks(stack, "demo"), telemetry=HookTelemetry())
    body = dashboard_body(stack)
    titles = [widget["properties"]["title"] for widget in body["widgets"]]
    assert titles == [
        "Patch runs and compliance, per day",
        "StopSeconds (maximum)",
        "UpdateSeconds (maximum)",
        "TimeToHealthySeconds (maximum)",
        "Hook failures",
        "Hook failures, last 7 days",
    ]
    shown = widget_metrics(body)
    assert '["PatchHooks", "TimeToHealthySeconds", "Service", "demo-app"' in shown
    assert expressions(body) == ["FILL(stopfailures, 0) + FILL(updatefailures, 0) + FILL(startfailures, 0)"] * 2
    unknown = new_stack()
    workflow(unknown, output=CommandOutput(unknown, "Output", cloudwatch_output=True), telemetry=HookTelemetry())
    expected = """SEARCH('{PatchHooks,Service} MetricName="TimeToHealthySeconds"', 'Maximum', 300)"""
    assert expected in expressions(dashboard_body(unknown))


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (None, "telemetry needs output with cloudwatch_output=True"),
        ({"s3_output": True, "cloudwatch_output": False}, "telemetry needs output with cloudwatch_output=True"),
    ],
)
def test_telemetry_needs_output_to_cloudwatch_logs(output: dict[str, Any] | None, message: str) -> None:
    stack = new_stack()
    keywords: dict[str, Any] = {"output": CommandOutput(stack, "Output", **output)} if output else {}
    with pytest.raises(ValueError, match=message):
        workflow(stack, telemetry=HookTelemetry(), **keywords)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"namespace": "AWS/SSM"}, "must not start with AWS/"),
        ({"namespace": ""}, "telemetry.namespace"),
        ({"namespace": "has space"}, "telemetry.namespace"),
        ({"namespace": "Acme:Patching"}, "telemetry.namespace"),  # PutMetricFilter refuses a colon
        ({"time_to_healthy": Duration.hours(2)}, "telemetry.time_to_healthy"),
    ],
)
def test_wrong_options_are_refused(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HookTelemetry(**keywords)


def test_wrong_types_are_refused_naming_the_field() -> None:
    with pytest.raises(TypeError, match="dashboard"):
        HookTelemetry(dashboard="yes")
    assert HookTelemetry(namespace="Acme/Patching-1").namespace == "Acme/Patching-1"


# The documented window execution event (user guide "monitoring-systems-manager-event-examples"), status varied.
WINDOW_EVENT = {
    "Source": "aws.ssm",
    "DetailType": "Maintenance Window Execution State-change Notification",
    "Resources": ["arn:aws:ssm:us-east-2:123456789012:maintenancewindow/mw-0ed7251d3fcf6e0c2"],
}
WINDOW_DETAIL = {
    "start-time": "2016-11-16T01:00:56.427Z",
    "end-time": "2016-11-16T01:00:57.070Z",
    "window-id": "mw-0ed7251d3fcf6e0c2",
    "window-execution-id": "b60fb56e-776c-4e5c-84ee-123456789012",
    "status": "TIMED_OUT",
}


@pytest.mark.parametrize(
    ("status", "window", "counted_by"),
    [
        ("TIMED_OUT", "mw-0ed7251d3fcf6e0c2", "FailedRuns"),
        ("FAILED", "mw-0ed7251d3fcf6e0c2", "FailedRuns"),
        ("SUCCESS", "mw-0ed7251d3fcf6e0c2", "SucceededRuns"),
        ("CANCELLED", "mw-0ed7251d3fcf6e0c2", None),
        ("FAILED", "mw-0aaaaaaaaaaaaaaaa", None),  # another window
    ],
)
@mock_aws
def test_the_windows_runs_are_counted_and_a_failed_one_alerts(status: str, window: str, counted_by: str | None) -> None:
    stack = new_stack()
    web = workflow(stack, output=CommandOutput(stack, "Output", cloudwatch_output=True), telemetry=HookTelemetry())
    rules = {k: r for k, r in properties(stack, "AWS::Events::Rule").items()}
    window_ref = stack.get_logical_id(web.window.cfn_window)
    region = "us-east-2"
    sqs, eventbridge = boto3.client("sqs", region_name=region), boto3.client("events", region_name=region)
    matched = []
    for logical_id, rule in rules.items():
        pattern = json.loads(
            json.dumps(rule["EventPattern"]).replace(json.dumps({"Ref": window_ref}), '"mw-0ed7251d3fcf6e0c2"')
        )
        name = "FailedRuns" if "FailedRuns" in logical_id else "SucceededRuns"
        queue = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        eventbridge.put_rule(Name=name, EventPattern=json.dumps(pattern))
        target: dict[str, Any] = {"Id": "q", "Arn": arn}
        if rule.get("Targets"):
            target["InputTransformer"] = rule["Targets"][0]["InputTransformer"]
        eventbridge.put_targets(Rule=name, Targets=[target])
        matched.append((name, queue))
    eventbridge.put_events(
        Entries=[{**WINDOW_EVENT, "Detail": json.dumps({**WINDOW_DETAIL, "status": status, "window-id": window})}]
    )
    received = {name: sqs.receive_message(QueueUrl=queue).get("Messages", []) for name, queue in matched}
    assert [name for name, messages in received.items() if messages] == ([counted_by] if counted_by else [])
    if counted_by == "FailedRuns":
        message = json.loads(received["FailedRuns"][0]["Body"])
        assert message.startswith(
            f"Patch window mw-0ed7251d3fcf6e0c2 in account 123456789012, us-east-2: execution "
            f"b60fb56e-776c-4e5c-84ee-123456789012 ended {status}."
        )


def test_the_dashboard_counts_runs_and_instances_turning_non_compliant() -> None:
    from constructs_lib import ComplianceAlerts

    stack = new_stack()
    workflow(
        stack,
        output=CommandOutput(stack, "Output", cloudwatch_output=True),
        telemetry=HookTelemetry(),
        compliance_alerts=ComplianceAlerts(),
    )
    body = dashboard_body(stack)
    first = body["widgets"][0]["properties"]
    assert first["title"] == "Patch runs and compliance, per day"
    labels = [metric[-1]["label"] for metric in first["metrics"]]
    assert labels == ["runs succeeded", "runs failed or timed out", "instances turning non-compliant"]
    assert all(metric[:2] == ["AWS/Events", "MatchedEvents"] for metric in first["metrics"])
    failed = next(r for k, r in properties(stack, "AWS::Events::Rule").items() if "FailedRuns" in k)
    topic = next(k for k in properties(stack, "AWS::SNS::Topic"))
    assert failed["Targets"][0]["Arn"] == {"Ref": topic}
