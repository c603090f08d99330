"""Token-aware checks shared by the constructs (private).

Every check raises ``ValueError`` naming the keyword, the value received and what is allowed,
and skips values that are unresolved CDK tokens: those are only known at deploy time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, NoReturn, cast, overload

from aws_cdk import Duration, Token

# SSM names for documents, windows, targets, tasks and baselines.
RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
RESOURCE_NAME_RULE = "3 to 128 characters from a-z, A-Z, 0-9, _, - and ."

# Extra characters allowed beside letters, spaces and digits in tag keys, target keys and patch groups
# (the service pattern is ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$).
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_CHARSET_RULE = "letters, digits, spaces and _ . : / = + - @"
# How the CDK encodes unresolved strings and list elements ("${Token[...]}", "#{Token[...]}").
_STRING_TOKEN = "${Token["  # noqa: S105 (a marker, not a password)
_LIST_TOKEN = "#{Token["  # noqa: S105


def is_unresolved(value: Any) -> bool:
    """True when ``value`` is (or contains) a CDK token that only resolves at deploy time.

    Strings and lists are checked in Python by their token markers (a jsii round trip per check
    would dominate synth time); only numbers and other objects ask the CDK.
    """
    if isinstance(value, str):
        return _STRING_TOKEN in value or _LIST_TOKEN in value
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(item) for item in value)
    if isinstance(value, float) or hasattr(value, "__jsii_ref__"):
        return bool(Token.is_unresolved(value))
    return False  # plain Python values (ints included: number tokens are floats) are resolved


def fail(message: str) -> NoReturn:
    """Raise the library's configuration error."""
    raise ValueError(message)


def check_int_range(keyword: str, value: int | None, low: int, high: int | None = None) -> None:
    """Check that an integer lies in ``low..high`` (``high`` None means no upper bound)."""
    if value is None or is_unresolved(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"
        fail(f"{keyword} must be {allowed}; got {keyword}={value!r}")


def check_length(keyword: str, value: str | None, low: int, high: int) -> None:
    """Check a string's length."""
    if value is None or is_unresolved(value):
        return
    if not low <= len(value) <= high:
        fail(f"{keyword} must be {low} to {high} characters long; got {len(value)} characters: {value!r}")


def check_pattern(keyword: str, value: str | None, pattern: re.Pattern[str], rule: str) -> None:
    """Check a string against a service pattern, describing the rule in words."""
    if value is None or is_unresolved(value):
        return
    if not pattern.fullmatch(value):
        fail(f"{keyword} must be {rule}; got {keyword}={value!r}")


def check_resource_name(keyword: str, value: str | None) -> None:
    """Check an SSM resource name (documents, windows, targets, tasks, baselines)."""
    check_pattern(keyword, value, RESOURCE_NAME, RESOURCE_NAME_RULE)


def check_count(keyword: str, values: Sequence[Any], low: int, high: int) -> None:
    """Check how many items a list holds (a list token's length is unknown)."""
    if len(values) == 1 and is_unresolved(values[0]) and _LIST_TOKEN in str(values[0]):
        return
    if not low <= len(values) <= high:
        fail(f"{keyword} must hold {low} to {high} items; got {len(values)}")


def check_tag_charset(keyword: str, value: str) -> None:
    """Check the Unicode class pattern ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$ used by tags and patch groups."""
    if is_unresolved(value):
        return
    for char in value:
        category = unicodedata.category(char)
        if category[0] not in "LZN" and char not in _TAG_PUNCTUATION:
            fail(f"{keyword} may contain only {TAG_CHARSET_RULE}; got {keyword}={value!r} with {char!r}")


def check_unique(keyword: str, values: Sequence[str]) -> None:
    """Reject duplicates in a list the service treats as a set."""
    seen: set[str] = set()
    for value in values:
        if value in seen and not is_unresolved(value):
            fail(f"{keyword} must not repeat a value; got {value!r} twice")
        seen.add(value)


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


def enum_values(enum_type: Any) -> str:
    """List an enum's values for a message."""
    return ", ".join(member.value for member in enum_type)


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
