"""WindowSchedule: cron, rate and at() expressions in the maintenance-window dialect.

Modelled on ``aws_events.Schedule`` but not a reuse of it: maintenance windows accept 6- and
7-field cron, ``at(...)`` one-off runs, and schedule offsets (cron only), and their errors should
speak of maintenance windows. Source: SSM user guide, "Reference: Cron and rate expressions for
Systems Manager".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_cdk import Duration

from .._internal.rules import fail
from .._internal.schedule_expressions import parse_expression
from .._internal.tokens import is_unresolved_text
from .._internal.typecheck import check_fields, typed
from .._internal.vocabulary import ScheduleKind

__all__ = ["ScheduleKind", "WindowSchedule"]


@dataclass(frozen=True)
class WindowSchedule:
    """When a maintenance window opens. Build one with the static factories, not the constructor.

    ``WindowSchedule.cron("0 3 ? * SUN *")``, ``WindowSchedule.rate(Duration.days(1))``,
    ``WindowSchedule.at(datetime(2026, 12, 24, 22))`` or ``WindowSchedule.expression("cron(...)")``.
    """

    expression_string: str
    kind: ScheduleKind

    def __post_init__(self) -> None:
        """Hold even a schedule built with the constructor to the rules the factories check."""
        check_fields(self)
        if parse_expression(self.expression_string) != (self.expression_string, self.kind):
            fail(
                "WindowSchedule must be built with its factories (cron, rate, at, expression); got "
                f"WindowSchedule({self.expression_string!r}, {self.kind})"
            )

    @staticmethod
    @typed
    def cron(fields: str) -> WindowSchedule:
        """A cron schedule from the 6 (or 7, with seconds) fields that go inside ``cron(...)``.

        Times are in the window's ``schedule_timezone`` (UTC when none is set).
        """
        if is_unresolved_text(fields):
            return WindowSchedule(f"cron({fields})", ScheduleKind.UNRESOLVED)
        return WindowSchedule(*parse_expression(f"cron({fields})"))

    @staticmethod
    @typed
    def rate(duration: Duration) -> WindowSchedule:
        """A fixed-rate schedule, written in the largest whole unit: days, hours or minutes."""
        if duration.is_unresolved():
            fail("schedule rate duration must be a concrete value; use WindowSchedule.expression() for tokens")
        seconds = duration.to_seconds(integral=False)
        if seconds < 60 or seconds % 60 != 0:
            fail(f"schedule rate must be a whole number of minutes, at least 1; got {duration.to_human_string()}")
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0:
                value = int(seconds // size)
                return WindowSchedule(f"rate({value} {unit}{'' if value == 1 else 's'})", ScheduleKind.RATE)
        raise AssertionError("unreachable: minutes always divide a whole number of minutes")

    @staticmethod
    @typed
    def at(moment: datetime) -> WindowSchedule:
        """A one-off run at a wall-clock time in the window's ``schedule_timezone`` (UTC when none is set).

        The datetime must be naive: SSM's ``at()`` carries no offset, the window's time zone applies.
        """
        if moment.tzinfo is not None:
            fail(
                "schedule at() takes a naive datetime read in the window's schedule_timezone; "
                f"got {moment.isoformat()} with an offset"
            )
        if not 1970 <= moment.year <= 9999:
            fail(f"schedule at() takes a year from 1970 to 9999; got {moment.isoformat()}")
        if moment.microsecond:
            fail(f"schedule at() has a resolution of one second; got {moment.isoformat()}")
        return WindowSchedule(f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})", ScheduleKind.AT)

    @staticmethod
    @typed
    def expression(expression: str) -> WindowSchedule:
        """A schedule from a complete ``cron(...)``, ``rate(...)`` or ``at(...)`` string, checked the same way."""
        return WindowSchedule(*parse_expression(expression))

    @property
    def is_cron(self) -> bool:
        """True for cron schedules, the only kind that takes a schedule offset."""
        return self.kind is ScheduleKind.CRON

    def __str__(self) -> str:
        return self.expression_string
