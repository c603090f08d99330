"""Whole-stack scenarios shared by the snapshot tests and the validator tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from aws_cdk import App, BootstraplessSynthesizer, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from constructs_lib import (
    ApprovalRule,
    CommandOutput,
    ComplianceAlerts,
    ComplianceLevel,
    ComplianceReport,
    ComplianceReportStack,
    CutoffBehavior,
    FleetDescription,
    FleetPatchingStack,
    FleetStackSets,
    HookDocument,
    HookParameter,
    HookScript,
    HookTelemetry,
    LifecycleHooks,
    MaintenanceWindow,
    NotificationEvent,
    NotificationType,
    OperatingSystem,
    PatchBaseline,
    PatchBaselineOptions,
    PatchFilter,
    PatchFilterKey,
    PatchNotifications,
    PatchNowAssociation,
    PatchOperation,
    PatchSource,
    PatchWorkflow,
    RebootOption,
    RejectedPatchesAction,
    StartAppHook,
    StopAppHook,
    WindowSchedule,
    WindowTargets,
)
from examples.demo.stack import PatchingDemoStack, demo_hooks
from examples.waves.stack import CanaryWavesStack
from examples.web.stack import LoadBalancedWebStack
from tests.builders import ENV, ROOT, new_stack


def minimal(app: App) -> Stack:
    """The least a user writes: one workflow for one patch group, no hooks, no baselines."""
    stack = new_stack(app, "Minimal")
    PatchWorkflow(
        stack, "Web", schedule=WindowSchedule.cron("0 3 ? * SUN *"), duration=Duration.hours(2), patch_groups=["web"]
    )
    return stack


def fully_customised(app: App) -> Stack:
    """Every construct with every option set."""
    stack = new_stack(app, "FullyCustomised")
    for system, key, values in (
        (OperatingSystem.REDHAT_ENTERPRISE_LINUX, PatchFilterKey.SEVERITY, ["Critical"]),
        (OperatingSystem.WINDOWS, PatchFilterKey.MSRC_SEVERITY, ["Critical"]),
    ):
        linux = system.is_linux
        PatchBaseline(
            stack,
            f"{system.value.title().replace('_', '')}Baseline",
            operating_system=system,
            approval_rules=[
                ApprovalRule(
                    approve_after=Duration.days(360),
                    compliance_level=ComplianceLevel.HIGH,
                    enable_non_security=linux,
                    filters=[PatchFilter(key=key, values=values)],
                ),
                ApprovalRule(approve_until=date(2026, 6, 30), compliance_level=ComplianceLevel.LOW),
            ],
            approved_patches=["KB5034441"] if not linux else ["openssl-3.*"],
            approved_patches_compliance_level=ComplianceLevel.CRITICAL,
            approved_patches_enable_non_security=linux,
            rejected_patches=["KB4052623"] if not linux else ["telnet*"],
            rejected_patches_action=RejectedPatchesAction.BLOCK,
            global_filters=[PatchFilter(key=PatchFilterKey.PRODUCT, values=["*"])],
            sources=[
                PatchSource(
                    name="internal",
                    products=["RedhatEnterpriseLinux9.4"],
                    configuration="[internal]\nname=Internal\nbaseurl=https://repo.example/rhel9\nenabled=1",
                )
            ]
            if linux
            else [],
            patch_groups=["db", "db-canary"],
            baseline_name=f"Db-{system.value}",
            description=f"Database {system.value} baseline",
        )
    window = MaintenanceWindow(
        stack,
        "Window",
        schedule=WindowSchedule.cron("0 30 1 ? * SAT#2 *"),
        duration=Duration.hours(24),
        cutoff=Duration.hours(23),
        schedule_timezone="Europe/Berlin",
        schedule_offset=6,
        start_date="2026-01-01T00:00:00+01:00",
        end_date="2030-01-01T00:00:00+01:00",
        allow_unassociated_targets=True,
        window_name="Db-Monthly",
        description="Monthly database patching",
    )
    db = window.add_targets(
        "Db",
        WindowTargets.from_tags({"PatchGroup": ["db", "db-canary"], "Tier": ["data"]}),
        target_name="Databases",
        description="Database hosts",
        owner_information="team-db",
    )
    rg = window.add_targets("Batch", WindowTargets.from_resource_group("batch", resource_types=["AWS::EC2::Instance"]))
    drain = HookDocument(
        stack,
        "Drain",
        linux=HookScript.inline('#!/usr/bin/env bash\nset -euo pipefail\necho "draining $SSM_Port"'),
        windows=HookScript.inline('Write-Output "draining $env:SSM_Port"'),
        parameters={"Port": HookParameter(default="5432", allowed_pattern="^[0-9]{1,5}$", description="Port")},
        document_name="Db-Drain",
        description="Drain the database",
        timeout=Duration.minutes(15),
        working_directory="/var/tmp",
    )
    role = iam.Role.from_role_arn(stack, "WindowRole", "arn:aws:iam::123456789012:role/maintenance-window")
    window.add_patch_task(
        "PatchDb",
        targets=[db, rg],
        operation=PatchOperation.INSTALL,
        reboot_option=RebootOption.NO_REBOOT,
        hooks=LifecycleHooks(
            pre_install=drain,
            post_install=HookDocument.from_document_name(stack, "Noop", "AWS-Noop"),
            on_exit=HookDocument.from_document_name(
                stack, "Shared", "arn:aws:ssm:us-east-1:111122223333:document/SharedOnExit"
            ),
        ),
        max_concurrency="1",
        max_errors="0",
        priority=0,
        task_name="Db-Patch",
        description="Patch databases",
        cutoff_behavior=CutoffBehavior.CANCEL_TASK,
        service_role=role,
        delivery_timeout=Duration.minutes(30),
        comment="monthly",
    )
    return stack


def workflow_with_baselines(app: App) -> Stack:
    """PatchWorkflow with two OS baselines and hooks, as most users compose it."""
    stack = new_stack(app, "Workflow")
    stop = StopAppHook(stack, "Stop", service_name="web", port=443)
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.rate(Duration.days(7)),
        duration=Duration.hours(3),
        cutoff=Duration.hours(1),
        patch_groups=["web"],
        baselines=[
            PatchBaselineOptions(
                operating_system=OperatingSystem.AMAZON_LINUX_2023,
                approval_rules=[ApprovalRule(approve_after=Duration.days(7))],
            ),
            PatchBaselineOptions(
                operating_system=OperatingSystem.WINDOWS, approval_rules=[ApprovalRule(approve_after=Duration.days(7))]
            ),
        ],
        hooks=LifecycleHooks(pre_install=stop),
    )
    return stack


def encrypted_output(app: App) -> Stack:
    """Command output under a customer managed KMS key and Object Lock, written by an instance role."""
    stack = new_stack(app, "Encrypted")
    key = kms.Key(stack, "OutputKey", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN)
    output = CommandOutput(
        stack, "Output", encryption_key=key, object_lock=s3.ObjectLockRetention.governance(Duration.days(90))
    )
    instance_role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    output.grant_write(instance_role)
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(3),
        patch_groups=["web"],
        output=output,
    )
    return stack


def operations_bring_your_own(app: App) -> Stack:
    """Fleet operations with your own bucket, log group, topic and window role, a scan run, and patch now."""
    stack = new_stack(app, "Operations")
    output = CommandOutput(
        stack,
        "Output",
        bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "central-patch-output"),
        log_group=logs.LogGroup.from_log_group_name(stack, "Logs", "/patching/fleet"),
        key_prefix="fleet",
    )
    notifications = PatchNotifications(
        stack,
        "Notify",
        topic=sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:us-east-1:123456789012:patching"),
        events=[NotificationEvent.ALL],
        notification_type=NotificationType.INVOCATION,
    )
    role = iam.Role.from_role_arn(stack, "WindowRole", "arn:aws:iam::123456789012:role/patching-window")
    hooks = LifecycleHooks(on_exit=StartAppHook(stack, "Start", service_name="web", health_port=443))
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(4),
        scan_schedule=WindowSchedule.rate(Duration.days(1)),
        scan_duration=Duration.hours(2),
        patch_groups=["web"],
        hooks=hooks,
        output=output,
        notifications=notifications,
        service_role=role,
        delivery_timeout=Duration.minutes(15),
        cutoff_behavior=CutoffBehavior.CANCEL_TASK,
        baselines=[PatchBaselineOptions(operating_system=OperatingSystem.UBUNTU, default_baseline=True)],
    )
    PatchNowAssociation(
        stack,
        "PatchNow",
        targets=WindowTargets.from_tags({"PatchGroup": ["web"]}),
        include_new_instances=True,
        hooks=hooks,
        output=output,
        snapshot_id="0b3e5a8c-4f2d-4c1e-9a7b-3d2f1e0c9b8a",
    )
    return stack


def fleet_account_stack(app: App) -> Stack:
    """The organisation example's prod template, as each account and region of its StackSet deploys it."""
    fleet = FleetDescription.from_file(ROOT / "examples" / "organization" / "fleet.yaml")
    return FleetPatchingStack(app, "Patching", fleet=fleet, environment="prod", synthesizer=BootstraplessSynthesizer())


