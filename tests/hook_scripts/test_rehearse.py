"""patch-rehearse: the default app's task rehearsed in every scenario with the real scripts and a real
service, plus hand-made assemblies for Scan, NoReboot, timeouts and external documents."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack

from constructs_lib import (
    HookDocument,
    HookScript,
    LifecycleHooks,
    PatchOperation,
    PatchWorkflow,
    RebootOption,
    WindowSchedule,
)
from constructs_lib.cli.assembly import AssemblyError
from constructs_lib.cli.rehearse import RehearsalError, parse_args, run
from examples.demo.rehearse import reboot_command
from examples.demo.stack import PatchingDemoStack
from tests.builders import synth_assembly
from tests.hook_scripts.harness import DemoService, free_port

ALL_STEPS = [
    "Scan",
    "CheckPatchState",
    "PreInstallHook",
    "InstallWithNoReboot",
    "PostInstallHook",
    "CheckReboot",
    "RebootAndReport",
    "OnExitHook",
]
SKIPPED = "skipped (reported as Success, as AWS does)"


@pytest.fixture(scope="module")
def demo_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_assembly(tmp_path_factory.mktemp("demo"), lambda app: PatchingDemoStack(app, "PatchingDemo"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[DemoService]:
    demo = DemoService(port=free_port(), run_dir=tmp_path / "run")
    demo.start_directly()
    yield demo
    demo.kill()


def rehearse_json(assembly: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    status = run(parse_args(["--assembly", str(assembly), "--json", *extra]), out)
    report: dict[str, Any] = json.loads(out.getvalue())
    return status, report


def demo_args(service: DemoService, scenario: str, *extra: str) -> list[str]:
    overrides = {
        **service.ssm,
        "HealthUrl": f"http://127.0.0.1:{service.port}/health",
        "Port": str(service.port),
        "DrainSeconds": "0",
        "StopTimeoutSeconds": "10",
    }
    return [
        "--stack",
        "PatchingDemo",
        "--task",
        "PatchingTask",
        "--scenario",
        scenario,
        "--reboot-command",
        reboot_command(service.pid_file, service.port),
        "--run-dir",
        str(service.run_dir),
        *[f"--param={name}={value}" for name, value in overrides.items()],
        *extra,
    ]


def statuses(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(step["name"], step["status"]) for step in report["steps"]]


def notes(report: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["note"] for step in report["steps"]}


def test_patches_installed_runs_every_step_and_reboots(demo_assembly: Path, service: DemoService) -> None:
    status, report = rehearse_json(demo_assembly, *demo_args(service, "patches-installed"))
    assert status == 0
    assert {key: report[key] for key in ("task", "operation", "reboot_option", "scenario", "result")} == {
        "task": "PatchingTask",
        "operation": "Install",
        "reboot_option": "RebootIfNeeded",
        "scenario": "patches-installed",
        "result": "Success",
    }
    assert statuses(report) == [(name, "Success") for name in ALL_STEPS]
    assert SKIPPED not in notes(report).values()
    assert notes(report)["RebootAndReport"].startswith("simulated reboot: ran kill")
    assert set(report["steps"][0]) >= {"name", "status", "exit_code", "duration_s"}
    assert service.running()  # the reboot stopped it; on-exit started it again


def test_nothing_missing_jumps_to_on_exit(demo_assembly: Path, service: DemoService) -> None:
    status, report = rehearse_json(demo_assembly, *demo_args(service, "nothing-missing"))
    assert status == 0
    assert notes(report)["CheckPatchState"] == "nothing to install: jump to on-exit"
    for name in ALL_STEPS[2:7]:
        assert notes(report)[name] == SKIPPED
    assert report["steps"][-1]["exit_code"] == 0  # on-exit ran: already running and healthy


def test_reboot_pending_goes_through_the_hooks_and_reboots(demo_assembly: Path, service: DemoService) -> None:
    status, report = rehearse_json(demo_assembly, *demo_args(service, "reboot-pending"))
    assert status == 0
    assert notes(report)["InstallWithNoReboot"] == "simulated: nothing to install"
    assert notes(report)["CheckReboot"] == "reboot needed"
    assert service.running()


def test_install_fails_jumps_to_on_exit_and_fails(demo_assembly: Path, service: DemoService) -> None:
    status, report = rehearse_json(demo_assembly, *demo_args(service, "install-fails"))
    assert status == 1
    assert report["result"] == "Failed"
    assert statuses(report)[3] == ("InstallWithNoReboot", "Failed")
    assert [notes(report)[name] for name in ("PostInstallHook", "CheckReboot", "RebootAndReport")] == [SKIPPED] * 3
    assert statuses(report)[-1] == ("OnExitHook", "Success")
    assert service.running()


def test_failing_pre_install_installs_nothing_and_on_exit_restores_the_service(
    demo_assembly: Path, service: DemoService
) -> None:
    # The drain step fails, so the app is never stopped and nothing is installed.
    status, report = rehearse_json(
        demo_assembly, *demo_args(service, "patches-installed", "--param=LinuxDrainCommand=false")
    )
    assert status == 1
    assert report["result"] == "Failed"
    assert statuses(report)[2] == ("PreInstallHook", "Failed")
    assert report["steps"][2]["exit_code"] == 1
    assert notes(report)["InstallWithNoReboot"] == SKIPPED
    assert statuses(report)[-1] == ("OnExitHook", "Success")
    assert service.running()


def test_table_output(demo_assembly: Path, service: DemoService) -> None:
    out = io.StringIO()
    assert run(parse_args(["--assembly", str(demo_assembly), *demo_args(service, "nothing-missing")]), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "Rehearsal of PatchingTask, scenario nothing-missing"
    assert lines[1].split() == ["step", "status", "exit", "seconds", "last", "output"]
    assert lines[-2].split()[:2] == ["OnExitHook", "Success"]
    assert "already running and healthy" in lines[-2]
    assert lines[-1] == "Result: Success"


def test_scan_runs_no_hook(demo_assembly: Path) -> None:
    status, report = rehearse_json(demo_assembly, "--stack", "PatchingDemo", "--task", "ScanTask")
    assert status == 0
    assert report["operation"] == "Scan"
    assert notes(report)["CheckPatchState"] == "Operation Scan: the run ends here"
    assert all(step["exit_code"] is None for step in report["steps"][2:])  # nothing ran, on-exit included
    assert notes(report)["OnExitHook"] == SKIPPED


def hooked_stack(
    app: App,
    *,
    reboot_option: RebootOption = RebootOption.REBOOT_IF_NEEDED,
    pre_install: str = "echo stopping",
    timeout: Duration | None = None,
    shared_post_install: bool = False,
) -> Stack:
    stack = Stack(app, "Rehearsal")
    pre = HookDocument(stack, "Pre", linux=HookScript.inline(pre_install), timeout=timeout)
    on_exit = HookDocument(stack, "OnExit", linux=HookScript.inline("echo on-exit ran"))
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(2),
        patch_groups=["web"],
        reboot_option=reboot_option,
        hooks=LifecycleHooks(
            pre_install=pre,
            post_install=HookDocument.from_document_name(
                stack,
                "Shared",
                "arn:aws:ssm:us-east-1:111122223333:document/Shared" if shared_post_install else "AWS-Noop",
            ),
            on_exit=on_exit,
        ),
    )
    return stack


def test_no_reboot_means_no_reboot_step(tmp_path: Path) -> None:
    assembly = synth_assembly(tmp_path, lambda app: hooked_stack(app, reboot_option=RebootOption.NO_REBOOT))
    status, report = rehearse_json(assembly, "--scenario", "patches-installed")
    assert status == 0
    assert notes(report)["PostInstallHook"] == "AWS-Noop: nothing to run"
    assert notes(report)["CheckReboot"] == "no reboot (NoReboot)"
    assert notes(report)["RebootAndReport"] == SKIPPED
    assert report["steps"][-1]["status"] == "Success"


def test_an_external_document_is_reported_not_rehearsable(tmp_path: Path) -> None:
    assembly = synth_assembly(tmp_path, lambda app: hooked_stack(app, shared_post_install=True))
    status, report = rehearse_json(assembly, "--scenario", "patches-installed")
    assert status == 1
    assert statuses(report)[4] == ("PostInstallHook", "NotRehearsable")
    assert "external document arn:aws:ssm:us-east-1:111122223333:document/Shared" in notes(report)["PostInstallHook"]
    assert statuses(report)[-1] == ("OnExitHook", "Success")


def test_a_hook_past_its_timeout_is_stopped_and_reported_timed_out(tmp_path: Path) -> None:
    assembly = synth_assembly(
        tmp_path, lambda app: hooked_stack(app, pre_install="echo started\nsleep 30", timeout=Duration.seconds(1))
    )
    status, report = rehearse_json(assembly, "--scenario", "patches-installed")
    pre = report["steps"][2]
    assert (pre["name"], pre["status"], pre["exit_code"]) == ("PreInstallHook", "TimedOut", None)
    assert 1 <= pre["duration_s"] < 5
    assert notes(report)["InstallWithNoReboot"] == SKIPPED
    assert statuses(report)[-1] == ("OnExitHook", "Success")
    assert status == 1


def test_parameters_are_checked_against_allowed_patterns(demo_assembly: Path) -> None:
    with pytest.raises(RehearsalError, match=r"Port='eighty' does not match the hook's rule \^\$\|"):
        rehearse_json(demo_assembly, "--stack", "PatchingDemo", "--task", "PatchingTask", "--param=Port=eighty")
    with pytest.raises(RehearsalError, match=r"--param Colour: no hook of the task declares it"):
        rehearse_json(demo_assembly, "--stack", "PatchingDemo", "--task", "PatchingTask", "--param=Colour=red")


def test_the_only_hooked_install_task_is_the_default(demo_assembly: Path, service: DemoService) -> None:
    # The default app has a scan task beside the patch task: the scan task is no patch run.
    args = [a for a in demo_args(service, "nothing-missing") if a not in ("--task", "PatchingTask")]
    status, report = rehearse_json(demo_assembly, *args)
    assert (status, report["task"]) == (0, "PatchingTask")


def test_the_task_must_be_named_when_several_are_hooked_install_tasks(tmp_path: Path) -> None:
    def two_hooked(app: App) -> None:
        stack = hooked_stack(app)
        PatchWorkflow(
            stack,
            "Api",
            schedule=WindowSchedule.cron("0 4 ? * SUN *"),
            duration=Duration.hours(2),
            patch_groups=["api"],
            hooks=LifecycleHooks(on_exit=HookDocument(stack, "ApiExit", linux=HookScript.inline("echo ok"))),
            task_name="ApiPatch",
        )

    assembly = synth_assembly(tmp_path, two_hooked)
    with pytest.raises(
        AssemblyError,
        match=r"more than one task and 2 hooked Install tasks; pick one with --task \(tasks: ApiPatch, Web-Patch\)",
    ):
        rehearse_json(assembly, "--stack", "Rehearsal")


def test_start_hook_without_linux_step_is_not_rehearsable(tmp_path: Path) -> None:
    def build(app: App) -> None:
        stack = Stack(app, "WindowsOnly")
        hook = HookDocument(stack, "Win", windows=HookScript.inline("Write-Output hi"))
        PatchWorkflow(
            stack,
            "Web",
            schedule=WindowSchedule.rate(Duration.days(1)),
            duration=Duration.hours(1),
            patch_groups=["web"],
            operation=PatchOperation.INSTALL,
            hooks=LifecycleHooks(on_exit=hook),
        )

    status, report = rehearse_json(synth_assembly(tmp_path, build), "--scenario", "nothing-missing")
    assert statuses(report)[-1] == ("OnExitHook", "NotRehearsable")
    assert status == 1
