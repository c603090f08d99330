"""Alerts: where alarms and compliance events go, and the rule that reports instances falling out of compliance.

CloudWatch alarms and EventBridge rules can't publish to a topic encrypted with the AWS managed SNS key (its key
policy admits neither service), which is how the notifications topics here are encrypted. So alerts go to one
topic per stack, ``PatchAlerts``, encrypted with a customer managed key (rotated yearly) whose policy lets
CloudWatch and EventBridge of this account use it, and whose topic policy lets only this stack's rules publish.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._internal.rules import check_count
from .._internal.typecheck import check_fields

# Systems Manager's compliance event (user guide "monitoring-systems-manager-event-examples", Patch Compliant /
# Non-Compliant): detail-type, and the compliance type and status of a patch compliance change.
COMPLIANCE_EVENT = "Configuration Compliance State Change"
PATCH_COMPLIANCE = "Patch"
NON_COMPLIANT = "non_compliant"
_ALERTS_ID = "PatchAlerts"


def alerts_topic(scope: Construct, *, topic_name: str | None = None) -> sns.Topic:
    """The stack's alert topic, defined on first use (output ``PatchAlertsTopicArn``: subscribe to it), named
    ``topic_name`` (only on first use). Default: a generated name."""
    return _alerts(scope, topic_name=topic_name).topic


def _alerts(scope: Construct, *, topic_name: str | None = None) -> _AlertsTopic:
    """The stack's alerts topic with its policy, found or (on first use) defined."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_ALERTS_ID)
    if isinstance(existing, _AlertsTopic):
        return existing
    return _AlertsTopic(stack, _ALERTS_ID, topic_name=topic_name)


class _AlertsTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, topic_name: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="Patch alerts: lets CloudWatch alarms and EventBridge rules of this account publish",
        )
        for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],  # a key policy's resource is the key itself
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            master_key=self.key,
            enforce_ssl=True,
            display_name="Patch alerts (hooks, compliance)",
        )
        CfnOutput(stack, "PatchAlertsTopicArn", value=self.topic.topic_arn, description="Subscribe: patch alerts")

    def allow_alarm(self, alarm: cloudwatch.Alarm) -> None:
        """Let ``alarm`` (and only it) publish to the topic (a topic policy replaces SNS's default one)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                    "ArnEquals": {"aws:SourceArn": alarm.alarm_arn},
                },
            )
        )

    def allow_rule(self, rule: events.CfnRule) -> None:
        """Let ``rule`` (and only it) publish to the topic."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
            )
        )


@dataclass(frozen=True)
class ComplianceAlerts:
    """What PatchWorkflow's ``compliance_alerts`` keyword defines: an EventBridge rule on Systems Manager's
    compliance events, an instance's patch compliance turning non-compliant, to the stack's alerts topic with a
    readable message.

    Args:
        all_baselines: alert for every patch baseline of the account and region, not only the workflow's own
            (a workflow without baselines of its own always does). Default: False.
    """

    all_baselines: bool = False

    def __post_init__(self) -> None:
        check_fields(self)


def compliance_pattern(baseline_ids: Sequence[str] = ()) -> dict[str, Any]:
    """The event of an instance's patch compliance turning non-compliant; with ``baseline_ids``, only under
    those baselines (patch events carry ``patch-baseline-id``)."""
    detail: dict[str, Any] = {"compliance-type": [PATCH_COMPLIANCE], "compliance-status": [NON_COMPLIANT]}
    if baseline_ids:
        check_count("baseline_ids", baseline_ids, 1, 20)
        detail["patch-baseline-id"] = list(baseline_ids)
    return {"source": ["aws.ssm"], "detail-type": [COMPLIANCE_EVENT], "detail": detail}


def define_compliance_alerts(scope: Construct, *, baseline_ids: Sequence[str], description: str) -> events.CfnRule:
    """The rule and its readable message, to the stack's alerts topic."""
    return alert_rule(
        scope,
        "ComplianceAlerts",
        description=description,
        pattern=compliance_pattern(baseline_ids),
        paths={
            "instance": "$.detail.resource-id",
            "severity": "$.detail.severity",
            "baseline": "$.detail.patch-baseline-id",
            "time": "$.time",
        },
        message="Instance <instance> in account <account>, <region> is missing approved patches (patch compliance "
        "NON_COMPLIANT, highest severity <severity>, baseline <baseline>) as of <time>. List them with: aws ssm "
        "list-compliance-items --resource-ids <instance> --resource-types ManagedInstance --filters "
        "Key=ComplianceType,Values=Patch --region <region>",
    )


def alert_rule(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    pattern: dict[str, Any],
    paths: dict[str, str],
    message: str,
) -> events.CfnRule:
    """A rule sending ``message`` to the stack's alerts topic, its ``<placeholders>`` taken from the event by
    ``paths`` (``<account>`` and ``<region>`` always), and only it allowed to publish there."""
    alerts = _alerts(scope)
    rule = events.CfnRule(
        scope,
        construct_id,
        description=description,
        event_pattern=pattern,
        state="ENABLED",
        targets=[
            events.CfnRule.TargetProperty(
                id="PatchAlerts",
                arn=alerts.topic.topic_arn,
                input_transformer=events.CfnRule.InputTransformerProperty(
                    input_paths_map={**paths, "account": "$.account", "region": "$.region"},
                    input_template=json.dumps(message),
                ),
            )
        ],
    )
    alerts.allow_rule(rule)
    return rule


def alert_on(alarm: cloudwatch.Alarm) -> None:
    """Send ``alarm`` to its stack's alerts topic, which only it (and the other alarms and rules sent there) may
    publish to."""
    alerts = _alerts(alarm)
    alarm.add_alarm_action(cw_actions.SnsAction(alerts.topic))
    alerts.allow_alarm(alarm)
