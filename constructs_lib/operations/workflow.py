"""PatchWorkflow: window, targets, hooked patch task and baselines in one statement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Unpack

from aws_cdk import Annotations, Duration
from aws_cdk import aws_events as events
from constructs import Construct

from .._internal import defaults
from .._internal.constants import HOOK_PARAMETERS
from .._internal.options import check_keywords
from .._internal.rules import (
    RESOURCE_NAME,
    check_count,
    check_document_name,
    check_hook_covers,
    check_hooks_platforms,
    check_needs,
    check_patch_groups,
    check_runbook_fits,
    fail,
)
from .._internal.typecheck import typed
from .._internal.validation import check_int_range, is_unresolved
from .._internal.vocabulary import OperatingSystem
from ..core.maintenance_window import MaintenanceWindow, WindowOptions
from ..core.patch_baseline import PatchBaseline, PatchBaselineOptions
from ..core.patch_task import PatchOperation, PatchTask, TaskOptions
from ..core.protocols import ILifecycleHooks
from ..core.schedule import WindowSchedule
from ..core.window_target import WindowTargets
from ..hooks.document import HookDocument
from .alerts import ComplianceAlerts, define_compliance_alerts
from .estimate import RolloutEstimate, estimate_rollout
from .off_instance import CONCURRENT_AUTOMATIONS, AutoScalingStandby, ExtraStep, TargetGroupDrain, minutes
from .patch_runbook import PatchRunbook, PatchRunbookTask
from .telemetry import HookMetrics, HookTelemetry, define_telemetry

# The tag key Patch Manager reads to pick an instance's patch group (the spaced form "Patch Group"
# is impossible with instance-metadata tags).
PATCH_GROUP_TAG = "PatchGroup"


class PatchWorkflowOptions(WindowOptions, TaskOptions, total=False):
    """The window's and the task's optional keywords, as PatchWorkflow forwards them (see each for defaults)."""


# What the scan task shares with the install task: rate control, role, delivery, output and notifications.
_SCAN_TASK_KEYWORDS = (
    "max_concurrency",
    "max_errors",
    "priority",
    "service_role",
    "delivery_timeout",
    "output",
    "notifications",
)


# What the runbook takes of the task's keywords (its patch step), and what its AUTOMATION task takes.
_RUNBOOK_KEYWORDS = ("operation", "reboot_option", "hooks", "delivery_timeout", "output", "notifications")
_RUNBOOK_TASK_KEYWORDS = ("max_concurrency", "max_errors", "priority", "cutoff_behavior", "service_role")


def _derived_name(construct_id: str, suffix: str) -> str:
    """``<construct id>-<suffix>`` when it is a valid resource name, else ``suffix`` alone."""
    name = f"{construct_id}-{suffix}"
    return name if RESOURCE_NAME.fullmatch(name) else suffix


def _scan_window_name(window_name: str | None, *, given: str | None) -> str | None:
    """The name given, else the install window's name with ``-Scan`` when it fits; None lets the scan
    window generate one."""
    if given is not None:
        return given
    if window_name is None or is_unresolved(window_name):
        return None
    name = f"{window_name}-Scan"
    return name if RESOURCE_NAME.fullmatch(name) else None


def _pick(options: PatchWorkflowOptions, names: Collection[str]) -> Any:
    """The options among ``names`` that the caller gave."""
    return {key: value for key, value in options.items() if key in names}


class PatchWorkflow(Construct):
    """Defines a complete hooked patch run: a maintenance window, its targets, the patch task, and
    optionally one baseline per operating system registered to the workflow's patch groups.

    Several operating systems share one window and task: give one baseline per OS, all registered to
    the same patch groups (optionally as default baselines). A scan-only run can sit beside the install
    run on its own schedule. Exposes ``window``, ``targets``, ``task``, ``baselines``, ``scan_window``
    and ``scan_task`` for further composition.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: WindowSchedule,
        duration: Duration,
        targets: WindowTargets | None = None,
        patch_groups: Sequence[str] = (),
        baselines: Sequence[PatchBaselineOptions] = (),
        scan_schedule: WindowSchedule | None = None,
        scan_duration: Duration | None = None,
        expected_fleet_size: int | None = None,
        minutes_per_instance: int | None = None,
        target_name: str | None = None,
        scan_window_name: str | None = None,
        load_balancer: TargetGroupDrain | None = None,
        auto_scaling: AutoScalingStandby | None = None,
        before_patch: Sequence[ExtraStep] = (),
        after_patch: Sequence[ExtraStep] = (),
        patch_timeout: Duration | None = None,
        runbook_name: str | None = None,
        telemetry: HookTelemetry | None = None,
        compliance_alerts: ComplianceAlerts | None = None,
        **options: Unpack[PatchWorkflowOptions],
    ) -> None:
        """Define the workflow.

        Args:
            schedule: when the window opens.
            duration: how long the window stays open, whole hours from 1 to 24.
            targets: the instances to patch. Default: instances tagged PatchGroup with one of patch_groups.
            patch_groups: patch groups the baselines are registered to and, by default, targeted.
                Default: none; then targets is required and baselines must be default baselines.
            baselines: one PatchBaselineOptions per operating system, defined as children of the workflow
                and registered to patch_groups. Default: none, the groups keep the baselines they have.
            scan_schedule: also scan (Operation Scan, no hooks) on this schedule in a window of its own,
                e.g. daily compliance scans beside a weekly install. Default: no scan run.
            scan_duration: how long the scan window stays open (its cutoff is 0). Default: 1 hour.
            expected_fleet_size: how many instances the targets hold; with it, synth adds a warning when
                max_concurrency can't patch them all before the cutoff. Default: no estimate.
            minutes_per_instance: how long one instance takes to patch, for that estimate (only with
                expected_fleet_size). Default: 30.
            target_name: the window target's name (the scan window's target gets the same).
                Default: "<construct id>-Targets" when that is a valid name, else "Targets".
            scan_window_name: the scan window's name. Default: "<window_name>-Scan" when window_name is
                given and that fits, else a unique name derived from the construct path.
            load_balancer: take each instance out of these ELBv2 target groups before its patch and back in
                once healthy (TargetGroupDrain). The patch then runs as a per-instance Automation runbook
                (``runbook``), an AUTOMATION task in place of the Run Command task. Default: none.
            auto_scaling: put each instance in standby in its Auto Scaling group for its patch
                (AutoScalingStandby); also runs the runbook. Default: none.
            before_patch: steps of yours the runbook runs once the instance is known to be in service, before
                taking it out (AwsApiStep, ApprovalStep, RunbookStep). Default: none.
            after_patch: steps of yours the runbook runs last, whatever the patch did. Default: none.
            patch_timeout: with the runbook, how long the hooked patch may take on one instance, reboot
                included. Default: 2 hours.
            runbook_name: with the runbook, its document name. Default: a name CloudFormation generates.
            telemetry: hook metrics from the command output (``output`` with CloudWatch Logs), alarms on hook
                failures and alerts on failed window runs (to the stack's alerts topic, output
                PatchAlertsTopicArn), and a dashboard (HookTelemetry). Default: none.
            compliance_alerts: an EventBridge rule sending a readable message to the stack's alerts topic when an
                instance's patch compliance turns non-compliant under the workflow's baselines (ComplianceAlerts).
                Default: none.
            options: the window's keywords (WindowOptions) and the task's (TaskOptions), with their defaults
                there; output and notifications serve the scan task too. The task's name defaults to
                "<construct id>-Patch" (the scan task's to "<construct id>-Scan"), or "Patch" when not valid.
        """
        check_keywords(PatchWorkflow.__init__, options, PatchWorkflowOptions)
        super().__init__(scope, construct_id)
        check_needs("scan_duration", scan_duration is not None, "scan_schedule", scan_schedule is not None)
        check_needs(
            "minutes_per_instance",
            minutes_per_instance is not None,
            "expected_fleet_size",
            expected_fleet_size is not None,
        )
        # With targets given, patch_groups only names the groups the workflow's baselines register to.
        given_with_targets = bool(patch_groups) and targets is not None
        check_needs("patch_groups", given_with_targets, "baselines when targets are given", bool(baselines))
        if targets is None:
            if not patch_groups:
                fail("provide targets or patch_groups; the workflow needs instances to patch")
            # A tag target holds at most 50 values (API model shape TargetValues).
            check_count("patch_groups", patch_groups, 1, 50)
            check_patch_groups(patch_groups)
            targets = WindowTargets.from_tags({PATCH_GROUP_TAG: list(patch_groups)})
        self.baselines: tuple[PatchBaseline, ...] = tuple(self._define_baselines(baselines, patch_groups))
        hooks = options.get("hooks")
        if hooks is not None and not hooks.is_empty and self.baselines:
            _check_hooks_cover(hooks, [baseline.operating_system for baseline in self.baselines])
        self.window = MaintenanceWindow(
            self, "Window", schedule=schedule, duration=duration, **_pick(options, WindowOptions.__annotations__)
        )
        target_name = _derived_name(construct_id, "Targets") if target_name is None else target_name
        self.targets = self.window.add_targets("Targets", targets, target_name=target_name)
        task_options = {
            "task_name": _derived_name(construct_id, "Patch"),
            **_pick(options, TaskOptions.__annotations__),
        }
        self.runbook: PatchRunbook | None = None
        off_instance = (load_balancer, auto_scaling, before_patch, after_patch)
        if any(off_instance):
            check_document_name("runbook_name", runbook_name)
            self.runbook = PatchRunbook(
                self,
                "Runbook",
                targets=[self.targets],
                load_balancer=load_balancer,
                auto_scaling=auto_scaling,
                before_patch=before_patch,
                after_patch=after_patch,
                patch_timeout=patch_timeout,
                document_name=runbook_name,
                **_pick(options, _RUNBOOK_KEYWORDS),
            )
            self._check_runbook_fits(self.runbook, options.get("max_concurrency", defaults.MAX_CONCURRENCY))
            self.task: PatchTask | PatchRunbookTask = PatchRunbookTask(
                self,
                "Patch",
                window=self.window,
                targets=[self.targets],
                runbook=self.runbook,
                **_pick(options, _RUNBOOK_TASK_KEYWORDS),
                task_name=task_options["task_name"],
            )
        else:
            for keyword, value in (("patch_timeout", patch_timeout), ("runbook_name", runbook_name)):
                check_needs(keyword, value is not None, "load_balancer, auto_scaling or steps", False)
            self.task = self.window.add_patch_task("Patch", targets=[self.targets], **task_options)
        self.rollout: RolloutEstimate | None = None
        if expected_fleet_size is not None:
            per_instance = defaults.MINUTES_PER_INSTANCE if minutes_per_instance is None else minutes_per_instance
            self._estimate_rollout(expected_fleet_size, per_instance, self.task.max_concurrency)
        self.compliance_rule: events.CfnRule | None = None
        if compliance_alerts is not None:
            own = [] if compliance_alerts.all_baselines else [baseline.baseline_id for baseline in self.baselines]
            self.compliance_rule = define_compliance_alerts(
                self, baseline_ids=own, description=f"Patch compliance of {self.node.path} turned non-compliant"
            )
        self.hook_metrics: HookMetrics | None = None
        if telemetry is not None:
            self.hook_metrics = self._define_telemetry(telemetry, options)
        self.scan_window: MaintenanceWindow | None = None
        self.scan_task: PatchTask | None = None
        if scan_schedule is not None:
            self.scan_window = MaintenanceWindow(
                self,
                "ScanWindow",
                schedule=scan_schedule,
                duration=scan_duration or Duration.hours(defaults.SCAN_DURATION_HOURS),
                cutoff=Duration.hours(0),
                window_name=_scan_window_name(options.get("window_name"), given=scan_window_name),
                **_pick(options, ("schedule_timezone", "start_date", "end_date")),
            )
            self.scan_task = self.scan_window.add_patch_task(
                "Scan",
                targets=[self.scan_window.add_targets("Targets", targets, target_name=target_name)],
                task_name=_derived_name(construct_id, "Scan"),
                operation=PatchOperation.SCAN,
                **_pick(options, _SCAN_TASK_KEYWORDS),
            )

    def _define_telemetry(self, telemetry: HookTelemetry, options: PatchWorkflowOptions) -> HookMetrics:
        output = options.get("output")
        if output is None:
            fail("telemetry needs output with cloudwatch_output=True: the hook lines are read from its log group")
        return define_telemetry(
            Construct(self, "Telemetry"),
            telemetry,
            output=output,
            services=_service_names(options.get("hooks")),
            window=self.window,
            compliance_rule=self.compliance_rule,
        )

    def _check_runbook_fits(self, runbook: PatchRunbook, max_concurrency: str) -> None:
        """One instance's worst case (every step at its timeout) must fit in the window; taking more than half
        the targets out of service at once is worth a warning."""
        hours = self.window.duration_hours
        if hours is not None and not is_unresolved(hours):
            check_runbook_fits(runbook.worst_case_seconds, hours)
        percent = max_concurrency.removesuffix("%")
        if max_concurrency.endswith("%") and percent.isdigit() and int(percent) > 50:
            Annotations.of(self).add_warning_v2(
                "constructs-lib:runbook-concurrency",
                f"max_concurrency {max_concurrency} takes more than half the targets out of service at once",
            )

    def _estimate_rollout(self, fleet_size: int, minutes_per_instance: int, max_concurrency: str) -> None:
        check_int_range("expected_fleet_size", fleet_size, 1)
        check_int_range("minutes_per_instance", minutes_per_instance, 1, 24 * 60)
        hours = (self.window.duration_hours, self.window.cutoff_hours)
        if any(is_unresolved(value) for value in (*hours, max_concurrency)):
            return
        runbook = self.runbook
        self.rollout = estimate_rollout(
            fleet_size=fleet_size,
            max_concurrency=max_concurrency,
            # With the runbook, each instance also waits for its drain, standby and health checks.
            minutes_per_instance=minutes_per_instance + (minutes(runbook.off_instance_seconds) if runbook else 0),
            duration_hours=hours[0],
            cutoff_hours=hours[1],
            at_most=CONCURRENT_AUTOMATIONS if runbook else None,
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


def _service_names(hooks: ILifecycleHooks | None) -> list[str]:
    """The apps the typed app hooks name (both platforms' names), in order; none for hooks of your own."""
    names: list[str] = []
    for slot, _ in HOOK_PARAMETERS:
        service = getattr(getattr(hooks, slot, None), "service_name", None)
        per_platform = [getattr(service, "linux", None), getattr(service, "windows", None)]
        for name in [service] if isinstance(service, str) else per_platform:
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names


def _check_hooks_cover(hooks: ILifecycleHooks, operating_systems: list[OperatingSystem]) -> None:
    """Hooks run on Linux or Windows, and each hook document defined here has a step for every platform
    the baselines patch (a document named from elsewhere can't be checked)."""
    check_hooks_platforms(operating_systems)
    for slot, _ in HOOK_PARAMETERS:
        document = getattr(hooks, slot, None)
        if isinstance(document, HookDocument):
            check_hook_covers(f"hooks.{slot} ({document.node.id})", document.platforms, operating_systems)
