"""PatchTask: a maintenance-window task that runs AWS-RunPatchBaselineWithHooks."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal import defaults
from .._internal.constants import PATCH_DOCUMENT
from .._internal.options import check_keywords
from .._internal.rules import (
    RESOURCE_NAME,
    check_count,
    check_length,
    check_no_hooks_with_scan,
    check_rate_control,
    check_resource_name,
    fail,
)
from .._internal.typecheck import typed
from .._internal.validation import check_int_range, whole_seconds
from .._internal.vocabulary import PatchOperation, RebootOption
from .command_output import CommandOutput
from .notifications import PatchNotifications
from .protocols import ILifecycleHooks, IMaintenanceWindow, ITaskRoleSource
from .window_role import MaintenanceWindowRole
from .window_target import WindowTarget

__all__ = [
    "CutoffBehavior",
    "PatchOperation",
    "PatchRunOptions",
    "PatchTask",
    "PatchTaskOptions",
    "RebootOption",
    "TaskOptions",
]


class CutoffBehavior(StrEnum):
    """What happens to a running task when the window's cutoff is reached."""

    CONTINUE_TASK = "CONTINUE_TASK"
    CANCEL_TASK = "CANCEL_TASK"


class PatchRunOptions(TypedDict, total=False):
    """What a hooked patch run does, for every construct that starts one (task, workflow, patch-now).

    Args:
        operation: Scan reports compliance only; Install installs approved patches. Default: INSTALL.
        reboot_option: reboot after installing when anything was installed. Default: REBOOT_IF_NEEDED.
        hooks: the pre-install, post-install and on-exit hook documents (LifecycleHooks). Default: none,
            every hook is AWS-Noop. Not allowed with Scan, where no hook runs.
        max_concurrency: how many targets patch at once, a count or a percentage. Default: "10%".
        max_errors: how many failed targets stop the run, a count or a percentage. Default: "1".
    """

    operation: PatchOperation
    reboot_option: RebootOption
    hooks: ILifecycleHooks | None
    max_concurrency: str
    max_errors: str


class TaskOptions(PatchRunOptions, total=False):
    """The optional keywords of a maintenance-window patch task that PatchWorkflow also takes: PatchRunOptions
    and these.

    Args:
        priority: 0 or more; lower runs first, equal priorities run in parallel. Default: 1.
        task_name: the task's name. Default: the construct id when it is a valid name.
        cutoff_behavior: at cutoff, let the task finish or cancel it (a cancelled run skips on-exit).
            Default: CONTINUE_TASK, the service default.
        service_role: the role the window assumes to send the command. Default: the window's
            service_role (a least-privilege MaintenanceWindowRole), or a MaintenanceWindowRole of the
            task's own for windows defined elsewhere. With a role of yours and notifications, allow it
            iam:PassRole on ``notifications.role``.
        delivery_timeout: how long a command may wait to start on an instance (30 s to 30 days); it
            does not bound the run. Default: the Run Command default of 10 minutes.
        output: where the full output goes (S3 under this task's own prefix, CloudWatch Logs).
            Default: none, only the first 48,000 characters are kept by Run Command.
        notifications: SNS notifications of the run's status. Default: none.
    """

    priority: int
    task_name: str | None
    cutoff_behavior: CutoffBehavior | None
    service_role: iam.IRole | None
    delivery_timeout: Duration | None
    output: CommandOutput | None
    notifications: PatchNotifications | None


class PatchTaskOptions(TaskOptions, total=False):
    """The optional keywords of PatchTask and ``MaintenanceWindow.add_patch_task()``: TaskOptions and these.

    Args:
        description: 1 to 128 characters. Default: no description.
        comment: up to 100 characters, shown with the command. Default: no comment.
    """

    description: str | None
    comment: str | None


