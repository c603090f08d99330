"""Where the bundled hook scripts live, resolved from this package, never from the working folder."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # constructs_lib/


def _find_hook_scripts_dir() -> Path:
    # An installed wheel carries the scripts inside the package (pyproject force-include);
    # a source checkout or an editable install reads them from the repository's top level.
    for candidate in (_PACKAGE_DIR / "hook_scripts", _PACKAGE_DIR.parent / "hook_scripts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"hook_scripts/ is missing beside {_PACKAGE_DIR}; reinstall constructs-lib")


HOOK_SCRIPTS_DIR = _find_hook_scripts_dir()
