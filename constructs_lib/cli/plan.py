"""patch-plan: a readable Markdown patch plan from a synthesized cloud assembly.

Per maintenance window: the schedule in words and its next start times in its time zone, duration
and cutoff, targets, and for each task its operation, reboot option, rate control, an optional
rollout estimate and the ordered lifecycle with each hook's first script lines; then the baselines
per patch group and OS, and a Mermaid gantt chart of the coming weeks' windows.

    patch-plan --assembly cdk.out [--stack PatchingDemo] [--fleet-size 200 --minutes-per-instance 20]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from .._internal.constants import CONCURRENT_AUTOMATIONS, NOOP_DOCUMENT
from ..operations.estimate import estimate_rollout
from .assembly import HookModel, StackModel, TaskModel, WindowModel, load_template, read_stack
from .command import bounded_int, moment, run_command, write_output
from .schedule_preview import describe, next_starts

SLOT_WORDS = {"pre_install": "pre-install hook", "post_install": "post-install hook", "on_exit": "on-exit hook"}


def first_script_lines(lines: list[str], count: int = 3) -> list[str]:
    """The first lines that say what a script does: its leading comments, else its first commands."""
    body = [line for line in lines if line.strip() not in ("", "#") and not line.startswith("#!")]
    return body[:count]


def hook_lines(hook: HookModel) -> list[str]:
    if hook.name == NOOP_DOCUMENT:
        return [f"{SLOT_WORDS[hook.slot]}: {NOOP_DOCUMENT} (does nothing)"]
    if not hook.defined_in_template:
        return [f"{SLOT_WORDS[hook.slot]}: `{hook.name}` (defined outside this template)"]
    lines = [f"{SLOT_WORDS[hook.slot]}: `{hook.name}`"]
    for platform, script in (("Linux", hook.linux), ("Windows", hook.windows)):
        if script:
            preview = " / ".join(line.strip() for line in first_script_lines(script))
            timeout = hook.step_timeouts.get(platform)
            limit = f", step timeout {timeout} s" if timeout else ""
            lines.append(f"   - {platform} ({len(script)} lines{limit}): `{preview}`")
    # The values the document runs with (the deployed document accepts no others); empty ones left out.
    values = [f"{name}=`{value}`" for name, value in sorted(hook.parameters.items()) if value]
    if values:
        lines.append(f"   - values: {', '.join(values)}")
    return lines


def task_lines(task: TaskModel, window: WindowModel, fleet_size: int | None, minutes: int) -> list[str]:
    lines = [
        f"### Task {task.name}",
        "",
        f"- Operation **{task.operation}**, reboot option **{task.reboot_option}**, "
        f"max concurrency {task.max_concurrency}, max errors {task.max_errors}, priority {task.priority}",
    ]
    if fleet_size and task.max_concurrency and not task.max_concurrency.startswith("<"):
        estimate = estimate_rollout(
            fleet_size=fleet_size,
            max_concurrency=task.max_concurrency,
            # A runbook adds its drain, standby and health waits (counted at their timeouts) to every instance.
            minutes_per_instance=minutes + math.ceil(task.off_instance_seconds / 60),
            duration_hours=window.duration,
            cutoff_hours=window.cutoff,
            at_most=CONCURRENT_AUTOMATIONS if task.runbook else None,
        )
        lines.append(f"- Rollout: {estimate.describe()}")
    if task.runbook:
        lines.append(
            f"- Per instance, an Automation runbook (one automation per instance, at most {CONCURRENT_AUTOMATIONS} "
            f"at once per account; up to {math.ceil(task.off_instance_seconds / 60)} min beyond the patch):"
        )
        lines += [f"  - {line}" for line in task.runbook]
    if task.operation == "Scan":
        lines += ["- Lifecycle: scan and report compliance only; no hook runs", ""]
        return lines
    hooks = task.hooks
    steps = [
        ["scan"],
        hook_lines(hooks["pre_install"]),
        ["install approved patches (NoReboot)"],
        hook_lines(hooks["post_install"]),
        ["reboot if needed" if task.reboot_option == "RebootIfNeeded" else "no reboot (NoReboot)"],
        [*hook_lines(hooks["on_exit"]), "   - runs on every path: after failures and without a reboot too"],
    ]
    lines += ["- Lifecycle:"]
    for number, step in enumerate(steps, start=1):
        lines.append(f"  {number}. {step[0]}")
        lines += [f"  {line}" for line in step[1:]]
    return [*lines, ""]


def window_lines(window: WindowModel, after: datetime, count: int, fleet_size: int | None, minutes: int) -> list[str]:
    if window.schedule.startswith("<"):
        schedule = f"- Schedule: `{window.schedule}`: a CloudFormation reference, known at deploy time"
    else:
        schedule = f"- Schedule: `{window.schedule}`: {describe(window.schedule, window.timezone, window.offset)}"
    lines = [f"## Window {window.name}", "", schedule]
    starts = _starts(window, after, count)
    if starts:
        lines.append("- Next starts: " + ", ".join(start.strftime("%a %Y-%m-%d %H:%M %Z") for start in starts))
    lines.append(
        f"- Duration {window.duration} h, cutoff {window.cutoff} h: tasks may start during the first "
        f"{window.duration - window.cutoff} h"
    )
    for target in window.targets:
        lines.append(f"- Targets {target.name}: {target.describe()}")
    lines.append("")
    for task in window.tasks:
        lines += task_lines(task, window, fleet_size, minutes)
    return lines


def _starts(window: WindowModel, after: datetime, count: int, until: datetime | None = None) -> list[datetime]:
    if window.schedule.startswith("<") or window.timezone.startswith("<"):
        return []  # a CloudFormation reference: known at deploy time only
    return next_starts(window.schedule, window.timezone, after, count, window.offset, until)


def baseline_lines(model: StackModel) -> list[str]:
    if not model.baselines:
        return []
    lines = ["## Baselines", "", "| patch group | OS | baseline | approval rules |", "|---|---|---|---|"]
    rows = []
    for baseline in model.baselines:
        groups = baseline.patch_groups or (["(default baseline)"] if baseline.default else ["(none)"])
        for group in groups:
            rules = "; ".join(baseline.rules) or "approved patches only"
            default = " (default)" if baseline.default and baseline.patch_groups else ""
            rows.append(f"| {group} | {baseline.operating_system} | {baseline.name}{default} | {rules} |")
    return [*lines, *sorted(rows), ""]


def gantt_lines(model: StackModel, after: datetime, weeks: int) -> list[str]:
    until = after + timedelta(weeks=weeks)
    lines = [
        f"## Schedule, next {weeks} weeks",
        "",
        "```mermaid",
        "gantt",
        f"    title {model.name} maintenance windows (each in its own time zone)",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %m-%d",
    ]
    for window in sorted(model.windows, key=lambda w: w.name):
        lines.append(f"    section {window.name}")
        for start in _starts(window, after, 200, until):
            lines.append(f"    {start.strftime('%a %H:%M')} : {start.strftime('%Y-%m-%d %H:%M')}, {window.duration}h")
    return [*lines, "```", ""]


def build_plan(
    model: StackModel,
    *,
    after: datetime,
    occurrences: int = 5,
    weeks: int = 4,
    fleet_size: int | None = None,
    minutes_per_instance: int = 30,
) -> str:
    """The Markdown plan of one stack."""
    lines = [
        f"# Patch plan: {model.name}",
        "",
        f"Computed from the synthesized template, for starts after {after.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
    ]
    for window in sorted(model.windows, key=lambda w: w.name):
        lines += window_lines(window, after, occurrences, fleet_size, minutes_per_instance)
    lines += wave_lines(model)
    lines += reporting_lines(model)
    lines += baseline_lines(model)
    lines += gantt_lines(model, after, weeks)
    return "\n".join(lines)


def wave_lines(model: StackModel) -> list[str]:
    """Which window's failure halts which (PatchWaves), and which windows run the halt gate first."""
    if not model.brakes:
        return []
    lines = ["## Waves", ""]
    for brake in model.brakes:
        on = " or ".join(brake.statuses)
        also = ", or any instance's invocation" if len(brake.events) > 1 else ""
        lines.append(
            f"- {brake.failed} ending {on}{also} halts {', '.join(brake.halts)}: record halted, window disabled"
        )
    lines += [
        f"- {window} runs the halt gate first: while its wave is halted, each execution is cancelled"
        for window in model.gated
    ]
    lines.append(f"- resume with `patch-resume --stack {model.name}`")
    return [*lines, ""]