class PatchTask(Construct):
    """Registers an AWS-RunPatchBaselineWithHooks Run Command task with a maintenance window.

    Fixed values: ``TaskType: RUN_COMMAND``, ``TaskArn: AWS-RunPatchBaselineWithHooks``, and no
    ``SnapshotId`` (inside a window SSM derives it from the window execution). The document runs on
    Linux and Windows Server (not macOS) with SSM Agent 3.0.502 or later; hook documents built by
    HookDocument need SSM Agent 3.3.2746 or later for their ``SSM_<Name>`` variables.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        window: IMaintenanceWindow,
        targets: Sequence[WindowTarget],
        **options: Unpack[PatchTaskOptions],
    ) -> None:
        """Register the task.

        Args:
            window: the maintenance window that runs the task.
            targets: the window targets to patch (at least one; Run Command tasks need targets).
            options: the optional keywords and their defaults, in PatchTaskOptions.
        """
        check_keywords(PatchTask.__init__, options, PatchTaskOptions)
        operation = options.get("operation", defaults.OPERATION)
        hooks = options.get("hooks")
        max_concurrency = options.get("max_concurrency", defaults.MAX_CONCURRENCY)
        max_errors = options.get("max_errors", defaults.MAX_ERRORS)
        task_name = options.get("task_name")
        description = options.get("description")
        comment = options.get("comment")
        cutoff_behavior = options.get("cutoff_behavior")
        super().__init__(scope, construct_id)
        check_targets(window, targets)
        check_no_hooks_with_scan(operation, hooks is not None and not hooks.is_empty)
        check_rate_control(max_concurrency, max_errors)
        priority = options.get("priority", defaults.PRIORITY)
        check_int_range("priority", priority, 0)
        if task_name is None and RESOURCE_NAME.fullmatch(construct_id):
            task_name = construct_id
        check_resource_name("task_name", task_name)
        check_length("description", description, 1, 128)
        check_length("comment", comment, 1, 100)
        timeout_seconds = whole_seconds("delivery_timeout", options.get("delivery_timeout"), 30, 2_592_000)

        self.window = window
        self.targets = tuple(targets)
        self.operation = operation
        self.reboot_option = options.get("reboot_option", defaults.REBOOT_OPTION)
        self.max_concurrency = max_concurrency
        self.max_errors = max_errors
        self.hooks = hooks
        self.task_name = task_name
        self.output = options.get("output")
        self.notifications = options.get("notifications")
        self.service_role = self._resolve_service_role(options.get("service_role"))
        self.cfn_task = window_task(
            self,
            window=window,
            targets=targets,
            task_type="RUN_COMMAND",
            task_arn=PATCH_DOCUMENT,
            service_role=self.service_role,
            invocation=ssm.CfnMaintenanceWindowTask.TaskInvocationParametersProperty(
                maintenance_window_run_command_parameters=self._run_command_parameters(timeout_seconds, comment)
            ),
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            priority=priority,
            task_name=task_name,
            description=description,
            cutoff_behavior=cutoff_behavior,
        )

    def _resolve_service_role(self, given: iam.IRole | None) -> iam.IRole:
        """The role the window assumes for this task; allowed to pass the notification role when it is ours."""
        if given is not None:
            return given
        pass_role = self.notifications.role if self.notifications is not None else None
        selections = [target.targets for target in self.targets]
        if isinstance(self.window, ITaskRoleSource):
            return self.window.task_service_role(pass_role, selections)
        window_role = MaintenanceWindowRole(self, "ServiceRole")
        if pass_role is not None:
            window_role.allow_pass_role(pass_role)
        for selection in selections:
            window_role.allow_targets(selection)
        return window_role.role

    def _run_command_parameters(
        self, timeout_seconds: int | None, comment: str | None
    ) -> ssm.CfnMaintenanceWindowTask.MaintenanceWindowRunCommandParametersProperty:
        output, notifications = self.output, self.notifications
        bucket = output.bucket if output else None
        log_group = output.log_group if output else None
        return ssm.CfnMaintenanceWindowTask.MaintenanceWindowRunCommandParametersProperty(
            parameters=self.document_parameters,
            timeout_seconds=timeout_seconds,
            comment=comment,
            output_s3_bucket_name=bucket.bucket_name if bucket else None,
            output_s3_key_prefix=output.key_prefix_for(self) if output and bucket else None,
            cloud_watch_output_config=ssm.CfnMaintenanceWindowTask.CloudWatchOutputConfigProperty(
                cloud_watch_log_group_name=log_group.log_group_name, cloud_watch_output_enabled=True
            )
            if log_group
            else None,
            notification_config=ssm.CfnMaintenanceWindowTask.NotificationConfigProperty(
                notification_arn=notifications.topic.topic_arn,
                notification_events=[event.value for event in notifications.events],
                notification_type=notifications.notification_type.value,
            )
            if notifications
            else None,
            service_role_arn=notifications.role.role_arn if notifications else None,
        )

    @property
    def document_parameters(self) -> dict[str, Any]:
        """The AWS-RunPatchBaselineWithHooks parameters the task sends (lists of strings, as SSM wants)."""
        return {
            "Operation": [self.operation.value],
            "RebootOption": [self.reboot_option.value],
            **(self.hooks.to_task_parameters() if self.hooks is not None else {}),
        }

    @property
    def task_id(self) -> str:
        """The window task ID (a CloudFormation Ref)."""
        return self.cfn_task.ref


def window_task(
    scope: Construct,
    *,
    window: IMaintenanceWindow,
    targets: Sequence[WindowTarget],
    task_type: str,
    task_arn: str,
    service_role: iam.IRole,
    invocation: ssm.CfnMaintenanceWindowTask.TaskInvocationParametersProperty,
    max_concurrency: str,
    max_errors: str,
    priority: int,
    task_name: str | None,
    description: str | None,
    cutoff_behavior: CutoffBehavior | None,
) -> ssm.CfnMaintenanceWindowTask:
    """The task resource (id "Resource") of a patch task, Run Command or Automation, over window targets."""
    return ssm.CfnMaintenanceWindowTask(
        scope,
        "Resource",
        window_id=window.window_id,
        task_type=task_type,
        task_arn=task_arn,
        priority=priority,
        targets=[
            ssm.CfnMaintenanceWindowTask.TargetProperty(
                key="WindowTargetIds", values=[target.window_target_id for target in targets]
            )
        ],
        max_concurrency=max_concurrency,
        max_errors=max_errors,
        name=task_name,
        description=description,
        cutoff_behavior=cutoff_behavior.value if cutoff_behavior else None,
        service_role_arn=service_role.role_arn,
        task_invocation_parameters=invocation,
    )


def check_targets(window: IMaintenanceWindow, targets: Sequence[WindowTarget]) -> None:
    """A task's targets: 1 to 50 window targets, each registered with the task's window."""
    if not targets:
        fail("targets must name at least one window target (Run Command tasks need targets); got targets=[]")
    check_count("targets", targets, 1, 50)
    for target in targets:
        if target.window is not window:
            fail(
                f"targets must be registered with the task's window; target {target.node.path} belongs to "
                f"another window"
            )
