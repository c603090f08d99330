"""PatchNotifications: SNS notifications for patch-run status changes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._internal.rules import check_unique, fail
from .._internal.typecheck import typed
from .window_role import ssm_trust_conditions


class NotificationEvent(StrEnum):
    """Run Command status changes that send a notification."""

    ALL = "All"
    IN_PROGRESS = "InProgress"
    SUCCESS = "Success"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"
    FAILED = "Failed"


class NotificationType(StrEnum):
    """One notification per command, or one per instance (invocation)."""

    COMMAND = "Command"
    INVOCATION = "Invocation"


def encrypted_topic(
    scope: Construct, construct_id: str, *, display_name: str, topic_name: str | None = None
) -> sns.Topic:
    """A topic encrypted with the AWS managed SNS key that accepts only SSL, as every topic defined here is."""
    return sns.Topic(
        scope,
        construct_id,
        topic_name=topic_name,
        master_key=kms.Alias.from_alias_name(scope, f"{construct_id}Key", "alias/aws/sns"),
        enforce_ssl=True,
        display_name=display_name,
    )


class PatchNotifications(Construct):
    """Defines SNS notifications for patch runs, and the role Run Command publishes them with.

    Run Command publishes with a separate notification role (trusted by ssm.amazonaws.com, allowed
    only sns:Publish on the topic); a task given these notifications lets its window role pass that
    role. A created topic is encrypted with the AWS managed SNS key and accepts only SSL.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic | None = None,
        events: Sequence[NotificationEvent] = (
            NotificationEvent.FAILED,
            NotificationEvent.TIMED_OUT,
            NotificationEvent.CANCELLED,
        ),
        notification_type: NotificationType = NotificationType.COMMAND,
    ) -> None:
        """Define the notifications.

        Args:
            topic: your SNS topic. Default: an encrypted, SSL-only topic is defined.
            events: which status changes notify; ALL stands alone. Default: FAILED, TIMED_OUT and CANCELLED.
            notification_type: per command or per instance. Default: COMMAND.
        """
        super().__init__(scope, construct_id)
        if not events:
            fail("events must name at least one NotificationEvent; got events=[]")
        check_unique("events", [event.value for event in events])
        if NotificationEvent.ALL in events and len(events) > 1:
            fail(f"events must be All alone or specific events; got events={[event.value for event in events]}")
        self.events = tuple(events)
        self.notification_type = notification_type
        self.topic = topic or encrypted_topic(self, "Topic", display_name="Patch run notifications")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com", conditions=ssm_trust_conditions()),
            description="Run Command notification role: publishes patch-run status to SNS",
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))
