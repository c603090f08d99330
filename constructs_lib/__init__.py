"""AWS CDK v2 constructs for SSM Patch Manager with patch lifecycle hooks.

Patch baselines, maintenance windows, window targets, hook documents built from real scripts,
and a maintenance-window task running AWS-RunPatchBaselineWithHooks (pre-install, post-install
and on-exit hooks).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module that defines each. They load on first use, so tools that need no CDK
# (patch-now, the plan and rehearsal commands) start without the jsii runtime.
_EXPORTS = {
    "DEFAULT_ALLOWED_PATTERN": "hook_document",
    "PATCH_GROUP_TAG": "patch_workflow",
    "ApprovalRule": "patch_baseline",
    "CommandOutput": "command_output",
    "ComplianceLevel": "patch_baseline",
    "CutoffBehavior": "patch_task",
    "EnvironmentSpec": "fleet_description",
    "ExistingHookDocument": "hook_document",
    "ExistingPatchBaseline": "patch_baseline",
    "FleetDescription": "fleet_description",
    "FleetFileError": "fleet_description",
    "FleetPatchingStack": "fleet_stack",
    "FleetStackSets": "fleet_stack_sets",
    "FleetWave": "patching_stage",
    "GroupSettings": "fleet_description",
    "HookDocument": "hook_document",
    "HookParameter": "hook_document",
    "HookPlatform": "service_manager",
    "HookScript": "hook_script",
    "HookSpec": "fleet_description",
    "IHookDocument": "hook_document",
    "IMaintenanceWindow": "maintenance_window",
    "IPatchBaseline": "patch_baseline",
    "LifecycleHooks": "lifecycle_hooks",
    "MaintenanceWindow": "maintenance_window",
    "MaintenanceWindowRole": "window_role",
    "NotificationEvent": "patch_notifications",
    "NotificationType": "patch_notifications",
    "OperatingSystem": "patch_baseline",
    "PatchBaseline": "patch_baseline",
    "PatchBaselineOptions": "patch_baseline",
    "PatchFilter": "patch_baseline",
    "PatchFilterKey": "patch_baseline",
    "PatchFleet": "patch_fleet",
    "PatchGroupSpec": "fleet_description",
    "PatchNotifications": "patch_notifications",
    "PatchNowAssociation": "patch_now",
    "PatchOperation": "patch_task",
    "PatchSource": "patch_baseline",
    "PatchTask": "patch_task",
    "PatchTaskOptions": "patch_task",
    "PatchWorkflow": "patch_workflow",
    "PatchingStage": "patching_stage",
    "RebootOption": "patch_task",
    "RejectedPatchesAction": "patch_baseline",
    "ResolvedSettings": "fleet_description",
    "ScheduleKind": "schedule",
    "ScriptLanguage": "hook_script",
    "SecurityUpdatesComplianceStatus": "patch_baseline",
    "ServiceManager": "service_manager",
    "ServiceManagerKind": "service_manager",
    "StartAppHook": "start_app_hook",
    "StopAppHook": "stop_app_hook",
    "TargetResourceType": "window_target",
    "UpdateAppHook": "update_app_hook",
    "WindowSchedule": "schedule",
    "WindowTarget": "window_target",
    "WindowTargets": "window_target",
    "define_fleet_stages": "patching_stage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # the same names, imported eagerly for type checkers and IDEs
    from .command_output import CommandOutput as CommandOutput
    from .fleet_description import EnvironmentSpec as EnvironmentSpec
    from .fleet_description import FleetDescription as FleetDescription
    from .fleet_description import FleetFileError as FleetFileError
    from .fleet_description import GroupSettings as GroupSettings
    from .fleet_description import HookSpec as HookSpec
    from .fleet_description import PatchGroupSpec as PatchGroupSpec
    from .fleet_description import ResolvedSettings as ResolvedSettings
    from .fleet_stack import FleetPatchingStack as FleetPatchingStack
    from .fleet_stack_sets import FleetStackSets as FleetStackSets
    from .hook_document import DEFAULT_ALLOWED_PATTERN as DEFAULT_ALLOWED_PATTERN
    from .hook_document import ExistingHookDocument as ExistingHookDocument
    from .hook_document import HookDocument as HookDocument
    from .hook_document import HookParameter as HookParameter
    from .hook_document import IHookDocument as IHookDocument
    from .hook_script import HookScript as HookScript
    from .hook_script import ScriptLanguage as ScriptLanguage
    from .lifecycle_hooks import LifecycleHooks as LifecycleHooks
    from .maintenance_window import IMaintenanceWindow as IMaintenanceWindow
    from .maintenance_window import MaintenanceWindow as MaintenanceWindow
    from .patch_baseline import ApprovalRule as ApprovalRule
    from .patch_baseline import ComplianceLevel as ComplianceLevel
    from .patch_baseline import ExistingPatchBaseline as ExistingPatchBaseline
    from .patch_baseline import IPatchBaseline as IPatchBaseline
    from .patch_baseline import OperatingSystem as OperatingSystem
    from .patch_baseline import PatchBaseline as PatchBaseline
    from .patch_baseline import PatchBaselineOptions as PatchBaselineOptions
    from .patch_baseline import PatchFilter as PatchFilter
    from .patch_baseline import PatchFilterKey as PatchFilterKey
    from .patch_baseline import PatchSource as PatchSource
    from .patch_baseline import RejectedPatchesAction as RejectedPatchesAction
    from .patch_baseline import SecurityUpdatesComplianceStatus as SecurityUpdatesComplianceStatus
    from .patch_fleet import PatchFleet as PatchFleet
    from .patch_notifications import NotificationEvent as NotificationEvent
    from .patch_notifications import NotificationType as NotificationType
    from .patch_notifications import PatchNotifications as PatchNotifications
    from .patch_now import PatchNowAssociation as PatchNowAssociation
    from .patch_task import CutoffBehavior as CutoffBehavior
    from .patch_task import PatchOperation as PatchOperation
    from .patch_task import PatchTask as PatchTask
    from .patch_task import PatchTaskOptions as PatchTaskOptions
    from .patch_task import RebootOption as RebootOption
    from .patch_workflow import PATCH_GROUP_TAG as PATCH_GROUP_TAG
    from .patch_workflow import PatchWorkflow as PatchWorkflow
    from .patching_stage import FleetWave as FleetWave
    from .patching_stage import PatchingStage as PatchingStage
    from .patching_stage import define_fleet_stages as define_fleet_stages
    from .schedule import ScheduleKind as ScheduleKind
    from .schedule import WindowSchedule as WindowSchedule
    from .service_manager import HookPlatform as HookPlatform
    from .service_manager import ServiceManager as ServiceManager
    from .service_manager import ServiceManagerKind as ServiceManagerKind
    from .start_app_hook import StartAppHook as StartAppHook
    from .stop_app_hook import StopAppHook as StopAppHook
    from .update_app_hook import UpdateAppHook as UpdateAppHook
    from .window_role import MaintenanceWindowRole as MaintenanceWindowRole
    from .window_target import TargetResourceType as TargetResourceType
    from .window_target import WindowTarget as WindowTarget
    from .window_target import WindowTargets as WindowTargets
