"""What the constructs add to the rule book: CDK tokens of every kind, and Durations at the boundary.

Every check here skips values that are unresolved CDK tokens (those are only known at deploy time) and
leaves the rule itself to ``rules``.
"""

from __future__ import annotations

from typing import Any, cast, overload

from aws_cdk import Duration, Token

from . import rules
from .rules import fail
from .tokens import is_unresolved_text


def is_unresolved(value: Any) -> bool:
    """True when ``value`` is (or contains) a CDK token that only resolves at deploy time.

    Strings and lists are checked in Python by their token markers (a jsii round trip per check
    would dominate synth time; tests prove the markers agree with ``Token.is_unresolved``); only
    numbers and other objects ask the CDK.
    """
    if isinstance(value, str):
        return is_unresolved_text(value)
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(item) for item in value)
    if isinstance(value, float) or hasattr(value, "__jsii_ref__"):
        return bool(Token.is_unresolved(value))
    return False  # plain Python values (ints included: number tokens are floats) are resolved


def check_int_range(keyword: str, value: int | None, low: int, high: int | None = None) -> None:
    """``rules.check_int_range``, skipping a number token."""
    if value is not None and is_unresolved(value):
        return
    rules.check_int_range(keyword, value, low, high)


def describe_duration(duration: Duration) -> str:
    """Render a duration compactly for messages: 3h, 90m, 45s."""
    seconds = duration.to_seconds(integral=False)
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@overload
def whole_units(keyword: str, duration: Duration, unit: str) -> int: ...
@overload
def whole_units(keyword: str, duration: None, unit: str) -> None: ...
@overload
def whole_units(keyword: str, duration: Duration | None, unit: str) -> int | None: ...
def whole_units(keyword: str, duration: Duration | None, unit: str) -> int | None:
    """Convert a Duration to a whole number of ``unit`` ("hours" or "days"); None stays None.

    An unresolved duration is returned as its token number, so it still reaches the template.
    """
    if duration is None:
        return None
    convert = {"hours": duration.to_hours, "days": duration.to_days}[unit]
    if duration.is_unresolved():
        return cast(int, convert())  # a token number: int() would break it
    size = {"hours": 3600, "days": 86400}[unit]
    seconds = duration.to_seconds(integral=False)
    if seconds % size != 0:
        fail(f"{keyword} must be a whole number of {unit}; got {keyword}={describe_duration(duration)}")
    return int(seconds // size)


def whole_seconds(keyword: str, duration: Duration | None, low: int, high: int) -> int | None:
    """Convert a Duration to whole seconds in ``low..high``; None stays None, tokens pass through."""
    if duration is None:
        return None
    if duration.is_unresolved():
        return cast(int, duration.to_seconds())  # a token number: int() would break it
    seconds = duration.to_seconds(integral=False)
    if seconds != int(seconds) or not low <= seconds <= high:
        fail(
            f"{keyword} must be a whole number of seconds from {low} to {high}; "
            f"got {keyword}={duration.to_human_string()}"
        )
    return int(seconds)
