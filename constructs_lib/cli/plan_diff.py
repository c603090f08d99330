"""patch-plan-diff: two versions of a stack's patching, compared in words.

    patch-plan-diff --old reference.template.json --assembly cdk.out --stack PatchingDemo

Prints one sentence per change a reviewer cares about, e.g. "window PatchingDemo-Weekly moves from
Sunday 03:00 to Saturday 22:00 America/New_York" or "on-exit hook script changed: 3 lines".
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .assembly import HookModel, StackModel, TaskModel, WindowModel, load_template, read_stack, read_template
from .command import run_command
from .plan import SLOT_WORDS
from .schedule_preview import describe

# cron(minute hour day-of-month * day-of-week *): schedules a reviewer reads as "Sunday 03:00".
_SIMPLE_CRON = re.compile(r"^cron\((\d+) (\d+) ([*?]) \* ([A-Za-z]{3}|[1-7]|[*?]) \*\)$")
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_WEEKDAYS = {
    **{name[:3].upper(): name for name in _DAY_NAMES},
    **{str(i + 1): name for i, name in enumerate(_DAY_NAMES)},
}


def _when(window: WindowModel) -> str:
    """When the window opens, briefly: "Sunday 03:00", "daily 01:00", or the schedule in words."""
    match = _SIMPLE_CRON.fullmatch(window.schedule)
    if match:
        minute, hour, day_of_month, day_of_week = match.groups()
        time = f"{int(hour):02d}:{int(minute):02d}"
        if day_of_month in "*?" and day_of_week in "*?":
            return f"daily {time}"
        if day_of_month == "?" and day_of_week.upper() in _WEEKDAYS:
            return f"{_WEEKDAYS[day_of_week.upper()]} {time}"
    words = describe(window.schedule, window.timezone, window.offset).removesuffix(f" ({window.timezone})")
    return f"'{words}'"


def compare_windows(old: WindowModel, new: WindowModel) -> list[str]:
    changes = []
    if (old.schedule, old.timezone, old.offset) != (new.schedule, new.timezone, new.offset):
        old_when = f"{_when(old)}{'' if old.timezone == new.timezone else ' ' + old.timezone}"
        changes.append(
            f"window {new.name} moves from {old_when} to {_when(new)} {new.timezone} ({old.schedule} → {new.schedule})"
        )
    for label, before, after in (("duration", old.duration, new.duration), ("cutoff", old.cutoff, new.cutoff)):
        if before != after:
            changes.append(f"window {new.name} {label} changes from {before} h to {after} h")
    old_targets = {t.name: t.describe() for t in old.targets}
    for target in new.targets:
        if target.name in old_targets and old_targets[target.name] != target.describe():
            changes.append(
                f"window {new.name} targets {target.name} change from {old_targets[target.name]} to {target.describe()}"
            )
    changes += _added_removed(f"window {new.name} target", set(old_targets), {t.name for t in new.targets})
    changes += compare_others(f"window {new.name}", old.others, new.others)
    old_target_models = {t.name: t for t in old.targets}
    for target in new.targets:
        if target.name in old_target_models:
            changes += compare_others(
                f"window {new.name} target {target.name}", old_target_models[target.name].others, target.others
            )
    old_tasks = {task.name: task for task in old.tasks}
    for task in new.tasks:
        if task.name in old_tasks:
            changes += compare_tasks(old_tasks[task.name], task)
    changes += _added_removed(f"window {new.name} task", set(old_tasks), {t.name for t in new.tasks})
    return changes


def compare_tasks(old: TaskModel, new: TaskModel) -> list[str]:
    changes = []
    for label, before, after in (
        ("operation", old.operation, new.operation),
        ("reboot option", old.reboot_option, new.reboot_option),
        ("max concurrency", old.max_concurrency, new.max_concurrency),
        ("max errors", old.max_errors, new.max_errors),
        ("priority", old.priority, new.priority),
    ):
        if before != after:
            changes.append(f"task {new.name} {label} changes from {before} to {after}")
    changes += compare_others(f"task {new.name}", old.others, new.others)
    for slot, hook in new.hooks.items():
        previous = old.hooks[slot]
        if previous.name != hook.name:
            changes.append(f"task {new.name} {SLOT_WORDS[slot]} changes from {previous.name} to {hook.name}")
            continue
        changes += compare_hooks(previous, hook)
    return changes


def compare_hooks(old: HookModel, new: HookModel) -> list[str]:
    """A hook document's changes: its scripts, the values baked into its parameters, its step timeouts."""
    changes = []
    hook = f"{SLOT_WORDS[new.slot].replace(' hook', '')} hook {new.name}"
    for platform, old_lines, new_lines in (("Linux", old.linux, new.linux), ("Windows", old.windows, new.windows)):
        changed = _changed_lines(old_lines, new_lines)
        if changed:
            changes.append(f"{hook} {platform} script changed: {changed} line{'s' if changed != 1 else ''}")
    for name in sorted(old.parameters.keys() & new.parameters.keys()):
        if old.parameters[name] != new.parameters[name]:
            changes.append(f"{hook} parameter {name} changes from {old.parameters[name]!r} to {new.parameters[name]!r}")
    changes += _added_removed(f"{hook} parameter", set(old.parameters), set(new.parameters))
    for platform in sorted(old.step_timeouts.keys() & new.step_timeouts.keys()):
        before, after = old.step_timeouts[platform], new.step_timeouts[platform]
        if before != after:
            changes.append(f"{hook} {platform} step timeout changes from {before}s to {after}s")
    return changes


