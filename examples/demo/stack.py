"""PatchingDemoStack: the seed scenario that the default app (app.py) synthesizes, built from the public API.

An app that must be stopped gracefully before patching, updated after it, and started and
verified healthy once the instance has rebooted, on Amazon Linux 2023 and Windows Server.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib import (
    PATCH_GROUP_TAG,
    ApprovalRule,
    CommandOutput,
    ComplianceLevel,
    ComplianceReport,
    HookTelemetry,
    LifecycleHooks,
    MaintenanceWindow,
    NotificationEvent,
    OperatingSystem,
    PatchBaseline,
    PatchFilter,
    PatchFilterKey,
    PatchNotifications,
    PatchOperation,
    RebootOption,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
    WindowSchedule,
    WindowTargets,
)
from constructs_lib.operations.alerts import define_compliance_alerts
from constructs_lib.operations.telemetry import define_telemetry

PATCH_GROUP = "PatchingDemo"
SERVICE_NAME = "demo-app"
SERVICE_PORT = 8080
HEALTH_URL = f"http://127.0.0.1:{SERVICE_PORT}/health"


class PatchingDemoStack(Stack):
    """Baselines for Amazon Linux 2023 and Windows Server, a weekly install window with three hooks, a
    daily scan window, command output to S3 and CloudWatch Logs, SNS notifications, and an instance role."""

    def __init__(
        self, scope: Construct, construct_id: str = "PatchingDemo", *, reporting: bool = False, **kwargs: Any
    ) -> None:
        """Define the stack; ``reporting`` (``cdk synth -c reporting=true``) adds hook telemetry, compliance
        alerts and the compliance report (docs/reporting.md)."""
        super().__init__(scope, construct_id, **kwargs)
        baselines = self._define_baselines()
        output = CommandOutput(self, "Output", expiration=Duration.days(90), retention=logs.RetentionDays.THREE_MONTHS)
        notifications = PatchNotifications(
            self,
            "Notifications",
            events=[NotificationEvent.FAILED, NotificationEvent.TIMED_OUT, NotificationEvent.CANCELLED],
        )
        fleet_targets = WindowTargets.from_tags({PATCH_GROUP_TAG: [PATCH_GROUP]})
        window = MaintenanceWindow(
            self,
            "Window",
            schedule=WindowSchedule.cron("0 3 ? * SUN *"),
            schedule_timezone="America/New_York",
            duration=Duration.hours(3),
            cutoff=Duration.hours(1),
            window_name="PatchingDemo-Weekly",
            description="Weekly patching of the PatchingDemo patch group",
        )
        fleet = window.add_targets("Fleet", fleet_targets, target_name="PatchingDemo-Fleet")
        hooks = demo_hooks(self)
        window.add_patch_task(
            "PatchingTask",
            targets=[fleet],
            operation=PatchOperation.INSTALL,
            reboot_option=RebootOption.REBOOT_IF_NEEDED,
            hooks=hooks,
            max_concurrency="10%",
            max_errors="1",
            priority=1,
            output=output,
            notifications=notifications,
        )
        scan_window = MaintenanceWindow(
            self,
            "ScanWindow",
            schedule=WindowSchedule.cron("0 1 ? * * *"),
            schedule_timezone="America/New_York",
            duration=Duration.hours(1),
            cutoff=Duration.hours(0),
            window_name="PatchingDemo-DailyScan",
            description="Daily compliance scan of the PatchingDemo patch group",
        )
        scan_window.add_patch_task(
            "ScanTask",
            targets=[scan_window.add_targets("Fleet", fleet_targets, target_name="PatchingDemo-ScanFleet")],
            operation=PatchOperation.SCAN,
            max_concurrency="25%",
            max_errors="10%",
            priority=1,
            output=output,
            notifications=notifications,
        )
        if reporting:
            self._define_reporting(output, window, [baseline.baseline_id for baseline in baselines])
        instance_role = self._define_instance_role(output)
        CfnOutput(self, "MaintenanceWindowId", value=window.window_id)
        CfnOutput(self, "ScanWindowId", value=scan_window.window_id)
        CfnOutput(self, "NotificationTopicArn", value=notifications.topic.topic_arn)
        CfnOutput(self, "InstanceRoleArn", value=instance_role.role_arn)
        for output_id, document in (
            ("PreInstallHookDocument", hooks.pre_install),
            ("PostInstallHookDocument", hooks.post_install),
            ("OnExitHookDocument", hooks.on_exit),
        ):
            assert document is not None
            CfnOutput(self, output_id, value=document.document_name)

    def _define_reporting(self, output: CommandOutput, window: MaintenanceWindow, baseline_ids: list[str]) -> None:
        """What the morning after looks at: the hooks' timings and failures, alerts, the compliance report."""
        alerts = define_compliance_alerts(
            self, baseline_ids=baseline_ids, description="Patch compliance of PatchingDemo turned non-compliant"
        )
        define_telemetry(
            Construct(self, "Telemetry"),
            HookTelemetry(time_to_healthy=Duration.minutes(2)),
            output=output,
            services=[SERVICE_NAME],
            window=window,
            compliance_rule=alerts,
        )
        ComplianceReport(self, "Compliance")

    def _define_instance_role(self, output: CommandOutput) -> iam.Role:
        """The role demo instances run with: managed by SSM, allowed to write the patch output."""
        ssm_core = iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")
        role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[ssm_core],
            description="PatchingDemo instances: SSM Agent plus patch command output",
        )
        iam.InstanceProfile(self, "InstanceProfile", role=role)
        output.grant_write(role)
        # cdk-nag names the finding after the policy ARN as the template holds it.
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
                reason="AmazonSSMManagedInstanceCore is the AWS-maintained minimum SSM Agent needs.",
            )
        )
        return role

    def _define_baselines(self) -> list[PatchBaseline]:
        security_and_bugfix = ApprovalRule(
            approve_after=Duration.days(7),
            compliance_level=ComplianceLevel.CRITICAL,
            filters=[
                PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=["Security", "Bugfix"]),
                PatchFilter(key=PatchFilterKey.SEVERITY, values=["Critical", "Important"]),
            ],
        )
        linux = PatchBaseline(
            self,
            "AmazonLinux2023Baseline",
            operating_system=OperatingSystem.AMAZON_LINUX_2023,
            approval_rules=[security_and_bugfix],
            patch_groups=[PATCH_GROUP],
            baseline_name="PatchingDemo-AmazonLinux2023",
            description="Critical and important security and bug-fix updates after 7 days",
        )
        windows = PatchBaseline(
            self,
            "WindowsBaseline",
            operating_system=OperatingSystem.WINDOWS,
            approval_rules=[
                ApprovalRule(
                    approve_after=Duration.days(7),
                    compliance_level=ComplianceLevel.CRITICAL,
                    filters=[
                        PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=["CriticalUpdates", "SecurityUpdates"]),
                        PatchFilter(key=PatchFilterKey.MSRC_SEVERITY, values=["Critical", "Important"]),
                    ],
                )
            ],
            patch_groups=[PATCH_GROUP],
            baseline_name="PatchingDemo-WindowsServer",
            description="Critical and security updates after 7 days",
        )
        return [linux, windows]


def demo_hooks(scope: Construct, prefix: str = "PatchingDemo") -> LifecycleHooks:
    """The demo app's hooks: stop it gracefully, update it, start it and verify it healthy; documents named
    ``<prefix>-<hook>``."""
    return LifecycleHooks(
        pre_install=StopAppHook(
            scope,
            "StopAppGracefully",
            service_name=SERVICE_NAME,
            port=SERVICE_PORT,
            drain_wait=Duration.seconds(5),
            stop_timeout=Duration.seconds(60),
            document_name=f"{prefix}-StopAppGracefully",
        ),
        # The demo app has no updater of its own: set update_command to yours (e.g. a package upgrade).
        post_install=UpdateAppHook(
            scope,
            "UpdateApp",
            service_name=SERVICE_NAME,
            document_name=f"{prefix}-UpdateApp",
        ),
        on_exit=StartAppHook(
            scope,
            "StartAppAndVerify",
            service_name=SERVICE_NAME,
            port=SERVICE_PORT,
            health_url=HEALTH_URL,
            start_timeout=Duration.minutes(2),
            health_interval=Duration.seconds(2),
            document_name=f"{prefix}-StartAppAndVerify",
        ),
    )
