"""Compliance alerts (PatchWorkflow compliance_alerts=) and the stack's alerts topic: the rule's pattern on the
documented event and its neighbours, the readable message as EventBridge renders it (moto), who may publish."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_cdk import Duration, Stack
from moto import mock_aws

from constructs_lib import ComplianceAlerts, OperatingSystem, PatchBaselineOptions, PatchWorkflow, WindowSchedule
from constructs_lib.cli.runbook import concrete
from tests import builders
from tests.builders import new_stack, properties, template

# The documented "Patch Non-Compliant" event (user guide "monitoring-systems-manager-event-examples").
SAMPLE = {
    "Source": "aws.ssm",
    "DetailType": "Configuration Compliance State Change",
    "Resources": ["arn:aws:ssm:us-east-2:123456789012:managed-instance/i-01234567890abcdef"],
}
DETAIL = {
    "resource-type": "managed-instance",
    "resource-id": "i-01234567890abcdef",
    "compliance-status": "non_compliant",
    "compliance-type": "Patch",
    "patch-baseline-id": "PB789",
    "severity": "critical",
}


def workflow(stack: Stack, **keywords: Any) -> PatchWorkflow:
    return builders.workflow(
        stack,
        compliance_alerts=ComplianceAlerts(**keywords),
        baselines=[PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023)],
    )


@pytest.mark.parametrize(
    ("detail", "alerts"),
    [
        (DETAIL, True),
        ({**DETAIL, "compliance-status": "compliant"}, False),
        ({**DETAIL, "compliance-type": "Association"}, False),
        ({**DETAIL, "patch-baseline-id": "pb-0another0000000"}, False),
    ],
)
@mock_aws
def test_the_documented_event_gives_a_readable_message_and_its_neighbours_none(
    detail: dict[str, Any], alerts: bool
) -> None:
    stack = new_stack()
    web = workflow(stack)
    (rule,) = properties(stack, "AWS::Events::Rule").values()
    baseline = stack.get_logical_id(web.baselines[0].cfn_baseline)
    pattern = concrete(rule["EventPattern"], {baseline: "PB789"})
    region = "us-east-2"
    sqs, eventbridge = boto3.client("sqs", region_name=region), boto3.client("events", region_name=region)
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eventbridge.put_rule(Name="alerts", EventPattern=json.dumps(pattern))
    transformer = rule["Targets"][0]["InputTransformer"]
    eventbridge.put_targets(Rule="alerts", Targets=[{"Id": "q", "Arn": arn, "InputTransformer": transformer}])
    eventbridge.put_events(Entries=[{**SAMPLE, "Detail": json.dumps(detail)}])
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
    assert bool(received) is alerts
    if alerts:
        message = json.loads(received[0]["Body"])
        assert message.startswith("Instance i-01234567890abcdef in account 123456789012, us-east-2 is missing")
        assert "highest severity critical, baseline PB789" in message
        assert "aws ssm list-compliance-items --resource-ids i-01234567890abcdef" in message


def test_only_the_workflows_baselines_unless_all_are_asked_for() -> None:
    stack = new_stack()
    web = workflow(stack)
    (rule,) = properties(stack, "AWS::Events::Rule").values()
    baseline = stack.get_logical_id(web.baselines[0].cfn_baseline)
    assert rule["EventPattern"]["detail"] == {
        "compliance-type": ["Patch"],
        "compliance-status": ["non_compliant"],
        "patch-baseline-id": [{"Ref": baseline}],
    }
    every = new_stack()
    workflow(every, all_baselines=True)
    (rule,) = properties(every, "AWS::Events::Rule").values()
    assert "patch-baseline-id" not in rule["EventPattern"]["detail"]


def test_the_alerts_topic_admits_this_rule_and_this_accounts_alarms_only() -> None:
    stack = new_stack()
    web = workflow(stack)
    (policy,) = properties(stack, "AWS::SNS::TopicPolicy").values()
    statements = {json.dumps(s["Principal"]): s for s in policy["PolicyDocument"]["Statement"]}
    rule = statements[json.dumps({"Service": "events.amazonaws.com"})]
    assert rule["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [stack.get_logical_id(web.compliance_rule), "Arn"]}}  # type: ignore[arg-type]
    }
    assert json.dumps({"Service": "cloudwatch.amazonaws.com"}) not in statements  # no alarm here, none admitted
    (key,) = properties(stack, "AWS::KMS::Key").values()
    assert key["EnableKeyRotation"] is True
    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    (grant,) = services
    assert sorted(grant["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    outputs = template(stack).to_json()["Outputs"]
    assert "PatchAlertsTopicArn" in outputs


def test_two_workflows_share_one_alerts_topic() -> None:
    stack = new_stack()
    for name in ("Web", "Api"):
        PatchWorkflow(
            stack,
            name,
            schedule=WindowSchedule.cron("0 3 ? * SUN *"),
            duration=Duration.hours(3),
            patch_groups=[name.lower()],
            compliance_alerts=ComplianceAlerts(),
        )
    assert len(properties(stack, "AWS::SNS::Topic")) == 1
    assert len(properties(stack, "AWS::Events::Rule")) == 2
    (policy,) = properties(stack, "AWS::SNS::TopicPolicy").values()
    assert len(policy["PolicyDocument"]["Statement"]) == 3  # SSL only, and one per rule


def test_wrong_types_are_refused() -> None:
    with pytest.raises(TypeError, match="all_baselines"):
        ComplianceAlerts(all_baselines="yes")
