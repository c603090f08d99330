"""AWS CDK v2 constructs for SSM Patch Manager with patch lifecycle hooks.

Patch baselines, maintenance windows, window targets, hook documents built from real scripts,
and a maintenance-window task running AWS-RunPatchBaselineWithHooks (pre-install, post-install
and on-exit hooks).
"""

from .hook_document import (
    DEFAULT_ALLOWED_PATTERN,
    ExistingHookDocument,
    HookDocument,
    HookParameter,
    IHookDocument,
)
from .hook_script import HookScript, ScriptLanguage
from .lifecycle_hooks import LifecycleHooks
from .maintenance_window import IMaintenanceWindow, MaintenanceWindow
from .patch_baseline import (
    ApprovalRule,
    ComplianceLevel,
    ExistingPatchBaseline,
    IPatchBaseline,
    OperatingSystem,
    PatchBaseline,
    PatchBaselineOptions,
    PatchFilter,
    PatchFilterKey,
    PatchSource,
    RejectedPatchesAction,
    SecurityUpdatesComplianceStatus,
)
from .patch_task import CutoffBehavior, PatchOperation, PatchTask, PatchTaskOptions, RebootOption
from .patch_workflow import PATCH_GROUP_TAG, PatchWorkflow
from .schedule import ScheduleKind, WindowSchedule
from .service_manager import ServiceManager, ServiceManagerKind
from .start_app_hook import StartAppHook
from .stop_app_hook import StopAppHook
from .update_app_hook import UpdateAppHook
from .window_target import TargetResourceType, WindowTarget, WindowTargets

__all__ = [
    "DEFAULT_ALLOWED_PATTERN",
    "PATCH_GROUP_TAG",
    "ApprovalRule",
    "ComplianceLevel",
    "CutoffBehavior",
    "ExistingHookDocument",
    "ExistingPatchBaseline",
    "HookDocument",
    "HookParameter",
    "HookScript",
    "IHookDocument",
    "IMaintenanceWindow",
    "IPatchBaseline",
    "LifecycleHooks",
    "MaintenanceWindow",
    "OperatingSystem",
    "PatchBaseline",
    "PatchBaselineOptions",
    "PatchFilter",
    "PatchFilterKey",
    "PatchOperation",
    "PatchSource",
    "PatchTask",
    "PatchTaskOptions",
    "PatchWorkflow",
    "RebootOption",
    "RejectedPatchesAction",
    "ScheduleKind",
    "ScriptLanguage",
    "SecurityUpdatesComplianceStatus",
    "ServiceManager",
    "ServiceManagerKind",
    "StartAppHook",
    "StopAppHook",
    "TargetResourceType",
    "UpdateAppHook",
    "WindowSchedule",
    "WindowTarget",
    "WindowTargets",
]
