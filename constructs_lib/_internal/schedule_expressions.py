"""Maintenance-window schedule expressions, parsed and checked without the CDK: cron, rate and at().

The dialect of maintenance windows, not EventBridge's: 6- and 7-field cron, ``at(...)`` one-off runs.
Source: SSM user guide, "Reference: Cron and rate expressions for Systems Manager". ``WindowSchedule``
(core) builds on these; the fleet description checks its schedule strings with them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .rules import check_length, fail
from .tokens import is_unresolved_text
from .vocabulary import ScheduleKind

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
# Cron rates faster than every 5 minutes are not supported for maintenance windows.
_MIN_CRON_GAP_MINUTES = 5


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: Mapping[str, int] = field(default_factory=dict)

    def value(self, text: str, expression: str) -> int:
        number = self.names.get(text.upper()) if self.names else None
        if number is None and text.isdigit():
            number = int(text)
        if number is None or not self.low <= number <= self.high:
            named = f" or {min(self.names)}..." if self.names else ""
            fail(
                f"schedule {self.name} field must use values {self.low}-{self.high}{named}; "
                f"got {text!r} in {expression!r}"
            )
        return number

    def values(self, text: str, expression: str) -> set[int]:
        """Expand a field made of , - * / items into the set of values it matches."""
        matched: set[int] = set()
        for item in text.split(","):
            base, slash, step_text = item.partition("/")
            step = 1
            if slash:
                if not step_text.isdigit() or not 1 <= int(step_text) <= self.high:
                    fail(f"schedule {self.name} field has an invalid increment {item!r} in {expression!r}")
                step = int(step_text)
            if base == "*":
                start, end = self.low, self.high
            elif "-" in base:
                first, _, last = base.partition("-")
                start, end = self.value(first, expression), self.value(last, expression)
                if start > end:
                    fail(f"schedule {self.name} field range {base!r} runs backwards in {expression!r}")
            else:
                start = self.value(base, expression)
                end = self.high if slash else start
            matched.update(range(start, end + 1, step))
        return matched


_SECONDS = _CronField("seconds", 0, 59)
_MINUTES = _CronField("minutes", 0, 59)
_HOURS = _CronField("hours", 0, 23)
_DAY_OF_MONTH = _CronField("day-of-month", 1, 31)
_MONTH = _CronField("month", 1, 12, _MONTHS)
_DAY_OF_WEEK = _CronField("day-of-week", 1, 7, _WEEKDAYS)
_YEAR = _CronField("year", 1970, 2199)

_DOM_SPECIAL = re.compile(r"^(L|LW|(?P<day>\d{1,2})W)$")
_DOW_LAST = re.compile(r"^(?P<day>[A-Za-z0-9]+)L$")
_DOW_NTH = re.compile(r"^(?P<day>[A-Za-z0-9]+)#(?P<nth>\d+)$")
_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(r"^at\((?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((?P<fields>.*)\)$")


def _check_day_of_month(text: str, expression: str) -> None:
    special = _DOM_SPECIAL.fullmatch(text)
    if special:
        if special.group("day"):
            _DAY_OF_MONTH.value(special.group("day"), expression)
        return
    if "L" in text.upper() or "W" in text.upper():
        fail(f"schedule day-of-month field may use L, LW or nW only on their own; got {text!r} in {expression!r}")
    _DAY_OF_MONTH.values(text, expression)


def _check_day_of_week(text: str, expression: str) -> None:
    if text.upper() == "L":
        return
    last = _DOW_LAST.fullmatch(text)
    if last:
        _DAY_OF_WEEK.value(last.group("day"), expression)
        return
    nth = _DOW_NTH.fullmatch(text)
    if nth:
        _DAY_OF_WEEK.value(nth.group("day"), expression)
        if not 1 <= int(nth.group("nth")) <= 5:
            fail(
                f"schedule day-of-week field must name the 1st to 5th weekday of a month with #; "
                f"got {text!r} in {expression!r}"
            )
        return
    if "#" in text or "L" in text.upper():
        fail(f"schedule day-of-week field may use nL or n#k only on their own; got {text!r} in {expression!r}")
    _DAY_OF_WEEK.values(text, expression)


def _check_frequency(seconds: str | None, minutes: set[int], expression: str) -> None:
    too_often = f"schedule must not run more often than every {_MIN_CRON_GAP_MINUTES} minutes; got {expression!r}"
    if seconds is not None and len(_SECONDS.values(seconds, expression)) > 1:
        fail(too_often)
    ordered = sorted(minutes)
    if any(later - earlier < _MIN_CRON_GAP_MINUTES for earlier, later in itertools.pairwise(ordered)):
        fail(too_often)


def validate_cron_fields(fields_text: str) -> None:
    """Check the fields inside ``cron(...)`` against the maintenance-window dialect.

    Six fields (minutes hours day-of-month month day-of-week year) or seven with a leading seconds
    field; exactly one of day-of-month and day-of-week is ``?``; L, W and # only where AWS allows.
    """
    expression = f"cron({fields_text})"
    fields = fields_text.split()
    if len(fields) not in (6, 7):
        fail(
            "schedule cron expression must have 6 fields (minutes hours day-of-month month day-of-week year) "
            f"or 7 with leading seconds; got {len(fields)} in {expression!r}"
        )
    seconds = fields[0] if len(fields) == 7 else None
    minutes, hours, day_of_month, month, day_of_week, year = fields[-6:]
    if (day_of_month == "?") == (day_of_week == "?"):
        fail(f"schedule cron expression must use ? in exactly one of day-of-month and day-of-week; got {expression!r}")
    if seconds is not None:
        _SECONDS.values(seconds, expression)
    minute_values = _MINUTES.values(minutes, expression)
    _HOURS.values(hours, expression)
    if day_of_month != "?":
        _check_day_of_month(day_of_month, expression)
    _MONTH.values(month, expression)
    if day_of_week != "?":
        _check_day_of_week(day_of_week, expression)
    _YEAR.values(year, expression)
    _check_frequency(seconds, minute_values, expression)


def validate_rate(expression: str) -> None:
    match = _RATE.fullmatch(expression)
    if not match:
        fail(
            f"schedule rate expression must look like rate(1 hour), rate(5 minutes) or rate(7 days); got {expression!r}"
        )
    value, unit = int(match.group("value")), match.group("unit")
    if value < 1:
        fail(f"schedule rate value must be at least 1; got {expression!r}")
    if (value == 1) == unit.endswith("s"):
        expected = unit.rstrip("s") if value == 1 else unit + "s"
        fail(
            f"schedule rate unit must be singular for 1 and plural otherwise; got {expression!r}, "
            f"use rate({value} {expected})"
        )


def validate_at(expression: str) -> None:
    match = _AT.fullmatch(expression)
    if not match:
        fail(f"schedule at() expression must look like at(2026-12-24T22:00:00); got {expression!r}")
    try:
        datetime.strptime(match.group("moment"), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        fail(f"schedule at() expression names no real date and time; got {expression!r}")


def normalize_cron_fields(fields: str) -> str:
    """The fields inside ``cron(...)`` with single spaces, checked."""
    normalized = " ".join(fields.split())
    validate_cron_fields(normalized)
    return normalized


def parse_expression(expression: str) -> tuple[str, ScheduleKind]:
    """A complete ``cron(...)``, ``rate(...)`` or ``at(...)`` expression, checked: (normalized text, kind).

    An unresolved token is returned as it is, of kind UNRESOLVED.
    """
    if is_unresolved_text(expression):
        return expression, ScheduleKind.UNRESOLVED
    text = expression.strip()
    if not text.isascii():
        # Python's int() and \d read other scripts' digits ("٣"); SSM reads ASCII only.
        fail(f"schedule must be written in ASCII (digits 0-9); got {expression!r}")
    cron = _CRON.fullmatch(text)
    if cron:
        parsed = f"cron({normalize_cron_fields(cron.group('fields'))})"
        # API model shape MaintenanceWindowSchedule: 1 to 256 characters.
        check_length("schedule", parsed, 1, 256)
        return parsed, ScheduleKind.CRON
    if text.startswith("rate("):
        validate_rate(text)
        return text, ScheduleKind.RATE
    if text.startswith("at("):
        validate_at(text)
        return text, ScheduleKind.AT
    fail(f"schedule must be a cron(...), rate(...) or at(...) expression; got {expression!r}")