def compare_others(what: str, old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Changes of the properties a plan does not put in words (end date, cutoff behaviour, approved patches,
    output, ...), so no change to a patching resource goes unreported."""
    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None:
            changes.append(f"{what} {key} set to {_cut(after)}")
        elif after is None:
            changes.append(f"{what} {key} removed (was {_cut(before)})")
        else:
            changes.append(f"{what} {key} changes from {_cut(before)} to {_cut(after)}")
    return changes


def _cut(text: str | None, limit: int = 160) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _changed_lines(old: list[str], new: list[str]) -> int:
    """Lines added, removed or replaced (a replaced line counts once)."""
    changed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changed += max(i2 - i1, j2 - j1)
    return changed


def _added_removed(what: str, old: set[str], new: set[str]) -> list[str]:
    return [f"{what} {name} added" for name in sorted(new - old)] + [
        f"{what} {name} removed" for name in sorted(old - new)
    ]


def _added_removed_by_id(what: str, old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Things matched by logical id (a renamed window is changed, not replaced), reported by name."""
    return _added_removed(what, {old[i] for i in old.keys() - new.keys()}, {new[i] for i in new.keys() - old.keys()})


def compare(old: StackModel, new: StackModel) -> list[str]:
    """Every change between two versions of a stack's patching, in words."""
    changes = []
    old_windows = {w.logical_id: w for w in old.windows}
    for window in new.windows:
        if window.logical_id in old_windows:
            changes += compare_windows(old_windows[window.logical_id], window)
    changes += _added_removed_by_id(
        "window", {w.logical_id: w.name for w in old.windows}, {w.logical_id: w.name for w in new.windows}
    )
    old_baselines = {b.logical_id: b for b in old.baselines}
    for baseline in new.baselines:
        before = old_baselines.get(baseline.logical_id)
        if before and before.rules != baseline.rules:
            changes.append(
                f"baseline {baseline.name} approval rules change from {'; '.join(before.rules)} "
                f"to {'; '.join(baseline.rules)}"
            )
        if before:
            changes += compare_others(f"baseline {baseline.name}", before.others, baseline.others)
        if before and before.patch_groups != baseline.patch_groups:
            changes.append(
                f"baseline {baseline.name} patch groups change from {', '.join(before.patch_groups)} "
                f"to {', '.join(baseline.patch_groups)}"
            )
    changes += _added_removed_by_id(
        "baseline", {b.logical_id: b.name for b in old.baselines}, {b.logical_id: b.name for b in new.baselines}
    )
    return changes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-plan-diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the reference template (JSON)")
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="the new cloud assembly")
    parser.add_argument("--stack", help="stack name (default: the assembly's only stack)")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when there are patching changes, as git diff --exit-code (default: 0 either way)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace, out: TextIO) -> int:
    name, template = load_template(args.assembly, args.stack)
    reference = read_template(args.old, what="--old")
    old = read_stack(name, reference)
    changes = compare(old, read_stack(name, template))
    out.write("\n".join(f"- {change}" for change in changes) + "\n" if changes else "- no patching change\n")
    return 1 if changes and args.exit_code else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-plan-diff command."""
    return run_command("patch-plan-diff", lambda: run(parse_args(argv), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
