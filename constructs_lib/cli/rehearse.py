"""patch-rehearse: rehearse a synthesized AWS-RunPatchBaselineWithHooks task on this machine.

Reads a template from a cloud assembly (cdk.out), picks the hooked patch task, and walks the
documented lifecycle the way the document does: scan, the state checks, pre-install hook, install
with NoReboot, post-install hook, the reboot decision and reboot, on-exit hook. The hook documents'
Linux steps run for real, as SSM Agent runs them: parameters exported as SSM_<Name> from their
defaults (or --param overrides, checked against allowedPattern but not allowedValues: a rehearsal may
point the hooks at a local stand-in, a deployed document runs only with its own values), runCommand written
to a script and
run with bash in a scratch folder, each step's timeoutSeconds enforced. Patching and rebooting are
simulated by a host whose outcome --scenario chooses.

    patch-rehearse --stack PatchingDemo --task PatchingTask --scenario patches-installed [--json]

Exit status 0 only when the rehearsed run ends in Success.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from .._internal.constants import HOOK_PARAMETERS, NOOP_DOCUMENT, PATCH_DOCUMENT
from .._internal.rules import hook_parameter_pattern
from .assembly import choose_task, load_template, patch_parameters, patch_runbook
from .command import CommandError, run_command
from .rehearse_runbook import RunbookRehearsal, rehearse_runbook

# The document's eight steps, in order (named here; AWS's own step names are not published).
STEPS = (
    "Scan",
    "CheckPatchState",
    "PreInstallHook",
    "InstallWithNoReboot",
    "PostInstallHook",
    "CheckReboot",
    "RebootAndReport",
    "OnExitHook",
)


class Scenario(StrEnum):
    """What the simulated host finds and does when it patches."""

    NOTHING_MISSING = "nothing-missing"
    PATCHES_INSTALLED = "patches-installed"
    REBOOT_PENDING = "reboot-pending"
    INSTALL_FAILS = "install-fails"
    # Patched, but the load balancer's health check fails afterwards (PatchRunbook tasks only).
    APP_UNHEALTHY = "app-unhealthy-after-patch"


class Status(StrEnum):
    SUCCESS = "Success"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    NOT_REHEARSABLE = "NotRehearsable"


class RehearsalError(CommandError):
    """A problem with the template, the task or the arguments, reported as one line."""


@dataclass
class StepResult:
    name: str
    status: Status
    exit_code: int | None = None
    duration_s: float = 0.0
    note: str = ""
    output: str = ""

    @property
    def last_line(self) -> str:
        lines = [line for line in self.output.splitlines() if line.strip()]
        return lines[-1] if lines else self.note


@dataclass
class Hook:
    """A hook document as the rehearsal runs it: its Linux step, parameters and timeout, or why it can't."""

    name: str
    commands: list[str] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 3600
    not_rehearsable: str = ""


class SimulatedHost:
    """The patching side of the run: what the scan finds, whether install works, what a reboot does."""

    def __init__(self, scenario: Scenario, reboot_command: str | None = None) -> None:
        self.scenario = scenario
        self.reboot_command = reboot_command
        self.installed = False

    def scan(self) -> tuple[bool, bool]:
        """(patches missing, reboot pending)."""
        return {
            Scenario.NOTHING_MISSING: (False, False),
            Scenario.PATCHES_INSTALLED: (True, False),
            Scenario.REBOOT_PENDING: (False, True),
            Scenario.INSTALL_FAILS: (True, False),
            Scenario.APP_UNHEALTHY: (True, False),
        }[self.scenario]

    def install(self) -> tuple[bool, str]:
        if self.scenario is Scenario.INSTALL_FAILS:
            return False, "simulated: a package failed to install"
        missing, _ = self.scan()
        self.installed = missing
        return True, "simulated: approved patches installed" if missing else "simulated: nothing to install"

    def reboot(self) -> str:
        if self.reboot_command:
            subprocess.run(["bash", "-c", self.reboot_command], check=False, capture_output=True, timeout=60)
            return f"simulated reboot: ran {self.reboot_command}"
        return "simulated reboot"


