"""LoadBalancedWebStack: the demo app behind an Application Load Balancer target group, in an Auto Scaling
group, patched one instance at a time out of service (PatchWorkflow load_balancer= and auto_scaling=).

Each instance is put in standby in its group and drained from the target group (its 60-second deregistration
delay), patched with the demo app's hooks, and put back only once the target group reports it healthy. A
DynamoDB item marks the instance under maintenance for the app's own dashboard, set before and cleared after.
The VPC and the Auto Scaling group are the app's own (imported here by id and name).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from constructs_lib import (
    AutoScalingStandby,
    AwsApiStep,
    CommandOutput,
    NotificationEvent,
    PatchNotifications,
    PatchWorkflow,
    TargetGroupDrain,
    WindowSchedule,
)
from examples.demo.stack import SERVICE_PORT, demo_hooks

GROUP = "web-asg"
FLAGS_TABLE = "maintenance-flags"


class LoadBalancedWebStack(Stack):
    """One workflow over the PatchGroup=web instances, drained from their target group and in standby."""

    def __init__(self, scope: Construct, construct_id: str = "PatchingWeb", **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id="vpc-0a1b2c3d4e5f60718", availability_zones=["a"])
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "WebTargets",
            vpc=vpc,
            port=SERVICE_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.INSTANCE,
            deregistration_delay=Duration.seconds(60),
            health_check=elbv2.HealthCheck(path="/health", healthy_threshold_count=2, interval=Duration.seconds(10)),
        )
        table = self.format_arn(service="dynamodb", resource="table", resource_name=FLAGS_TABLE)
        flag = {"TableName": FLAGS_TABLE, "Key": {"instance": {"S": "{{ InstanceId }}"}}}
        self.workflow = PatchWorkflow(
            self,
            "Web",
            schedule=WindowSchedule.cron("0 3 ? * SUN *"),
            schedule_timezone="Europe/Berlin",
            duration=Duration.hours(4),
            cutoff=Duration.hours(1),
            patch_groups=["web"],
            hooks=demo_hooks(self, "PatchingWeb"),
            load_balancer=TargetGroupDrain(target_groups=[self.target_group], drain_timeout=Duration.minutes(2)),
            auto_scaling=AutoScalingStandby(groups=[GROUP]),
            before_patch=[
                AwsApiStep(
                    name="MarkUnderMaintenance",
                    service="dynamodb",
                    api="PutItem",
                    resources=[table],
                    parameters={"TableName": FLAGS_TABLE, "Item": {"instance": {"S": "{{ InstanceId }}"}}},
                )
            ],
            after_patch=[
                AwsApiStep(
                    name="ClearMaintenance", service="dynamodb", api="DeleteItem", resources=[table], parameters=flag
                )
            ],
            patch_timeout=Duration.minutes(90),
            max_concurrency="2",
            max_errors="0",
            output=CommandOutput(self, "Output", expiration=Duration.days(90)),
            notifications=PatchNotifications(
                self, "Notifications", events=[NotificationEvent.FAILED, NotificationEvent.TIMED_OUT]
            ),
            expected_fleet_size=6,
            minutes_per_instance=20,
        )
