"""patch-resume: re-open the patch waves a failed earlier wave halted (PatchWaves), once the cause is fixed.

Reads the deployed stack from CloudFormation, finds each later wave's halt record (an SSM parameter) and
its window through the wave's gate task, and shows the halted waves (the record says why) and each
window's state. After confirmation (or --yes; without a terminal it refuses without --yes) it sets each
halted record back to "open" and then re-enables its window, in that order: a failure in between leaves
a window disabled, never one that patches while its record says halted. --dry-run shows and changes
nothing.

    patch-resume --stack Waves [--region eu-west-1] [--dry-run] [--yes]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from .._internal.constants import HALT_GATE_TASK as GATE_TASK_NAME
from .._internal.constants import HALT_RECORD_OPEN as OPEN
from .aws import ask, load_stack, run_with_aws
from .command import CommandError


@dataclass(frozen=True)
class HaltedWave:
    """One later wave: its record (a parameter name), what it says, and its window."""

    record: str
    state: str
    window_id: str
    window_name: str
    window_enabled: bool

    @property
    def halted(self) -> bool:
        return self.state != OPEN


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-resume", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--region", help="AWS region (default: the SDK's)")
    parser.add_argument("--dry-run", action="store_true", help="show the halted waves and change nothing")
    parser.add_argument("--yes", action="store_true", help="re-open without asking (needed without a terminal)")
    return parser.parse_args(argv)


def gated_windows(template: dict[str, Any], physical: dict[str, str]) -> list[tuple[str, str]]:
    """(record parameter name, window id) of each wave gate in the template."""
    pairs = []
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") != "AWS::SSM::MaintenanceWindowTask" or props.get("Name") != GATE_TASK_NAME:
            continue
        parameters = props["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"]
        record, window = parameters["HaltRecord"][0], props["WindowId"]
        if not (isinstance(record, dict) and "Ref" in record and isinstance(window, dict) and "Ref" in window):
            raise CommandError(
                "a HaltGate task of the stack names its record or window in a way patch-resume can't read"
            )
        pairs.append((physical[record["Ref"]], physical[window["Ref"]]))
    return pairs


def read_waves(ssm: Any, pairs: list[tuple[str, str]]) -> list[HaltedWave]:
    waves = []
    for record, window_id in pairs:
        state = ssm.get_parameter(Name=record)["Parameter"]["Value"]
        window = ssm.get_maintenance_window(WindowId=window_id)
        waves.append(HaltedWave(record, state, window_id, window.get("Name", ""), bool(window.get("Enabled"))))
    return waves


def run(
    args: argparse.Namespace,
    cloudformation: Any,
    ssm: Any,
    out: TextIO,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    template, physical = load_stack(cloudformation, args.stack)
    pairs = gated_windows(template, physical)
    if not pairs:
        raise CommandError(f"stack {args.stack} has no patch waves (no {GATE_TASK_NAME} task)")
    waves = read_waves(ssm, pairs)
    for wave in waves:
        window = f"{wave.window_name} ({wave.window_id}, {'enabled' if wave.window_enabled else 'disabled'})"
        out.write(f"{'HALTED' if wave.halted else 'open':<7} {window}: {wave.state}\n")
        if not wave.halted and not wave.window_enabled:
            out.write(f"        {wave.window_id} is disabled but its wave is open: not the brake's doing, left alone\n")
    halted = [wave for wave in waves if wave.halted]
    if not halted:
        out.write("no wave is halted\n")
        return 0
    if args.dry_run:
        return 0
    windows = ", ".join(wave.window_id for wave in halted)
    question = f"Re-open {len(halted)} halted wave(s): records to open, windows {windows} enabled? [y/N] "
    if not args.yes and not (confirm or _ask)(question):
        out.write("nothing changed\n")
        return 1
    for wave in halted:
        ssm.put_parameter(Name=wave.record, Value=OPEN, Type="String", Overwrite=True)
        ssm.update_maintenance_window(WindowId=wave.window_id, Enabled=True)
        out.write(f"re-opened {wave.window_name} ({wave.window_id}): record {wave.record} open, window enabled\n")
    return 0


def _ask(question: str) -> bool:
    return ask(question, "patch-resume re-enables patch windows: pass --yes to confirm")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-resume command."""
    args = parse_args(argv)
    return run_with_aws(
        "patch-resume",
        args.region,
        ("cloudformation", "ssm"),
        lambda clients: run(args, clients["cloudformation"], clients["ssm"], sys.stdout),
    )


if __name__ == "__main__":
    sys.exit(main())