def resolve_hook(resources: dict[str, Any], reference: Any, overrides: dict[str, str]) -> Hook:
    """The hook a task parameter names: a document of the template, AWS-Noop, or an external one."""
    if reference == NOOP_DOCUMENT:
        return Hook(NOOP_DOCUMENT, commands=[])
    if isinstance(reference, dict) and "Ref" in reference:
        resource = resources.get(reference["Ref"], {})
        if resource.get("Type") == "AWS::SSM::Document":
            return _hook_from_document(reference["Ref"], resource["Properties"], overrides)
    name = reference if isinstance(reference, str) else json.dumps(reference)
    return Hook(name, not_rehearsable=f"external document {name} is not in the template")


def _hook_from_document(logical_id: str, props: dict[str, Any], overrides: dict[str, str]) -> Hook:
    content = props["Content"]
    name = props.get("Name", logical_id)
    declared = content.get("parameters", {})
    parameters = {}
    for parameter, spec in declared.items():
        value = overrides.get(parameter, spec.get("default", ""))
        pattern = spec.get("allowedPattern")
        if parameter in overrides:
            # The app hooks' documents accept only their own values; an override is checked against what
            # the parameter may be at all.
            pattern = hook_parameter_pattern(parameter) or pattern
        if pattern and not re.fullmatch(pattern, value):
            what = "its allowedPattern" if pattern == spec.get("allowedPattern") else "the hook's rule"
            raise RehearsalError(f"{name}: {parameter}={value!r} does not match {what} {pattern}")
        parameters[parameter] = value
    for step in content.get("mainSteps", []):
        if step.get("action") == "aws:runShellScript" and step.get("precondition", {}).get(
            "StringEquals", ["platformType", "Linux"]
        ) == ["platformType", "Linux"]:
            inputs = step["inputs"]
            return Hook(
                name,
                commands=list(inputs["runCommand"]),
                parameters=parameters,
                timeout_seconds=int(inputs.get("timeoutSeconds", 3600)),
            )
    return Hook(name, not_rehearsable=f"{name} has no Linux step")


def run_hook(step_name: str, hook: Hook, scratch: Path, run_dir: Path | None = None) -> StepResult:
    """Run a hook's Linux step as SSM Agent does: a script file, SSM_<Name> variables, a hard timeout.

    ``run_dir`` is the hooks' run folder (PATCH_HOOKS_RUN_DIR). Default: <scratch>/run.
    """
    if hook.not_rehearsable:
        return StepResult(step_name, Status.NOT_REHEARSABLE, note=f"not rehearsable: {hook.not_rehearsable}")
    if not hook.commands:
        return StepResult(step_name, Status.SUCCESS, 0, note=f"{hook.name}: nothing to run")
    workdir = scratch / step_name
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "_script.sh"
    script.write_text("\n".join(hook.commands) + "\n")
    script.chmod(0o700)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SSM_")}
    env.update({f"SSM_{name}": value for name, value in hook.parameters.items()})
    env["PATCH_HOOKS_RUN_DIR"] = str(run_dir or scratch / "run")
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", str(script)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=hook.timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return StepResult(
            step_name,
            Status.TIMED_OUT,
            None,
            time.monotonic() - started,
            f"{hook.name} stopped after its timeoutSeconds of {hook.timeout_seconds}",
            output,
        )
    status = Status.SUCCESS if process.returncode == 0 else Status.FAILED
    return StepResult(step_name, status, process.returncode, time.monotonic() - started, hook.name, output)


def _skipped(name: str) -> StepResult:
    # AWS reports the steps a run jumps over as successful.
    return StepResult(name, Status.SUCCESS, note="skipped (reported as Success, as AWS does)")


