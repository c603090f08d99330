"""PatchingDemoStack: the seed scenario that the default app (app.py) synthesizes.

An app that must be stopped gracefully before patching, updated after it, and started and
verified healthy once the instance has rebooted, on Amazon Linux 2023 and Windows Server.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from .hook_document import HookDocument
from .hook_script import HookScript
from .lifecycle_hooks import LifecycleHooks
from .maintenance_window import MaintenanceWindow
from .patch_baseline import (
    ApprovalRule,
    ComplianceLevel,
    OperatingSystem,
    PatchBaseline,
    PatchFilter,
    PatchFilterKey,
)
from .patch_task import PatchOperation, RebootOption
from .patch_workflow import PATCH_GROUP_TAG
from .schedule import WindowSchedule
from .window_target import WindowTargets

PATCH_GROUP = "PatchingDemo"
SERVICE_NAME = "demo-app"
HEALTH_URL = "http://127.0.0.1:8080/health"


class PatchingDemoStack(Stack):
    """Baselines for Amazon Linux 2023 and Windows Server, a weekly window, and three hooks."""

    def __init__(self, scope: Construct, construct_id: str = "PatchingDemo", **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._define_baselines()
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
        fleet = window.add_targets(
            "Fleet",
            WindowTargets.from_tags({PATCH_GROUP_TAG: [PATCH_GROUP]}),
            target_name="PatchingDemo-Fleet",
        )
        hooks = self._define_hooks()
        window.add_patch_task(
            "PatchingTask",
            targets=[fleet],
            operation=PatchOperation.INSTALL,
            reboot_option=RebootOption.REBOOT_IF_NEEDED,
            hooks=hooks,
            max_concurrency="10%",
            max_errors="1",
            priority=1,
        )
        CfnOutput(self, "MaintenanceWindowId", value=window.window_id)
        for output_id, document in (
            ("PreInstallHookDocument", hooks.pre_install),
            ("PostInstallHookDocument", hooks.post_install),
            ("OnExitHookDocument", hooks.on_exit),
        ):
            assert document is not None
            CfnOutput(self, output_id, value=document.document_name)

    def _define_baselines(self) -> None:
        security_and_bugfix = ApprovalRule(
            approve_after=Duration.days(7),
            compliance_level=ComplianceLevel.CRITICAL,
            filters=[
                PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=["Security", "Bugfix"]),
                PatchFilter(key=PatchFilterKey.SEVERITY, values=["Critical", "Important"]),
            ],
        )
        PatchBaseline(
            self,
            "AmazonLinux2023Baseline",
            operating_system=OperatingSystem.AMAZON_LINUX_2023,
            approval_rules=[security_and_bugfix],
            patch_groups=[PATCH_GROUP],
            baseline_name="PatchingDemo-AmazonLinux2023",
            description="Critical and important security and bug-fix updates after 7 days",
        )
        PatchBaseline(
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

    def _define_hooks(self) -> LifecycleHooks:
        def hook(construct_id: str, script: str, parameters: dict[str, str], description: str) -> HookDocument:
            return HookDocument(
                self,
                construct_id,
                linux=HookScript.from_file(f"linux/{script}.sh"),
                windows=HookScript.from_file(f"windows/{script}.ps1"),
                parameters=parameters,
                document_name=f"PatchingDemo-{construct_id}",
                description=description,
                timeout=Duration.minutes(10),
            )

        return LifecycleHooks(
            pre_install=hook(
                "StopAppGracefully",
                "stop_app_gracefully",
                {"ServiceName": SERVICE_NAME},
                "Pre-install hook: stop the demo app gracefully",
            ),
            post_install=hook(
                "UpdateApp",
                "update_app",
                {"ServiceName": SERVICE_NAME, "UpdateCommand": ""},
                "Post-install hook: update the demo app",
            ),
            on_exit=hook(
                "StartAppAndVerify",
                "start_app_and_verify",
                {"ServiceName": SERVICE_NAME, "HealthUrl": HEALTH_URL},
                "On-exit hook: start the demo app and verify it is healthy",
            ),
        )
