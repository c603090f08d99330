"""What every command shares: one error type, and one main wrapper that reports it as one line.

A command raises ``CommandError`` (or a subclass) for anything its user must fix; ``run_command`` prints
``<prog>: <why>`` on stderr and exits 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class CommandError(Exception):
    """A problem the user must fix (a missing assembly, a wrong file, a missing dependency), told in one line."""


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a CommandError becomes ``<prog>: <why>`` on stderr and exit status 2."""
    try:
        return command()
    except CommandError as error:
        sys.stderr.write(f"{prog}: {error}\n")
        return 2