def rehearse(
    hooks: dict[str, Hook],
    operation: str,
    reboot_option: str,
    host: SimulatedHost,
    scratch: Path,
    run_dir: Path | None = None,
) -> list[StepResult]:
    """Walk the eight documented steps; a failing hook or install jumps straight to on-exit.

    ``run_dir``: the hooks' run folder, kept between rehearsals. Default: one in ``scratch``, gone after it.
    """
    done: dict[str, StepResult] = {}

    def record(step: StepResult) -> bool:
        done[step.name] = step
        return step.status is Status.SUCCESS

    missing, pending = host.scan()
    found = f"{'patches missing' if missing else 'nothing missing'}{', reboot pending' if pending else ''}"
    record(StepResult("Scan", Status.SUCCESS, 0, note=f"simulated: {found}"))
    if operation == "Scan":
        record(StepResult("CheckPatchState", Status.SUCCESS, 0, note="Operation Scan: the run ends here"))
        return [done.get(name) or _skipped(name) for name in STEPS]
    nothing_to_do = not missing and (not pending or reboot_option == "NoReboot")
    record(
        StepResult(
            "CheckPatchState",
            Status.SUCCESS,
            0,
            note="nothing to install: jump to on-exit" if nothing_to_do else "install",
        )
    )
    if (
        not nothing_to_do
        and record(run_hook("PreInstallHook", hooks["pre_install"], scratch, run_dir))
        and record(_install(host))
        and record(run_hook("PostInstallHook", hooks["post_install"], scratch, run_dir))
    ):
        reboot = reboot_option == "RebootIfNeeded" and (host.installed or pending)
        record(
            StepResult(
                "CheckReboot", Status.SUCCESS, 0, note="reboot needed" if reboot else f"no reboot ({reboot_option})"
            )
        )
        if reboot:
            record(StepResult("RebootAndReport", Status.SUCCESS, 0, note=host.reboot()))
    record(run_hook("OnExitHook", hooks["on_exit"], scratch, run_dir))
    return [done.get(name) or _skipped(name) for name in STEPS]


def _install(host: SimulatedHost) -> StepResult:
    ok, note = host.install()
    return StepResult("InstallWithNoReboot", Status.SUCCESS if ok else Status.FAILED, 0 if ok else 1, note=note)


def result_of(steps: Sequence[StepResult]) -> str:
    return "Success" if all(step.status is Status.SUCCESS for step in steps) else "Failed"


