"""HookScript: the text of one hook script, from hook_scripts/, from a file of yours, or inline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from .._internal import paths as _paths
from .._internal.rules import fail
from .._internal.typecheck import check_fields, typed

# Exit codes that ask SSM Agent for a reboot. Under aws:runDocument (every hook) they are an error
# or cause reboot loops; RebootOption on the task decides reboots instead.
_REBOOT_EXIT = re.compile(
    r"\bexit\s*\(?\s*(194|3010)\b|::Exit\(\s*(194|3010)\s*\)|SetShouldExit\(\s*(194|3010)\s*\)", re.IGNORECASE
)
# SSM reads {{ ... }} as parameter interpolation; hooks take values from SSM_<Name> variables instead.
_INTERPOLATION = "{{"
# A line that sources a shared file when run locally, marked for inlining into the document:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/hook_common.sh"  # hook:include lib/hook_common.sh
_INCLUDE = re.compile(r"#\s*hook:include\s+(?P<path>\S+)\s*$")
# Environment variables a script reads that come from hook document parameters.
_SSM_VARIABLE = re.compile(r"\bSSM_([A-Za-z0-9_]+)")


class ScriptLanguage(StrEnum):
    """The interpreter a script is written for, known from its file suffix."""

    SHELL = "shell"
    POWERSHELL = "powershell"
    UNKNOWN = "unknown"


_SUFFIX_LANGUAGES = {
    ".sh": ScriptLanguage.SHELL,
    ".bash": ScriptLanguage.SHELL,
    ".ps1": ScriptLanguage.POWERSHELL,
}


@dataclass(frozen=True)
class HookScript:
    """One hook script, checked when it is created.

    Build it with ``HookScript.from_file("linux/stop_app_gracefully.sh")`` (a script shipped in
    hook_scripts/), ``HookScript.from_path(Path(...))`` (a script of yours, absolute path) or
    ``HookScript.inline(text)``. The script must not be empty, must not contain ``{{`` (SSM
    interpolation; read ``"$SSM_<Name>"`` instead) and must never exit 194 or 3010 (reboot requests,
    which SSM Agent refuses inside a hook).
    """

    text: str
    source: str
    language: ScriptLanguage = ScriptLanguage.UNKNOWN

    def __post_init__(self) -> None:
        check_fields(self)
        if not self.text.strip():
            fail(f"hook script {self.source} must not be empty")
        for number, line in enumerate(self.text.split("\n"), start=1):
            if _INTERPOLATION in line:
                fail(
                    f"hook script {self.source} line {number} contains '{{{{', which SSM reads as parameter "
                    f'interpolation; read the value from "$SSM_<Name>" instead; got {line.strip()!r}'
                )
            if _REBOOT_EXIT.search(line):
                fail(
                    f"hook script {self.source} line {number} requests a reboot (exit 194 or 3010), which SSM "
                    f"Agent refuses inside a hook; set reboot_option on the task instead; got {line.strip()!r}"
                )

    @staticmethod
    @typed
    def from_file(name: str) -> HookScript:
        """A script shipped with the library, named relative to hook_scripts/ (e.g. "linux/update_app.sh")."""
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            fail(
                f"hook script name must be relative to hook_scripts/ without '..'; got {name!r}; "
                "use HookScript.from_path() for scripts of your own"
            )
        path = _paths.HOOK_SCRIPTS_DIR / relative
        if not path.is_file():
            available = ", ".join(
                sorted(
                    p.relative_to(_paths.HOOK_SCRIPTS_DIR).as_posix()
                    for p in _paths.HOOK_SCRIPTS_DIR.rglob("*")
                    if p.is_file()
                )
            )
            fail(f"hook script {name!r} not found in hook_scripts/; available: {available}")
        return HookScript._read(path, f"hook_scripts/{relative.as_posix()}", _paths.HOOK_SCRIPTS_DIR)

    @staticmethod
    @typed
    def from_path(path: Path) -> HookScript:
        """A script of yours, given as an absolute path (e.g. ``Path(__file__).parent / "hooks/drain.sh"``)."""
        if not path.is_absolute():
            fail(f"hook script path must be absolute so synth never depends on the working folder; got {str(path)!r}")
        if not path.is_file():
            fail(f"hook script path must name an existing file; got {str(path)!r}")
        return HookScript._read(path, str(path), path.parent)

    @staticmethod
    @typed
    def inline(text: str, *, language: ScriptLanguage = ScriptLanguage.UNKNOWN) -> HookScript:
        """A script given as text.

        Default: ``language`` UNKNOWN, which skips the check that a Linux step gets a shell script.
        """
        return HookScript(_normalize(text), "inline script", language)

    @staticmethod
    @typed
    def _read(path: Path, source: str, root: Path) -> HookScript:
        text = _inline_includes(_normalize(path.read_text(encoding="utf-8")), path, source, root)
        return HookScript(text, source, _SUFFIX_LANGUAGES.get(path.suffix.lower(), ScriptLanguage.UNKNOWN))

    @property
    def lines(self) -> list[str]:
        """The script as SSM runCommand lines."""
        return self.text.split("\n")

    @property
    def ssm_variables(self) -> list[str]:
        """Names of the document parameters the script reads as SSM_<Name>, sorted."""
        return sorted(set(_SSM_VARIABLE.findall(self.text)))


def _inline_includes(text: str, path: Path, source: str, root: Path) -> str:
    """Replace each ``# hook:include <file>`` line by that file without its comment lines, so the document is
    self-contained.

    The file is named relative to the script and must stay inside ``root``; includes do not nest.
    """
    lines: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = _INCLUDE.search(line)
        if not match:
            lines.append(line)
            continue
        name = match.group("path")
        included = (path.parent / name).resolve()
        if not included.is_relative_to(root.resolve()) or not included.is_file():
            fail(f"hook script {source} line {number} includes {name!r}, which is not a file beside the script")
        body = [kept for kept in _normalize(included.read_text(encoding="utf-8")).split("\n") if not _is_comment(kept)]
        if any(_INCLUDE.search(included_line) for included_line in body):
            fail(f"hook script {source} includes {name!r}, which includes another file; includes do not nest")
        lines.append(f"# ---- begin {name} (inlined at synth) ----")
        lines.extend(body)
        lines.append(f"# ---- end {name} ----")
    return "\n".join(lines)


def _is_comment(line: str) -> bool:
    """A whole-line comment of a shared file, left out when inlined: about a third of its bytes, and every
    hook document carries it again (the file itself keeps them). Directives to shellcheck stay."""
    stripped = line.lstrip()
    return stripped.startswith("#") and not stripped.startswith(("#!", "# shellcheck"))


def _normalize(text: str) -> str:
    # Windows line endings would reach the instance as stray carriage returns; a final newline
    # would become an empty runCommand line.
    return text.replace("\r\n", "\n").rstrip("\n")
