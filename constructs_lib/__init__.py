"""AWS CDK v2 constructs for SSM Patch Manager with patch lifecycle hooks.

Patch baselines, maintenance windows, window targets, hook documents built from real scripts,
and a maintenance-window task running AWS-RunPatchBaselineWithHooks (pre-install, post-install
and on-exit hooks).

This module is the public facade: every public name is importable from here. The package underneath
is layered (``_internal`` < ``core`` < ``hooks`` < ``operations`` < ``fleet`` < ``cli``; see
docs/architecture.md), and imports point one way only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module that defines each. They load on first use, so tools that need no CDK
# (patch-fleet, patch-now, the plan and rehearsal commands) start without the jsii runtime.
_EXPORTS = {
    "DEFAULT_ALLOWED_PATTERN": "hooks.document",
    "PATCH_GROUP_TAG": "operations.workflow",
    "AppHook": "hooks.app.base",
    "AppHookOptions": "hooks.app.base",
    "ApprovalRule": "core.patch_baseline",
    "CommandOutput": "core.command_output",
    "ComplianceLevel": "core.patch_baseline",
    "CutoffBehavior": "core.patch_task",
    "EnvironmentSpec": "fleet.description",
    "FleetDescription": "fleet.description",
    "FleetFileError": "fleet.description",
    "FleetPatchingStack": "fleet.stack",
    "FleetStackSets": "fleet.stack_sets",
    "FleetWave": "fleet.stages",
    "GroupSettings": "fleet.description",
    "HookDocument": "hooks.document",
    "HookParameter": "hooks.document",
    "HookPlatform": "_internal.vocabulary",
    "HookScript": "hooks.script",
    "HookSpec": "fleet.description",
    "IHookDocument": "hooks.document",
    "ILifecycleHooks": "core.protocols",
    "IMaintenanceWindow": "core.protocols",
    "IPatchBaseline": "core.patch_baseline",
    "LifecycleHooks": "hooks.lifecycle",
    "MaintenanceWindow": "core.maintenance_window",
    "MaintenanceWindowOptions": "core.maintenance_window",
    "MaintenanceWindowRole": "core.window_role",
    "NotificationEvent": "core.notifications",
    "NotificationType": "core.notifications",
    "OperatingSystem": "core.patch_baseline",
    "PatchBaseline": "core.patch_baseline",
    "PatchBaselineOptions": "core.patch_baseline",
    "PatchFilter": "core.patch_baseline",
    "PatchFilterKey": "core.patch_baseline",
    "PatchFleet": "fleet.packing",
    "ComplianceAlerts": "operations.alerts",
    "ComplianceReport": "operations.compliance",
    "ComplianceReportStack": "fleet.reporting",
    "ReportingSpec": "fleet.description",
    "ComplianceSync": "operations.compliance",
    "HookMetrics": "operations.telemetry",
    "HookTelemetry": "operations.telemetry",
    "PatchGroupSpec": "fleet.description",
    "PatchNotifications": "core.notifications",
    "PatchNowAssociation": "operations.patch_now_association",
    "PatchOperation": "core.patch_task",
    "PatchRunOptions": "core.patch_task",
    "PatchSource": "core.patch_baseline",
    "PatchTask": "core.patch_task",
    "PatchTaskOptions": "core.patch_task",
    "PatchWaves": "operations.waves",
    "PatchWorkflow": "operations.workflow",
    "PatchWorkflowOptions": "operations.workflow",
    "PatchingStage": "fleet.stages",
    "RebootOption": "core.patch_task",
    "RejectedPatchesAction": "core.patch_baseline",
    "ResolvedSettings": "fleet.description",
    "RolloutEstimate": "operations.estimate",
    "ScheduleKind": "core.schedule",
    "ScriptLanguage": "hooks.script",
    "SecurityUpdatesComplianceStatus": "core.patch_baseline",
    "PerPlatform": "hooks.app.per_platform",
    "ServiceManager": "hooks.app.service_manager",
    "ServiceManagerKind": "hooks.app.service_manager",
    "StartAppHook": "hooks.app.start",
    "StopAppHook": "hooks.app.stop",
    "TargetResourceType": "core.window_target",
    "TaskOptions": "core.patch_task",
    "UpdateAppHook": "hooks.app.update",
    "WindowOptions": "core.maintenance_window",
    "WindowSchedule": "core.schedule",
    "WindowTarget": "core.window_target",
    "WindowTargets": "core.window_target",
    "TargetGroupDrain": "operations.off_instance",
    "AutoScalingStandby": "operations.off_instance",
    "AwsApiStep": "operations.off_instance",
    "ApprovalStep": "operations.off_instance",
    "RunbookStep": "operations.off_instance",
    "PatchRunbook": "operations.patch_runbook",
    "PatchRunbookTask": "operations.patch_runbook",
    "add_stack_limits": "core.stack_checks",
    "define_fleet_stages": "fleet.stages",
    "estimate_rollout": "operations.estimate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # the same names, imported eagerly for type checkers and IDEs
    from ._internal.vocabulary import HookPlatform as HookPlatform
    from .core.command_output import CommandOutput as CommandOutput
    from .core.maintenance_window import MaintenanceWindow as MaintenanceWindow
    from .core.maintenance_window import MaintenanceWindowOptions as MaintenanceWindowOptions
    from .core.maintenance_window import WindowOptions as WindowOptions
    from .core.notifications import NotificationEvent as NotificationEvent
    from .core.notifications import NotificationType as NotificationType
    from .core.notifications import PatchNotifications as PatchNotifications
    from .core.patch_baseline import ApprovalRule as ApprovalRule
    from .core.patch_baseline import ComplianceLevel as ComplianceLevel
    from .core.patch_baseline import IPatchBaseline as IPatchBaseline
    from .core.patch_baseline import OperatingSystem as OperatingSystem
    from .core.patch_baseline import PatchBaseline as PatchBaseline
    from .core.patch_baseline import PatchBaselineOptions as PatchBaselineOptions
    from .core.patch_baseline import PatchFilter as PatchFilter
    from .core.patch_baseline import PatchFilterKey as PatchFilterKey
    from .core.patch_baseline import PatchSource as PatchSource
    from .core.patch_baseline import RejectedPatchesAction as RejectedPatchesAction
    from .core.patch_baseline import SecurityUpdatesComplianceStatus as SecurityUpdatesComplianceStatus
    from .core.patch_task import CutoffBehavior as CutoffBehavior
    from .core.patch_task import PatchOperation as PatchOperation
    from .core.patch_task import PatchRunOptions as PatchRunOptions
    from .core.patch_task import PatchTask as PatchTask
    from .core.patch_task import PatchTaskOptions as PatchTaskOptions
    from .core.patch_task import RebootOption as RebootOption
    from .core.patch_task import TaskOptions as TaskOptions
    from .core.protocols import ILifecycleHooks as ILifecycleHooks
    from .core.protocols import IMaintenanceWindow as IMaintenanceWindow
    from .core.schedule import ScheduleKind as ScheduleKind
    from .core.schedule import WindowSchedule as WindowSchedule
    from .core.stack_checks import add_stack_limits as add_stack_limits
    from .core.window_role import MaintenanceWindowRole as MaintenanceWindowRole
    from .core.window_target import TargetResourceType as TargetResourceType
    from .core.window_target import WindowTarget as WindowTarget
    from .core.window_target import WindowTargets as WindowTargets
    from .fleet.description import EnvironmentSpec as EnvironmentSpec
    from .fleet.description import FleetDescription as FleetDescription
    from .fleet.description import FleetFileError as FleetFileError
    from .fleet.description import GroupSettings as GroupSettings
    from .fleet.description import HookSpec as HookSpec
    from .fleet.description import PatchGroupSpec as PatchGroupSpec
    from .fleet.description import ResolvedSettings as ResolvedSettings
    from .fleet.packing import PatchFleet as PatchFleet
    from .fleet.stack import FleetPatchingStack as FleetPatchingStack
    from .fleet.stack_sets import FleetStackSets as FleetStackSets
    from .fleet.stages import FleetWave as FleetWave
    from .fleet.stages import PatchingStage as PatchingStage
    from .fleet.stages import define_fleet_stages as define_fleet_stages
    from .hooks.app.base import AppHook as AppHook
    from .hooks.app.base import AppHookOptions as AppHookOptions
    from .hooks.app.per_platform import PerPlatform as PerPlatform
    from .hooks.app.service_manager import ServiceManager as ServiceManager
    from .hooks.app.service_manager import ServiceManagerKind as ServiceManagerKind
    from .hooks.app.start import StartAppHook as StartAppHook
    from .hooks.app.stop import StopAppHook as StopAppHook
    from .hooks.app.update import UpdateAppHook as UpdateAppHook
    from .hooks.document import DEFAULT_ALLOWED_PATTERN as DEFAULT_ALLOWED_PATTERN
    from .hooks.document import HookDocument as HookDocument
    from .hooks.document import HookParameter as HookParameter
    from .hooks.document import IHookDocument as IHookDocument
    from .hooks.lifecycle import LifecycleHooks as LifecycleHooks
    from .hooks.script import HookScript as HookScript
    from .hooks.script import ScriptLanguage as ScriptLanguage
    from .operations.estimate import RolloutEstimate as RolloutEstimate
    from .operations.estimate import estimate_rollout as estimate_rollout
    from .operations.off_instance import ApprovalStep as ApprovalStep
    from .operations.off_instance import AutoScalingStandby as AutoScalingStandby
    from .operations.off_instance import AwsApiStep as AwsApiStep
    from .operations.off_instance import RunbookStep as RunbookStep
    from .operations.off_instance import TargetGroupDrain as TargetGroupDrain
    from .operations.patch_now_association import PatchNowAssociation as PatchNowAssociation
    from .operations.patch_runbook import PatchRunbook as PatchRunbook
    from .operations.patch_runbook import PatchRunbookTask as PatchRunbookTask
    from .operations.waves import PatchWaves as PatchWaves
    from .operations.workflow import PATCH_GROUP_TAG as PATCH_GROUP_TAG
    from .operations.workflow import PatchWorkflow as PatchWorkflow
    from .operations.workflow import PatchWorkflowOptions as PatchWorkflowOptions
