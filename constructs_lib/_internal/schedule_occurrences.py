"""A maintenance window's coming start times, in its own time zone (pure Python, no CDK).

cron occurrences come from pyawscron (AWS's dialect: 6 fields with year, ?, L, W, #); rate(...) and
at(...) are simple enough to do here. Times are computed on the window's wall clock and then placed in
its IANA time zone, so a daylight-saving change moves the UTC instant, not the local start time, as
Systems Manager does. The plan, the fleet check and the wave order check all count with this.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pyawscron import AWSCron  # type: ignore[import-untyped]

RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
AT = re.compile(r"^at\((.+)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@functools.lru_cache(maxsize=256)
def _cron(fields: str) -> AWSCron:
    """A parsed cron expression (parsing is most of the cost of one occurrence)."""
    return AWSCron(fields)


def cron_fields(expression: str) -> list[str]:
    """The six fields (minutes ... year) of a cron(...) expression."""
    match = _CRON.fullmatch(expression)
    if not match:
        raise ValueError(f"not a cron expression: {expression}")
    fields = match.group(1).split()
    return fields[-6:]  # a 7-field expression leads with seconds; windows start on the minute


def next_starts(
    expression: str,
    timezone: str,
    after: datetime,
    count: int,
    offset: int | None = None,
    until: datetime | None = None,
) -> list[datetime]:
    """The next ``count`` window starts after ``after`` (aware datetimes in the window's time zone)."""
    zone = ZoneInfo(timezone)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    shift = timedelta(days=offset or 0)
    starts: list[datetime] = []
    if expression.startswith("cron("):
        fields = " ".join(cron_fields(expression))
        # pyawscron counts in naive wall-clock time (it labels it UTC); the zone is applied after.
        cursor = local_after.replace(tzinfo=UTC) - shift
        cron = _cron(fields)
        while len(starts) < count:
            # None once the expression has no later time (a past year): the window never opens again.
            cursor = cron.occurrence(cursor).next()
            if cursor is None:
                break
            starts.append(_place(cursor.replace(tzinfo=None) + shift, zone))
            if until is not None and starts[-1] >= until:
                break
    elif RATE.fullmatch(expression):
        # A rate window first opens when it is created; the plan counts from ``after``.
        rate = RATE.fullmatch(expression)
        assert rate is not None
        step = int(rate.group(1)) * _UNITS[rate.group(2)]
        starts = [after.astimezone(zone) + step * (index + 1) for index in range(count)]
    elif AT.fullmatch(expression):
        at = AT.fullmatch(expression)
        assert at is not None
        moment = _place(datetime.fromisoformat(at.group(1)), zone)
        starts = [moment] if moment > after else []
    starts = [start for start in starts if start > after][:count]
    return [start for start in starts if until is None or start < until]


def previous_start(expression: str, timezone: str, at: datetime, offset: int | None = None) -> datetime | None:
    """The latest window start at or before ``at``, for cron and at() schedules; None for rate() (its phase
    is set when the window is created) or when there is none."""
    zone = ZoneInfo(timezone)
    if expression.startswith("cron("):
        shift = timedelta(days=offset or 0)
        # pyawscron's prev() is strictly before its cursor: start a minute later to include ``at`` itself.
        local = at.astimezone(zone).replace(tzinfo=None) - shift + timedelta(minutes=1)
        found = _cron(" ".join(cron_fields(expression))).occurrence(local.replace(tzinfo=UTC)).prev()
        return None if found is None else _place(found.replace(tzinfo=None) + shift, zone)
    at_match = AT.fullmatch(expression)
    if at_match:
        moment = _place(datetime.fromisoformat(at_match.group(1)), zone)
        return moment if moment <= at else None
    return None


def _place(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone``; a time skipped by a daylight-saving jump moves forward by the gap."""
    placed = wall_clock.replace(tzinfo=zone)
    round_trip = placed.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall_clock:  # did not exist locally
        placed = (placed.astimezone(UTC)).astimezone(zone)
    return placed


# How far the wave order check looks: three years of the later wave's openings (a monthly schedule's
# collisions with a weekday-of-month one come and go with the calendar), at most 200 of them.
ORDER_CHECK_HORIZON = timedelta(days=3 * 366)
ORDER_CHECK_OPENINGS = 200


@dataclass(frozen=True)
class Opening:
    """A window's schedule as the wave order check needs it."""

    name: str
    expression: str
    timezone: str
    offset: int | None
    duration_hours: int

    def starts(self, after: datetime, count: int, until: datetime | None = None) -> list[datetime]:
        return next_starts(self.expression, self.timezone, after, count, self.offset, until)

    def previous(self, at: datetime) -> datetime | None:
        return previous_start(self.expression, self.timezone, at, self.offset)


def brake_too_late(earlier: Opening, later: Opening, now: datetime) -> str | None:
    """Why a failure of ``earlier`` could be known only after ``later`` opens, or None: one of ``later``'s
    openings in the next three years (at most 200) falls inside the window of ``earlier`` that opened last
    before it. Window lengths are elapsed hours (a window across a daylight-saving change ends an hour
    earlier or later on the wall clock). rate() windows are not checked: their phase is set when they are
    created."""
    if RATE.fullmatch(earlier.expression) or RATE.fullmatch(later.expression):
        return None
    length = timedelta(hours=earlier.duration_hours)
    for start in later.starts(now, ORDER_CHECK_OPENINGS, until=now + ORDER_CHECK_HORIZON):
        opened = earlier.previous(start)
        if opened is not None and start.astimezone(UTC) < opened.astimezone(UTC) + length:
            return (
                f"wave {later.name} opens {start:%Y-%m-%d %H:%M %Z} while the window of wave {earlier.name} that "
                f"opened {opened:%Y-%m-%d %H:%M %Z} ({earlier.duration_hours} h) may still run: the brake would "
                "come too late"
            )
    return None