def fleet_stack_sets(app: App) -> Stack:
    """The organisation example's management stack: one StackSet per environment, prod after dev."""
    fleet = FleetDescription.from_file(ROOT / "examples" / "organization" / "fleet.yaml")
    stack = new_stack(app, "StackSets")
    FleetStackSets(stack, "Fleet", fleet=fleet, validate_templates=False)
    return stack


def fleet_compliance_report(app: App) -> Stack:
    """The organisation example's compliance report, in its reporting account: every stage account syncs here."""
    fleet = FleetDescription.from_file(ROOT / "examples" / "organization" / "fleet.yaml")
    stack: Stack = ComplianceReportStack(
        app, "ComplianceReport", fleet=fleet, synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    )
    return stack


def canary_waves(app: App) -> Stack:
    """A canary of the web group patched on Saturday, the whole group on Sunday; a failed canary halts Sunday."""
    return CanaryWavesStack(
        app, "Waves", env=ENV, synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    )


def load_balanced(app: App) -> Stack:
    """The demo app behind a target group in an Auto Scaling group: drained, in standby, patched, back once healthy."""
    return LoadBalancedWebStack(
        app, "PatchingWeb", env=ENV, synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    )


def reporting(app: App) -> Stack:
    """The morning after patch day: the demo hooks' timings and failures as metrics, alarms and a dashboard;
    non-compliant instances alerted; the patch state of this and another account in one queryable bucket."""
    stack = new_stack(app, "Reporting")
    output = CommandOutput(stack, "Output", s3_output=False, cloudwatch_output=True)
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(3),
        patch_groups=["web"],
        baselines=[PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023)],
        hooks=demo_hooks(stack, "demo"),
        output=output,
        telemetry=HookTelemetry(time_to_healthy=Duration.minutes(3)),
        compliance_alerts=ComplianceAlerts(),
    )
    ComplianceReport(
        stack,
        "Compliance",
        source_accounts=["222222222222"],
        regions=["us-east-1", "eu-west-1"],
        bucket_name="acme-patch-compliance",
        config_rule=True,
    )
    return stack


