"""MaintenanceWindow: when patching may run, for how long, and in which time zone."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypedDict, TypeGuard, Unpack

from aws_cdk import Annotations, Duration, Names
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal import defaults, rules
from .._internal.options import check_keywords
from .._internal.rules import check_length, check_offset_with_cron, check_resource_name, check_time_zone, fail
from .._internal.typecheck import typed
from .._internal.validation import check_int_range, describe_duration, is_unresolved, whole_units
from .._internal.vocabulary import ScheduleKind
from .patch_task import PatchTask, PatchTaskOptions
from .protocols import IMaintenanceWindow
from .schedule import WindowSchedule
from .stack_checks import watch
from .window_role import MaintenanceWindowRole
from .window_target import WindowTarget, WindowTargets

__all__ = ["IMaintenanceWindow", "MaintenanceWindow", "MaintenanceWindowOptions", "WindowOptions"]


class WindowOptions(TypedDict, total=False):
    """The optional keywords of a maintenance window that PatchWorkflow also takes.

    Args:
        cutoff: how long before the end no new task starts, whole hours from 0 to 23 and shorter than
            duration. Default: 1 hour, or 0 when duration is 1 hour.
        schedule_timezone: the IANA time zone the schedule is read in, e.g. "America/New_York".
            Default: UTC.
        schedule_offset: days to wait after the cron date before opening, 1 to 6 (cron schedules only).
            Default: no offset.
        start_date: the window is inactive before this moment (ISO-8601). Default: active at once.
        end_date: the window is inactive after this moment (ISO-8601). Default: never ends.
        allow_unassociated_targets: let tasks target instance IDs that are not registered targets.
            Default: False, tasks run only on registered targets.
        window_name: the window's name. Default: a unique name derived from the construct path.
    """

    cutoff: Duration | None
    schedule_timezone: str | None
    schedule_offset: int | None
    start_date: datetime | str | None
    end_date: datetime | str | None
    allow_unassociated_targets: bool
    window_name: str | None


class MaintenanceWindowOptions(WindowOptions, total=False):
    """The optional keywords of MaintenanceWindow: WindowOptions and these.

    Args:
        description: 1 to 128 characters. Default: no description.
        service_role: the role this window's tasks assume. Default: a least-privilege
            MaintenanceWindowRole, defined when the first task needs it.
    """

    description: str | None
    service_role: iam.IRole | None


class MaintenanceWindow(Construct):
    """Defines a maintenance window: a recurring (or one-off) period in which patch tasks may start.

    No task starts later than ``cutoff`` before the window ends. Add instances with ``add_targets()``
    and the patch run with ``add_patch_task()``.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: WindowSchedule,
        duration: Duration,
        **options: Unpack[MaintenanceWindowOptions],
    ) -> None:
        """Define the window.

        Args:
            schedule: when the window opens, from the WindowSchedule factories.
            duration: how long the window stays open, whole hours from 1 to 24.
            options: the optional keywords and their defaults, in MaintenanceWindowOptions.
        """
        check_keywords(MaintenanceWindow.__init__, options, MaintenanceWindowOptions)
        cutoff = options.get("cutoff")
        schedule_timezone = options.get("schedule_timezone")
        schedule_offset = options.get("schedule_offset")
        window_name = options.get("window_name")
        description = options.get("description")
        service_role = options.get("service_role")
        super().__init__(scope, construct_id)
        self._service_role = service_role
        self._window_role: MaintenanceWindowRole | None = None
        duration_hours = whole_units("duration", duration, "hours")
        _check_hours("duration", duration, duration_hours, rules.DURATION_HOURS_RANGE)
        if cutoff is None:
            cutoff = Duration.hours(defaults.cutoff_hours_for(duration_hours))
        cutoff_hours = whole_units("cutoff", cutoff, "hours")
        _check_hours("cutoff", cutoff, cutoff_hours, rules.CUTOFF_HOURS_RANGE)
        if _known(cutoff_hours) and _known(duration_hours):
            rules.check_cutoff_before_duration(cutoff_hours, duration_hours)
        _check_schedule_offset(schedule, schedule_offset)
        check_time_zone(schedule_timezone)
        start_text = _iso_timestamp("start_date", options.get("start_date"))
        end_text = _iso_timestamp("end_date", options.get("end_date"))
        _check_active_period(start_text, end_text)
        check_resource_name("window_name", window_name)
        check_length("description", description, 1, 128)

        self.schedule = schedule
        self.duration_hours = duration_hours
        self.cutoff_hours = cutoff_hours
        self.schedule_timezone = schedule_timezone
        watch(self)
        self.cfn_window = ssm.CfnMaintenanceWindow(
            self,
            "Resource",
            name=window_name or Names.unique_resource_name(self, max_length=128),
            schedule=schedule.expression_string,
            duration=duration_hours,
            cutoff=cutoff_hours,
            allow_unassociated_targets=options.get("allow_unassociated_targets", False),
            schedule_timezone=schedule_timezone,
            schedule_offset=schedule_offset,
            start_date=start_text,
            end_date=end_text,
            description=description,
        )
        self._warn_if_it_never_opens(schedule, schedule_timezone, end_text)

    def _warn_if_it_never_opens(self, schedule: WindowSchedule, time_zone: str | None, end: str | None) -> None:
        """A synth warning (never an error: the template must not depend on the day it is built) for a window
        whose end date or one-off ``at()`` time has passed."""
        now = datetime.now(UTC)
        problems = []
        if end is not None and not is_unresolved(end) and _as_utc(end) <= now:
            problems.append(f"its end_date {end} has passed")
        moment = _one_off_moment(schedule, time_zone)
        if moment is not None and moment <= now:
            problems.append(f"its one-off schedule {schedule.expression_string} has passed")
        if problems:
            Annotations.of(self).add_warning_v2(
                "constructs-lib:window-never-opens",
                f"maintenance window {self.node.path} will never open: {' and '.join(problems)} (as of {now:%Y-%m-%d})",
            )

    @functools.cached_property
    def window_id(self) -> str:
        """The window ID (a CloudFormation Ref), fetched once: every target and task refers to it."""
        return self.cfn_window.ref

    @property
    def service_role(self) -> iam.IRole:
        """The role this window's tasks assume (defined on first use unless one was given)."""
        if self._service_role is not None:
            return self._service_role
        return self.window_role.role

    @property
    def window_role(self) -> MaintenanceWindowRole:
        """The least-privilege role this window defines for its tasks when none is given."""
        if self._window_role is None:
            self._window_role = MaintenanceWindowRole(self, "ServiceRole")
        return self._window_role

    @property
    def has_own_service_role(self) -> bool:
        """True when the window was given a role rather than defining one."""
        return self._service_role is not None

    @typed
    def add_targets(
        self,
        construct_id: str,
        targets: WindowTargets,
        *,
        target_name: str | None = None,
        description: str | None = None,
        owner_information: str | None = None,
    ) -> WindowTarget:
        """Register instances with this window and return the target, for a task's ``targets``.

        Args:
            construct_id: the target's construct id, also its name when valid.
            targets: which instances, from the WindowTargets factories.
            target_name: the target's name. Default: the construct id when it is a valid name.
            description: 1 to 128 characters. Default: no description.
            owner_information: 1 to 128 characters, sent with EventBridge events. Default: none.
        """
        return WindowTarget(
            self,
            construct_id,
            window=self,
            targets=targets,
            target_name=target_name,
            description=description,
            owner_information=owner_information,
        )

    @typed
    def task_service_role(self, pass_role: iam.IRole | None, targets: Sequence[WindowTargets] = ()) -> iam.IRole:
        """The role a task of this window assumes when it names none: the window's ``service_role``, or
        its MaintenanceWindowRole, then allowed to pass ``pass_role`` (a task's notification role) and to
        send to the instances ``targets`` select."""
        if self._service_role is not None:
            return self._service_role
        if pass_role is not None:
            self.window_role.allow_pass_role(pass_role)
        for selection in targets:
            self.window_role.allow_targets(selection)
        return self.window_role.role

    @typed
    def add_patch_task(
        self, construct_id: str, *, targets: Sequence[WindowTarget], **options: Unpack[PatchTaskOptions]
    ) -> PatchTask:
        """Register an AWS-RunPatchBaselineWithHooks task with this window; keywords as for PatchTask."""
        return PatchTask(self, construct_id, window=self, targets=targets, **options)


