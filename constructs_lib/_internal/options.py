"""Typed option sets passed as ``**options``: unknown keywords are refused as Python refuses them.

A construct that takes ``**options: Unpack[SomeOptions]`` (so a keyword and its ``Default:`` line are
written once, on the option set, and shared by every construct that forwards them) calls
``check_keywords`` first: a misspelt keyword is a TypeError naming it, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_keywords(owner: str, options: Mapping[str, Any], *option_sets: Any) -> None:
    """Refuse keywords that none of ``option_sets`` (TypedDict classes) declares."""
    allowed = {key for option_set in option_sets for key in option_set.__annotations__}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(
            f"{owner} got unexpected keyword argument(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
