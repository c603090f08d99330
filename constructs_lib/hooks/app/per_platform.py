"""PerPlatform: a typed hook's value that differs between Linux and Windows, and how it becomes parameters.

A mixed group's hook document has a Linux and a Windows step; each reads its own ``Linux<Name>`` or
``Windows<Name>`` parameter, so ``dnf -y upgrade app`` never reaches a Windows instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..._internal.rules import fail, values_per_platform
from ..._internal.typecheck import check_fields
from ..._internal.vocabulary import HookPlatform

ALL_PLATFORMS = (HookPlatform.LINUX, HookPlatform.WINDOWS)


@dataclass(frozen=True)
class PerPlatform:
    """A value given separately for Linux and Windows, e.g.
    ``PerPlatform(linux="dnf -y upgrade web-app", windows="C:/web-app/update.exe")``.

    Args:
        linux: the value on Linux instances. Default: None, nothing on Linux.
        windows: the value on Windows instances. Default: None, nothing on Windows.
    """

    linux: str | None = None
    windows: str | None = None

    def __post_init__(self) -> None:
        check_fields(self)

    def get(self, platform: HookPlatform) -> str | None:
        """The value for ``platform``."""
        return self.linux if platform is HookPlatform.LINUX else self.windows


def chosen_platforms(platforms: Sequence[HookPlatform]) -> tuple[HookPlatform, ...]:
    """The platforms a hook has steps for, checked, in document order (Linux, then Windows)."""
    chosen = set(platforms)
    if not chosen or not chosen <= set(HookPlatform) or len(chosen) != len(platforms):
        fail(f"platforms must name Linux, Windows or both, once each; got platforms={[str(p) for p in platforms]}")
    return tuple(platform for platform in ALL_PLATFORMS if platform in chosen)


def per_platform(
    keyword: str,
    value: str | PerPlatform | None,
    platforms: Sequence[HookPlatform],
    *,
    is_command: bool = False,
    required: bool = False,
) -> dict[HookPlatform, str]:
    """``value`` for each of ``platforms`` ("" for none), by the rule book's values_per_platform."""
    given = {p: value.get(p) for p in ALL_PLATFORMS} if isinstance(value, PerPlatform) else value
    return values_per_platform(
        keyword,
        given,
        platforms,
        is_command=is_command,
        required=required,
        how=f"{keyword}=PerPlatform(linux=..., windows=...) (None where nothing runs), or platforms for one platform",
        shown=repr(value),
    )


def describe(value: str | PerPlatform) -> str:
    """A value for a description: "web-app", or "web-app (Linux), WebApp (Windows)"."""
    if not isinstance(value, PerPlatform):
        return str(value)
    return ", ".join(f"{given} ({platform})" for platform in ALL_PLATFORMS if (given := value.get(platform)))
