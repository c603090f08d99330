"""PatchWorkflow: window, targets, hooked patch task and baselines in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aws_cdk import Annotations, Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._validation import check_int_range, fail, is_unresolved
from .command_output import CommandOutput
from .lifecycle_hooks import LifecycleHooks
from .maintenance_window import MaintenanceWindow
from .patch_baseline import OperatingSystem, PatchBaseline, PatchBaselineOptions
from .patch_notifications import PatchNotifications
from .patch_task import CutoffBehavior, PatchOperation, PatchTask, RebootOption
from .rollout import RolloutEstimate, estimate_rollout
from .schedule import WindowSchedule
from .window_target import WindowTargets

# The tag key Patch Manager reads to pick an instance's patch group (the spaced form "Patch Group"
# is impossible with instance-metadata tags).
PATCH_GROUP_TAG = "PatchGroup"


class PatchWorkflow(Construct):
    """Defines a complete hooked patch run: a maintenance window, its targets, the patch task, and
    optionally one baseline per operating system registered to the workflow's patch groups.

    Several operating systems share one window and task: give one baseline per OS, all registered to
    the same patch groups (optionally as default baselines). A scan-only run can sit beside the install
    run on its own schedule. Exposes ``window``, ``targets``, ``task``, ``baselines``, ``scan_window``
    and ``scan_task`` for further composition.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: WindowSchedule,
        duration: Duration,
        cutoff: Duration | None = None,
        schedule_timezone: str | None = None,
        schedule_offset: int | None = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        targets: WindowTargets | None = None,
        patch_groups: Sequence[str] = (),
        baselines: Sequence[PatchBaselineOptions] = (),
        hooks: LifecycleHooks | None = None,
        operation: PatchOperation = PatchOperation.INSTALL,
        reboot_option: RebootOption = RebootOption.REBOOT_IF_NEEDED,
        max_concurrency: str = "10%",
        max_errors: str = "1",
        priority: int = 1,
        cutoff_behavior: CutoffBehavior | None = None,
        service_role: iam.IRole | None = None,
        window_name: str | None = None,
        task_name: str | None = None,
        delivery_timeout: Duration | None = None,
        output: CommandOutput | None = None,
        notifications: PatchNotifications | None = None,
        scan_schedule: WindowSchedule | None = None,
        scan_duration: Duration | None = None,
        expected_fleet_size: int | None = None,
        minutes_per_instance: int = 30,
    ) -> None:
        """Define the workflow. Window keywords are those of MaintenanceWindow, task keywords those of PatchTask.

        Args:
            schedule: when the window opens.
            duration: how long the window stays open, whole hours from 1 to 24.
            cutoff: how long before the end no task starts. Default: 1 hour, or 0 when duration is 1 hour.
            schedule_timezone: IANA time zone of the schedule. Default: UTC.
            schedule_offset: days after the cron date, 1 to 6. Default: no offset.
            start_date: the window is inactive before this moment. Default: active at once.
            end_date: the window is inactive after this moment. Default: never ends.
            targets: the instances to patch. Default: instances tagged PatchGroup with one of patch_groups.
            patch_groups: patch groups the baselines are registered to and, by default, targeted.
                Default: none; then targets is required and baselines must be default baselines.
            baselines: one PatchBaselineOptions per operating system, defined as children of the workflow
                and registered to patch_groups. Default: none, the groups keep the baselines they have.
            hooks: pre-install, post-install and on-exit documents. Default: all AWS-Noop.
            operation: Scan or Install. Default: INSTALL.
            reboot_option: Default: REBOOT_IF_NEEDED.
            max_concurrency: Default: "10%".
            max_errors: Default: "1".
            priority: Default: 1.
            cutoff_behavior: Default: CONTINUE_TASK.
            service_role: the role the window assumes. Default: the SSM service-linked role.
            window_name: Default: a unique name derived from the construct path.
            task_name: Default: "Patch".
            delivery_timeout: how long a command may wait to start on an instance. Default: 10 minutes.
            output: S3 and CloudWatch Logs output for every task, each under its own prefix. Default: none.
            notifications: SNS notifications for every task. Default: none.
            scan_schedule: also scan (Operation Scan, no hooks) on this schedule in a window of its own,
                e.g. daily compliance scans beside a weekly install. Default: no scan run.
            scan_duration: how long the scan window stays open (its cutoff is 0). Default: 1 hour.
            expected_fleet_size: how many instances the targets hold; with it, synth adds a warning when
                max_concurrency can't patch them all before the cutoff. Default: no estimate.
            minutes_per_instance: how long one instance takes to patch, for that estimate. Default: 30.
        """
        super().__init__(scope, construct_id)
        if targets is None:
            if not patch_groups:
                fail("provide targets or patch_groups; the workflow needs instances to patch")
            targets = WindowTargets.from_tags({PATCH_GROUP_TAG: list(patch_groups)})
        self.baselines: tuple[PatchBaseline, ...] = tuple(self._define_baselines(baselines, patch_groups))
        if (
            hooks is not None
            and not hooks.is_empty
            and self.baselines
            and all(baseline.operating_system is OperatingSystem.MACOS for baseline in self.baselines)
        ):
            fail(
                "hooks need Linux or Windows instances: AWS-RunPatchBaselineWithHooks does not support macOS; "
                "got baselines for MACOS only"
            )
        self.window = MaintenanceWindow(
            self,
            "Window",
            schedule=schedule,
            duration=duration,
            cutoff=cutoff,
            schedule_timezone=schedule_timezone,
            schedule_offset=schedule_offset,
            start_date=start_date,
            end_date=end_date,
            window_name=window_name,
        )
        self.targets = self.window.add_targets("Targets", targets)
        self.task: PatchTask = self.window.add_patch_task(
            "Patch",
            targets=[self.targets],
            operation=operation,
            reboot_option=reboot_option,
            hooks=hooks,
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            priority=priority,
            cutoff_behavior=cutoff_behavior,
            service_role=service_role,
            task_name=task_name,
            delivery_timeout=delivery_timeout,
            output=output,
            notifications=notifications,
        )
        self.rollout: RolloutEstimate | None = None
        if expected_fleet_size is not None:
            self._estimate_rollout(expected_fleet_size, minutes_per_instance, max_concurrency)
        self.scan_window: MaintenanceWindow | None = None
        self.scan_task: PatchTask | None = None
        if scan_schedule is not None:
            self.scan_window = MaintenanceWindow(
                self,
                "ScanWindow",
                schedule=scan_schedule,
                duration=scan_duration or Duration.hours(1),
                cutoff=Duration.hours(0),
                schedule_timezone=schedule_timezone,
                start_date=start_date,
                end_date=end_date,
            )
            self.scan_task = self.scan_window.add_patch_task(
                "Scan",
                targets=[self.scan_window.add_targets("Targets", targets)],
                operation=PatchOperation.SCAN,
                max_concurrency=max_concurrency,
                max_errors=max_errors,
                priority=priority,
                service_role=service_role,
                delivery_timeout=delivery_timeout,
                output=output,
                notifications=notifications,
            )

    def _estimate_rollout(self, fleet_size: int, minutes_per_instance: int, max_concurrency: str) -> None:
        check_int_range("expected_fleet_size", fleet_size, 1)
        check_int_range("minutes_per_instance", minutes_per_instance, 1, 24 * 60)
        hours = (self.window.duration_hours, self.window.cutoff_hours)
        if any(is_unresolved(value) for value in (*hours, max_concurrency)):
            return
        self.rollout = estimate_rollout(
            fleet_size=fleet_size,
            max_concurrency=max_concurrency,
            minutes_per_instance=minutes_per_instance,
            duration_hours=hours[0],
            cutoff_hours=hours[1],
        )
        if not self.rollout.fits:
            Annotations.of(self).add_warning_v2(
                "constructs-lib:rollout-exceeds-cutoff",
                f"patch run can't finish before the cutoff: {self.rollout.describe()}; raise max_concurrency, "
                "lengthen the window or split the fleet",
            )

    def _define_baselines(
        self, baselines: Sequence[PatchBaselineOptions], patch_groups: Sequence[str]
    ) -> list[PatchBaseline]:
        defined: dict[str, PatchBaseline] = {}
        for options in baselines:
            system = options["operating_system"]
            if system.value in defined:
                fail(f"baselines must hold one baseline per operating system; got {system.value} twice")
            if "patch_groups" in options:
                fail("baselines must not set patch_groups; the workflow registers them to its own patch_groups")
            if not patch_groups and not options.get("default_baseline", False):
                fail(
                    f"baselines {system.value} would apply to no instance: give the workflow patch_groups "
                    "or make it a default_baseline"
                )
            construct_id = "Baseline" + system.value.title().replace("_", "")
            registered: PatchBaselineOptions = {**options, "patch_groups": patch_groups}
            defined[system.value] = PatchBaseline(self, construct_id, **registered)
        return [defined[system] for system in sorted(defined)]
