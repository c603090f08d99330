"""MaintenanceWindow: when patching may run, for how long, and in which time zone."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeGuard, runtime_checkable

from aws_cdk import Duration, Names
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ._validation import (
    check_int_range,
    check_length,
    check_resource_name,
    describe_duration,
    fail,
    is_unresolved,
    whole_units,
)
from .schedule import ScheduleKind, WindowSchedule
from .window_role import MaintenanceWindowRole
from .window_target import WindowTarget, WindowTargets

if TYPE_CHECKING:
    from typing import Unpack

    from .patch_task import PatchTask, PatchTaskOptions


@runtime_checkable
class IMaintenanceWindow(Protocol):
    """Anything that identifies a maintenance window."""

    @property
    def window_id(self) -> str:
        """The window ID (``mw-...``; a CloudFormation reference for windows defined in the stack)."""
        ...


@functools.cache
def _iana_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class MaintenanceWindow(Construct):
    """Defines a maintenance window: a recurring (or one-off) period in which patch tasks may start.

    No task starts later than ``cutoff`` before the window ends. Add instances with ``add_targets()``
    and the patch run with ``add_patch_task()``.
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
        allow_unassociated_targets: bool = False,
        window_name: str | None = None,
        description: str | None = None,
        service_role: iam.IRole | None = None,
    ) -> None:
        """Define the window.

        Args:
            schedule: when the window opens, from the WindowSchedule factories.
            duration: how long the window stays open, whole hours from 1 to 24.
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
            description: 1 to 128 characters. Default: no description.
            service_role: the role this window's tasks assume. Default: a least-privilege
                MaintenanceWindowRole, defined when the first task needs it.
        """
        super().__init__(scope, construct_id)
        self._service_role = service_role
        self._window_role: MaintenanceWindowRole | None = None
        duration_hours = whole_units("duration", duration, "hours")
        if _known(duration_hours) and not 1 <= duration_hours <= 24:
            fail(f"duration must be 1 to 24 hours; got duration={describe_duration(duration)}")
        if cutoff is None:
            cutoff = Duration.hours(0 if duration_hours == 1 else 1)
        cutoff_hours = whole_units("cutoff", cutoff, "hours")
        if _known(cutoff_hours) and not 0 <= cutoff_hours <= 23:
            fail(f"cutoff must be 0 to 23 hours; got cutoff={describe_duration(cutoff)}")
        if _known(cutoff_hours) and _known(duration_hours) and cutoff_hours >= duration_hours:
            fail(
                f"cutoff must be shorter than duration; got cutoff={describe_duration(cutoff)}, "
                f"duration={describe_duration(duration)}"
            )
        _check_schedule_offset(schedule, schedule_offset)
        check_time_zone(schedule_timezone)
        start_text = _iso_timestamp("start_date", start_date)
        end_text = _iso_timestamp("end_date", end_date)
        _check_active_period(start_text, end_text)
        check_resource_name("window_name", window_name)
        check_length("description", description, 1, 128)

        self.schedule = schedule
        self.duration_hours = duration_hours
        self.cutoff_hours = cutoff_hours
        self.schedule_timezone = schedule_timezone
        self.cfn_window = ssm.CfnMaintenanceWindow(
            self,
            "Resource",
            name=window_name or Names.unique_resource_name(self, max_length=128),
            schedule=schedule.expression_string,
            duration=duration_hours,
            cutoff=cutoff_hours,
            allow_unassociated_targets=allow_unassociated_targets,
            schedule_timezone=schedule_timezone,
            schedule_offset=schedule_offset,
            start_date=start_text,
            end_date=end_text,
            description=description,
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

    def add_patch_task(self, construct_id: str, **options: Unpack[PatchTaskOptions]) -> PatchTask:
        """Register an AWS-RunPatchBaselineWithHooks task with this window; keywords as for PatchTask."""
        from .patch_task import PatchTask  # patch_task needs this module's types; import late

        return PatchTask(self, construct_id, window=self, **options)


def _known(hours: int | None) -> TypeGuard[int]:
    return hours is not None and not is_unresolved(hours)


def _check_schedule_offset(schedule: WindowSchedule, offset: int | None) -> None:
    if offset is None:
        return
    check_int_range("schedule_offset", offset, 1, 6)
    if schedule.kind not in (ScheduleKind.CRON, ScheduleKind.UNRESOLVED):
        fail(f"schedule_offset works with cron schedules only; got schedule={schedule.expression_string}")


def check_time_zone(name: str | None) -> None:
    """Check that ``name`` is an IANA time zone (from the pinned tzdata package, the same on every host)."""
    if name is None or is_unresolved(name):
        return
    if name not in _iana_time_zones():
        fail(
            f"schedule_timezone must be an IANA time zone name such as America/New_York or Europe/Berlin; "
            f"got schedule_timezone={name!r}"
        )


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


def _as_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # A timestamp without an offset is read as UTC, as SSM does.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