def _known(hours: int | None) -> TypeGuard[int]:
    return hours is not None and not is_unresolved(hours)


def _check_hours(keyword: str, duration: Duration, hours: int | None, allowed: tuple[int, int]) -> None:
    low, high = allowed
    if _known(hours) and not low <= hours <= high:
        fail(f"{keyword} must be {low} to {high} hours; got {keyword}={describe_duration(duration)}")


def _check_schedule_offset(schedule: WindowSchedule, offset: int | None) -> None:
    if offset is None:
        return
    check_int_range("schedule_offset", offset, *rules.SCHEDULE_OFFSET_RANGE)
    check_offset_with_cron(offset, schedule.kind, schedule.expression_string)


def _iso_timestamp(keyword: str, value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if not is_unresolved(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            fail(f"{keyword} must be an ISO-8601 timestamp such as 2026-01-01T00:00:00-05:00; got {keyword}={value!r}")
    return value


def _check_active_period(start: str | None, end: str | None) -> None:
    if start is None or end is None or is_unresolved(start) or is_unresolved(end):
        return
    if _as_utc(start) >= _as_utc(end):
        fail(f"start_date must be before end_date; got start_date={start}, end_date={end}")


def _one_off_moment(schedule: WindowSchedule, time_zone: str | None) -> datetime | None:
    """The moment of an ``at()`` schedule in its window's time zone (UTC when none), or None."""
    text = schedule.expression_string
    if schedule.kind is not ScheduleKind.AT or is_unresolved(text) or (time_zone and is_unresolved(time_zone)):
        return None
    naive = datetime.fromisoformat(text.removeprefix("at(").removesuffix(")"))
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(time_zone) if time_zone else UTC)


def _as_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # A timestamp without an offset is read as UTC, as SSM does.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
