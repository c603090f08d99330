"""Typed option sets passed as ``**options``: unknown keywords are refused as Python refuses them.

A construct that takes ``**options: Unpack[SomeOptions]`` (so a keyword and its ``Default:`` line are
written once, on the option set, and shared by every construct that forwards them) calls
``check_keywords`` first: a misspelt keyword is a TypeError naming it and listing every keyword the
construct takes, its own and its option sets', never silently ignored.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any


@functools.cache
def _own_keywords(function: Callable[..., Any]) -> frozenset[str]:
    """The keyword-only parameters ``function`` names itself (beside its ``**options``)."""
    parameters = inspect.signature(function).parameters.values()
    return frozenset(parameter.name for parameter in parameters if parameter.kind is parameter.KEYWORD_ONLY)


def check_keywords(owner: Callable[..., Any], options: Mapping[str, Any], *option_sets: Any) -> None:
    """Refuse keywords that none of ``option_sets`` (TypedDict classes) declares.

    ``owner`` is the constructor (or function) taking the options: its name and own keywords make the message.
    """
    allowed = {key for option_set in option_sets for key in option_set.__annotations__}
    unknown = sorted(set(options) - allowed)
    if unknown:
        name = owner.__qualname__.removesuffix(".__init__")
        every = ", ".join(sorted(allowed | _own_keywords(owner)))
        raise TypeError(f"{name} got unexpected keyword argument(s) {', '.join(unknown)}; allowed: {every}")