def integ_hooked_patch(app: App) -> Stack:
    """The happy-path integration test (tests/integ): its stack under test, beside its assertions' stack."""
    from tests.integ import integ_hooked_patch as integ

    return _stack_under_test(integ.build(app))


def integ_hook_failure(app: App) -> Stack:
    """The failure-path integration test (tests/integ): its stack under test, beside its assertions' stack."""
    from tests.integ import integ_hook_failure as integ

    return _stack_under_test(integ.build(app))


def integ_brake(app: App) -> Stack:
    """The brake integration test (tests/integ): its stack under test, beside its assertions' stack."""
    from tests.integ import integ_brake as integ

    return _stack_under_test(integ.build(app))


def integ_windows_hooked_patch(app: App) -> Stack:
    """The optional Windows integration test (tests/integ): its stack under test, beside its assertions' stack."""
    from tests.integ import integ_windows_hooked_patch as integ

    return _stack_under_test(integ.build(app))


def _stack_under_test(integ: Any) -> Stack:
    (stack,) = [child for child in integ.node.root.node.children if isinstance(child, Stack)]
    return stack


def default_app_reporting(app: App) -> Stack:
    """The default app with reporting on (cdk synth -c reporting=true)."""
    return PatchingDemoStack(app, "PatchingDemo", reporting=True)


def default_app(app: App) -> Stack:
    """The default app's stack, as app.py builds it (environment-agnostic): the reference `make diff` uses."""
    return PatchingDemoStack(app, "PatchingDemo")


SCENARIOS: dict[str, Callable[[App], Stack]] = {
    "minimal": minimal,
    "fully_customised": fully_customised,
    "workflow_with_baselines": workflow_with_baselines,
    "operations_bring_your_own": operations_bring_your_own,
    "encrypted_output": encrypted_output,
    "canary_waves": canary_waves,
    "load_balanced": load_balanced,
    "reporting": reporting,
    "default_app": default_app,
    "default_app_reporting": default_app_reporting,
    "integ_hooked_patch": integ_hooked_patch,
    "integ_hook_failure": integ_hook_failure,
    "integ_brake": integ_brake,
    "integ_windows_hooked_patch": integ_windows_hooked_patch,
    "fleet_account_stack": fleet_account_stack,
    "fleet_stack_sets": fleet_stack_sets,
    "fleet_compliance_report": fleet_compliance_report,
}
