"""What every command shares: one error type, and one main wrapper that reports it as one line.

A command raises ``CommandError`` (or a subclass) for anything its user must fix; ``run_command`` prints
``<prog>: <why>`` on stderr and exits 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path


class CommandError(Exception):
    """A problem the user must fix (a missing assembly, a wrong file, a missing dependency), told in one line."""


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, refused with the range otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}; got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}; got {value}")
        return value

    return parse


def moment(text: str) -> datetime:
    """An argparse type: an ISO-8601 moment in the years 1970 to 9000 (schedules are computed from it)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO-8601 moment such as 2026-12-01T00:00:00Z; got {text!r}"
        ) from None
    if not 1970 <= value.year <= 9000:
        raise argparse.ArgumentTypeError(f"must be in the years 1970 to 9000; got {text!r}")
    return value


def checked(check: Callable[[str], None]) -> Callable[[str], str]:
    """An argparse type that runs a rule-book check; its ValueError becomes argparse's one-line error."""

    def parse(text: str) -> str:
        try:
            check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return parse


def write_output(path: Path, text: str) -> None:
    """Write a report to ``path``; a folder that does not exist or a path that is a folder is the user's to fix."""
    try:
        path.write_text(text)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a CommandError becomes ``<prog>: <why>`` on stderr and exit status 2."""
    try:
        return command()
    except CommandError as error:
        sys.stderr.write(f"{prog}: {error}\n")
        return 2
