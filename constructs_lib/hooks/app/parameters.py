"""The typed app hooks' document parameters: each value checked here first, for a message naming the keyword.

The patterns themselves are rules (``_internal.rules``): the fleet description checks its fields with
the same ones.
"""

from __future__ import annotations

import re

from aws_cdk import Duration

from ..._internal.rules import (
    COMMAND_PATTERN,
    COMMAND_RULE,
    PORT_PATTERN,
    SECONDS_PATTERN,
    SERVICE_NAME_PATTERN,
    SERVICE_NAME_RULE,
    fail,
)
from ..._internal.validation import whole_seconds
from ..document import HookParameter


def parameter(keyword: str, value: str, pattern: str, rule: str, description: str | None = None) -> HookParameter:
    """A document parameter whose value is checked here first, for a message naming the keyword."""
    if not re.search(pattern, value):
        fail(f"{keyword} must be {rule}; got {keyword}={value!r}")
    return HookParameter(default=value, allowed_pattern=pattern, description=description)


def command_parameter(keyword: str, command: str | None, description: str) -> HookParameter:
    """A command parameter; None is an empty value (the step is skipped)."""
    return parameter(keyword, command or "", COMMAND_PATTERN, COMMAND_RULE, description)


def seconds_parameter(keyword: str, duration: Duration, allowed: tuple[int, int], description: str) -> HookParameter:
    """A whole-seconds parameter in the ``allowed`` (lowest, highest) range of the rule book."""
    seconds = whole_seconds(keyword, duration, *allowed)
    return HookParameter(default=str(seconds), allowed_pattern=SECONDS_PATTERN, description=description)


def service_name_parameter(service_name: str) -> HookParameter:
    """The ServiceName parameter."""
    return parameter("service_name", service_name, SERVICE_NAME_PATTERN, SERVICE_NAME_RULE, "The app's service name")


def port_parameter(keyword: str, port: int | None, description: str) -> HookParameter:
    """A TCP port parameter; None is an empty value."""
    if port is not None and (isinstance(port, bool) or not 1 <= port <= 65535):
        fail(f"{keyword} must be a TCP port from 1 to 65535; got {keyword}={port!r}")
    return HookParameter(
        default="" if port is None else str(port), allowed_pattern=PORT_PATTERN, description=description
    )
