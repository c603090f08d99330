"""A maintenance window's schedule in plain words and its coming start times, in its own time zone.

cron occurrences come from pyawscron (AWS's dialect: 6 fields with year, ?, L, W, #) and words from
cron-descriptor; rate(...) and at(...) are simple enough to do here. Times are computed on the
window's wall clock and then placed in its IANA time zone, so a daylight-saving change moves the
UTC instant, not the local start time, as Systems Manager does.
"""

from __future__ import annotations

from cron_descriptor import ExpressionDescriptor, Options  # type: ignore[import-untyped]

from .._internal.schedule_occurrences import AT, RATE, cron_fields, next_starts

__all__ = ["describe", "next_starts"]


def describe(expression: str, timezone: str, offset: int | None = None) -> str:
    """The schedule in words, e.g. "At 03:00, only on Sunday (America/New_York)"."""
    if expression.startswith("cron("):
        minutes, hours, day_of_month, month, day_of_week, year = cron_fields(expression)
        options = Options()
        options.day_of_week_start_index_zero = False  # AWS counts SUN as 1
        options.use_24hour_time_format = True
        words = str(
            ExpressionDescriptor(
                f"0 {minutes} {hours} {day_of_month} {month} {day_of_week} {year}", options
            ).get_description()
        )
        if offset:
            words += f", then {offset} day(s) later"
        return f"{words} ({timezone})"
    rate = RATE.fullmatch(expression)
    if rate:
        return f"Every {rate.group(1)} {rate.group(2)}(s) ({timezone})"
    at = AT.fullmatch(expression)
    if at:
        return f"Once, at {at.group(1).replace('T', ' ')} ({timezone})"
    return expression