def write_table(task: str, scenario: Scenario, steps: Sequence[StepResult], out: TextIO) -> None:
    out.write(f"Rehearsal of {task}, scenario {scenario.value}\n")
    out.write(f"{'step':<20} {'status':<15} {'exit':>4} {'seconds':>8}  last output\n")
    for step in steps:
        exit_code = "" if step.exit_code is None else str(step.exit_code)
        out.write(
            f"{step.name:<20} {step.status.value:<15} {exit_code:>4} {step.duration_s:>8.1f}  {step.last_line[:100]}\n"
        )
    out.write(f"Result: {result_of(steps)}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly (default cdk.out)")
    parser.add_argument("--stack", help="stack name (default: the assembly's only stack)")
    parser.add_argument("--task", help="task name or logical id (default: the only hooked task)")
    parser.add_argument("--scenario", type=Scenario, choices=list(Scenario), default=Scenario.PATCHES_INSTALLED)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a hook parameter's default (repeatable)",
    )
    parser.add_argument("--reboot-command", help="run this (bash) to simulate the reboot, e.g. stop the app")
    parser.add_argument(
        "--run-dir",
        type=Path,
        help="the hooks' run folder (pid records, locks), kept between rehearsals "
        "(default: $PATCH_HOOKS_RUN_DIR, else a scratch folder removed afterwards)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, out: TextIO) -> int:
    overrides = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise RehearsalError(f"--param takes NAME=VALUE; got {item!r}")
        overrides[name] = value
    resources = load_template(args.assembly, args.stack)[1].get("Resources", {})
    logical_id, task = choose_task(resources, args.task, runbooks=True)
    runbook = patch_runbook(resources, task)
    if runbook is None and args.scenario is Scenario.APP_UNHEALTHY:
        raise RehearsalError(
            f"--scenario {Scenario.APP_UNHEALTHY.value} needs a task that puts instances back in a load balancer "
            "(PatchWorkflow load_balancer=...); this task runs Run Command alone"
        )
    parameters = patch_parameters(resources, task)
    hooks = {
        slot: resolve_hook(resources, _first(parameters.get(key, [NOOP_DOCUMENT])), overrides)
        for slot, key in HOOK_PARAMETERS
    }
    declared = {name for hook in hooks.values() for name in hook.parameters}
    unknown = sorted(set(overrides) - declared)
    if unknown:
        raise RehearsalError(
            f"--param {', '.join(unknown)}: no hook of the task declares it; "
            f"declared: {', '.join(sorted(declared)) or 'none'}"
        )
    operation, reboot_option = (
        _first(parameters["Operation"]),
        _first(parameters.get("RebootOption", ["RebootIfNeeded"])),
    )
    host = SimulatedHost(args.scenario, args.reboot_command)
    run_dir = args.run_dir or (Path(os.environ["PATCH_HOOKS_RUN_DIR"]) if "PATCH_HOOKS_RUN_DIR" in os.environ else None)
    steps: list[StepResult] = []

    def run_patch(_: Any = None) -> tuple[str, str]:
        with tempfile.TemporaryDirectory(prefix="patch-rehearse-") as scratch:
            steps.extend(rehearse(hooks, operation, reboot_option, host, Path(scratch), run_dir))
        return result_of(steps), f"{PATCH_DOCUMENT}: {result_of(steps)}"

    task_name = task.get("Name", logical_id)
    if runbook is None:
        run_patch()
        result = result_of(steps)
        rehearsed: RunbookRehearsal | None = None
    else:
        rehearsed = rehearse_runbook(
            resources,
            runbook,
            run_patch,
            # The target groups see what the hooks left: an app whose on-exit hook failed is not healthy.
            healthy_after=lambda: args.scenario is not Scenario.APP_UNHEALTHY and _app_restarted(steps),
        )
        result = rehearsed.run.status
    if args.json:
        report: dict[str, Any] = {
            "task": task_name,
            "operation": operation,
            "reboot_option": reboot_option,
            "scenario": args.scenario.value,
            "steps": [{key: value for key, value in asdict(step).items() if key != "output"} for step in steps],
            "result": result,
        }
        if rehearsed is not None:
            report["runbook"] = [asdict(step) for step in rehearsed.run.steps]
            report["calls"] = [f"{call.service} {call.method}" for call in rehearsed.calls]
            report["notifications"] = rehearsed.published
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        if rehearsed is not None:
            write_runbook_table(task_name, args.scenario, rehearsed, out)
        write_table(task_name, args.scenario, steps, out)
        if rehearsed is not None:
            out.write(f"Runbook result: {result}\n")
    return 0 if result == "Success" else 1


def _app_restarted(steps: list[StepResult]) -> bool:
    """The on-exit hook (start the app and verify it) succeeded, or there is none to say otherwise."""
    on_exit = [step for step in steps if step.name == "OnExitHook"]
    return all(step.status == "Success" for step in on_exit)


def write_runbook_table(task: str, scenario: Scenario, rehearsed: RunbookRehearsal, out: TextIO) -> None:
    out.write(f"Rehearsal of runbook task {task}, scenario {scenario.value}: one instance, AWS calls stubbed\n")
    out.write(f"{'runbook step':<22} {'status':<15} note\n")
    for step in rehearsed.run.steps:
        out.write(f"{step.name:<22} {step.status:<15} {step.note[:110]}\n")
    for message in rehearsed.published:
        out.write(f"Notification: {message.get('Subject')}: {message.get('Message')}\n")
    out.write("\n")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-rehearse command."""
    return run_command("patch-rehearse", lambda: run(parse_args(argv), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