def reporting_lines(model: StackModel) -> list[str]:
    """Where the morning after patch day looks: metrics, alarms, dashboards, alerts, the sync and the queries."""
    reporting = model.reporting
    if not reporting:
        return []
    lines = ["## Reporting", ""]
    sections = (
        ("Hook metrics", reporting.metrics),
        ("Alarms", reporting.alarms),
        ("Alerts", reporting.alerts),
        ("Compliance synced", reporting.syncs),
        ("Athena queries", reporting.queries),
    )
    for title, items in sections:
        if items:
            lines.append(f"- {title}:")
            lines += [f"  - {item}" for item in items]
    if reporting.dashboards:
        lines.append(f"- Dashboards: {reporting.dashboards} (CloudWatch, one per workflow)")
    return [*lines, ""]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly (default cdk.out)")
    parser.add_argument("--stack", help="stack name (default: the assembly's only stack)")
    parser.add_argument("--after", type=moment, help="list starts after this ISO-8601 moment (default: now)")
    parser.add_argument(
        "--occurrences", type=bounded_int(1, 100), default=5, help="start times listed per window, 1-100 (default 5)"
    )
    parser.add_argument("--weeks", type=bounded_int(1, 104), default=4, help="weeks in the gantt chart (default 4)")
    parser.add_argument(
        "--fleet-size", type=bounded_int(1, 1_000_000), help="instances per task, for the rollout estimate"
    )
    parser.add_argument(
        "--minutes-per-instance",
        type=bounded_int(1, 24 * 60),
        default=30,
        help="patch time per instance, 1-1440 (default 30)",
    )
    parser.add_argument("--output", type=Path, help="write the Markdown here (default: standard output)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, out: TextIO) -> int:
    after = args.after or datetime.now(UTC)  # a report, not a synth: the clock is fine here
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    name, template = load_template(args.assembly, args.stack)
    plan = build_plan(
        read_stack(name, template),
        after=after,
        occurrences=args.occurrences,
        weeks=args.weeks,
        fleet_size=args.fleet_size,
        minutes_per_instance=args.minutes_per_instance,
    )
    if args.output:
        write_output(args.output, plan)
        out.write(f"wrote {args.output}\n")
    else:
        out.write(plan)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-plan command."""
    return run_command("patch-plan", lambda: run(parse_args(argv), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
