"""The typed app hooks' document parameters: each value checked here first, for a message naming the keyword.

The patterns themselves are rules (``_internal.rules``): the fleet description checks its fields with
the same ones. Every parameter accepts only its built-in value once deployed (HookParameter.only_default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration

from ..._internal.rules import (
    COMMAND_PATTERN,
    COMMAND_RULE,
    PORT_PATTERN,
    SECONDS_PATTERN,
    SERVICE_NAME_PATTERN,
    SERVICE_NAME_RULE,
    WINDOWS_COMMAND_PATTERN,
    WINDOWS_COMMAND_RULE,
    check_program_word,
    check_windows_service_name,
    fail,
)
from ..._internal.validation import whole_seconds
from ..._internal.vocabulary import HookPlatform
from ..document import HookParameter
from .per_platform import PerPlatform, per_platform


def parameter(keyword: str, value: str, pattern: str, rule: str, description: str | None = None) -> HookParameter:
    """A document parameter whose value is checked here first, for a message naming the keyword."""
    # A full match, as the agent's Go regex checks it: Python's $ would also accept a trailing line break.
    if not re.fullmatch(pattern, value):
        fail(f"{keyword} must be {rule}; got {keyword}={value!r}")
    return HookParameter(default=value, allowed_pattern=pattern, description=description)


def command_parameters(
    keyword: str,
    name: str,
    command: str | PerPlatform | None,
    platforms: Sequence[HookPlatform],
    description: str,
    *,
    required: bool = False,
) -> dict[str, HookParameter]:
    """``Linux<name>`` and/or ``Windows<name>``: a command per platform; None is an empty value (nothing runs)."""
    values = per_platform(keyword, command, platforms, is_command=True, required=required)
    parameters = {}
    for platform, value in values.items():
        windows = platform is HookPlatform.WINDOWS
        check_program_word(keyword, value)
        parameters[f"{platform}{name}"] = parameter(
            f"{keyword} ({platform})" if isinstance(command, PerPlatform) else keyword,
            value,
            WINDOWS_COMMAND_PATTERN if windows else COMMAND_PATTERN,
            WINDOWS_COMMAND_RULE if windows else COMMAND_RULE,
            f"{description} ({platform})",
        )
    return parameters


def service_name_parameters(
    service_name: str | PerPlatform, platforms: Sequence[HookPlatform]
) -> dict[str, HookParameter]:
    """``LinuxServiceName`` and/or ``WindowsServiceName``: the app's name on each platform."""
    values = per_platform("service_name", service_name, platforms, required=True)
    if HookPlatform.WINDOWS in values:
        check_windows_service_name("service_name", values[HookPlatform.WINDOWS])
    return {
        f"{platform}ServiceName": parameter(
            "service_name", value, SERVICE_NAME_PATTERN, SERVICE_NAME_RULE, f"The app's service name ({platform})"
        )
        for platform, value in values.items()
    }


def seconds_parameter(keyword: str, duration: Duration, allowed: tuple[int, int], description: str) -> HookParameter:
    """A whole-seconds parameter in the ``allowed`` (lowest, highest) range of the rule book."""
    seconds = whole_seconds(keyword, duration, *allowed)
    return HookParameter(default=str(seconds), allowed_pattern=SECONDS_PATTERN, description=description)


def port_parameter(keyword: str, port: int | None, description: str) -> HookParameter:
    """A TCP port parameter; None is an empty value."""
    if port is not None and not 1 <= port <= 65535:
        fail(f"{keyword} must be a TCP port from 1 to 65535; got {keyword}={port!r}")
    return HookParameter(
        default="" if port is None else str(port), allowed_pattern=PORT_PATTERN, description=description
    )
