"""The systemd path of the stop and start hooks: "stopped" only with positive evidence, a start that fails
or a manager that hangs is a FAILED line.

systemd is a stand-in ``systemctl`` first on PATH, driving the real demo service: ``show`` answers
LoadState and ActiveState from a state file, ``stop --no-block`` moves the unit through deactivating to
inactive as the service exits (or leaves it deactivating, or fails like a missing bus, or hangs), and
``start`` launches the demo service (or fails as a unit whose ExecStart exits). Each test checks
the exit status, the hook's last line, and the app's true state afterwards.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.hook_scripts.harness import DemoService, listener, port_open, run_hook

STANDIN = textwrap.dedent(
    """\
    #!/usr/bin/env bash
    # A stand-in systemctl for one unit: state in $DIR/state, behaviour in $DIR/mode, the app's pid in $DIR/pid.
    DIR="$(dirname "$0")"
    mode="$(cat "$DIR/mode")"
    case "$mode" in
      no-bus) echo "Failed to connect to bus: No such file or directory" >&2; exit 1 ;;
      hang) sleep 60 ;;
    esac
    case "$1" in
      start)
        if [ "$mode" = start-fails ]; then
          echo failed >"$DIR/state"
          echo "Job for demo-app.service failed because the control process exited with error code." >&2; exit 1
        fi
        setsid $(cat "$DIR/command") >/dev/null 2>&1 </dev/null & echo $! >"$DIR/pid"
        echo active >"$DIR/state" ;;
      show)
        if [ "$mode" = not-found ]; then echo "LoadState=not-found"; echo "ActiveState=inactive"; exit 0; fi
        echo "LoadState=loaded"; echo "ActiveState=$(cat "$DIR/state")" ;;
      is-active) [ "$(cat "$DIR/state")" = active ] ;;
      stop)
        echo deactivating >"$DIR/state"
        [ "$mode" = stuck ] && exit 0
        pid="$(cat "$DIR/pid")"
        kill -TERM "$pid" 2>/dev/null
        ( while kill -0 "$pid" 2>/dev/null && [ "$(sed 's/^.*) //' /proc/"$pid"/stat | cut -c1)" != Z ]; do
            sleep 0.05; done; echo inactive >"$DIR/state" ) >/dev/null 2>&1 &
        ;;
      kill) kill -KILL "$(cat "$DIR/pid")"; echo failed >"$DIR/state" ;;
      *) echo "stand-in systemctl: unsupported $*" >&2; exit 2 ;;
    esac
    """
)


class Systemd:
    """The stand-in's folder: put it first on PATH; set its mode and the unit's state."""

    def __init__(self, folder: Path, service: DemoService) -> None:
        self.folder = folder
        self.service = service
        folder.mkdir()
        command = folder / "systemctl"
        command.write_text(STANDIN)
        command.chmod(0o755)
        self.set(mode="normal", state="inactive")

    def set(self, *, mode: str | None = None, state: str | None = None) -> None:
        if mode is not None:
            (self.folder / "mode").write_text(mode)
        if state is not None:
            (self.folder / "state").write_text(state)

    def expect_start(self) -> None:
        """The unit's ExecStart: the demo service, started by the stand-in's ``start``."""
        (self.folder / "command").write_text(self.service.start_command)

    def start_app(self) -> None:
        self.service.start_directly()
        (self.folder / "pid").write_text(str(self.service.pid()))
        self.set(state="active")

    @property
    def ssm(self) -> dict[str, str]:
        return {"LinuxServiceName": "demo-app", "ServiceManager": "service", "Port": str(self.service.port)}


@pytest.fixture
def systemd(tmp_path: Path, service: DemoService) -> Systemd:
    return Systemd(tmp_path / "bin", service)


def test_systemd_stop_waits_for_inactive_and_the_closed_port(systemd: Systemd, tmp_path: Path) -> None:
    systemd.start_app()
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 0, run.stdout
    port = systemd.service.port
    assert re.search(
        rf"demo-app stopped after \d+ s \(verified: systemd ActiveState=inactive, port {port} closed\)$", run.last_log
    )
    assert not systemd.service.running()
    assert not port_open(port)


def test_systemd_already_inactive_with_the_port_closed_is_stopped(systemd: Systemd, tmp_path: Path) -> None:
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 0
    assert run.last_log.endswith(
        f"demo-app is already stopped (verified: systemd ActiveState=inactive, port {systemd.service.port} closed)"
    )


def test_a_manager_that_cannot_answer_is_a_failure_never_stopped(systemd: Systemd, tmp_path: Path) -> None:
    systemd.start_app()
    systemd.set(mode="no-bus")
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 1
    assert run.last_log.endswith(
        "FAILED: cannot tell whether demo-app runs: systemctl failed (exit 1): Failed to connect to bus: "
        f"No such file or directory, port {systemd.service.port} open"
    )
    assert systemd.service.running()


def test_a_mistyped_unit_is_a_failure_never_stopped(systemd: Systemd, tmp_path: Path) -> None:
    systemd.start_app()
    systemd.set(mode="not-found")
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 1
    assert (
        "FAILED: cannot tell whether demo-app runs: unit demo-app is not loaded (LoadState=not-found)" in run.last_log
    )
    assert systemd.service.running()


def test_a_unit_stuck_deactivating_is_not_stopped(systemd: Systemd, tmp_path: Path) -> None:
    systemd.start_app()
    systemd.set(mode="stuck")
    run = run_hook(
        "stop_app_gracefully", {**systemd.ssm, "StopTimeoutSeconds": "1"}, tmp_path, path_first=systemd.folder
    )
    assert run.status == 1
    assert 1 <= run.seconds < 8
    assert run.last_log.endswith(
        f"FAILED: demo-app did not stop within 1s (last seen: systemd ActiveState=deactivating, port "
        f"{systemd.service.port} open); set EscalateToKill=true to force it"
    )
    assert systemd.service.running()


def test_inactive_but_the_port_still_open_is_not_stopped(systemd: Systemd, tmp_path: Path) -> None:
    # The manager says inactive, yet something answers on the app's port: not proof of a stopped app.
    with listener(systemd.service.port):
        run = run_hook(
            "stop_app_gracefully", {**systemd.ssm, "StopTimeoutSeconds": "1"}, tmp_path, path_first=systemd.folder
        )
    assert run.status == 1
    assert run.last_log.endswith(
        f"FAILED: demo-app did not stop within 1s (last seen: systemd ActiveState=inactive, port "
        f"{systemd.service.port} open); set EscalateToKill=true to force it"
    )


def test_the_port_check_is_what_holds_the_stop_back(systemd: Systemd, tmp_path: Path) -> None:
    # Without Port the same inactive unit counts as stopped: the port, when given, is checked.
    with listener(systemd.service.port):
        ssm = {key: value for key, value in systemd.ssm.items() if key != "Port"}
        run = run_hook("stop_app_gracefully", ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 0
    assert run.last_log.endswith("demo-app is already stopped (verified: systemd ActiveState=inactive)")


def test_a_manager_that_hangs_is_a_failure_after_its_own_limit(systemd: Systemd, tmp_path: Path) -> None:
    systemd.start_app()
    systemd.set(mode="hang")
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 1
    assert 10 <= run.seconds < 20  # systemctl is given 10 s
    assert run.last_log.endswith(
        f"FAILED: cannot tell whether demo-app runs: systemctl did not answer within 10s, port {systemd.service.port} open"
    )
    assert systemd.service.running()


def health(systemd: Systemd) -> dict[str, str]:
    return {**systemd.ssm, "HealthUrl": f"http://127.0.0.1:{systemd.service.port}/health"}


def test_systemd_start_then_health(systemd: Systemd, tmp_path: Path) -> None:
    systemd.expect_start()
    run = run_hook("start_app_and_verify", health(systemd), tmp_path, path_first=systemd.folder)
    assert run.status == 0, run.stdout
    assert "starting demo-app (systemd ActiveState=inactive)" in run.stdout
    assert re.search(r"demo-app is healthy after \d+ s \(systemd ActiveState=active; HTTP 200\)$", run.last_log)
    assert port_open(systemd.service.port)
    systemd.service.pid_file.parent.mkdir(mode=0o700, exist_ok=True)
    (systemd.service.pid_file).write_text((systemd.folder / "pid").read_text())  # so the fixture stops it


def test_a_failing_systemctl_start_fails_the_hook_with_its_message(systemd: Systemd, tmp_path: Path) -> None:
    systemd.expect_start()
    systemd.set(mode="start-fails")
    run = run_hook("start_app_and_verify", health(systemd), tmp_path, path_first=systemd.folder)
    assert run.status == 1
    assert run.last_log.endswith(
        "FAILED: systemctl start demo-app failed (exit 1): Job for demo-app.service failed because the control "
        "process exited with error code."
    )
    assert not port_open(systemd.service.port)


def test_a_start_hook_that_cannot_ask_the_manager_starts_nothing(systemd: Systemd, tmp_path: Path) -> None:
    systemd.expect_start()
    systemd.set(mode="no-bus")
    run = run_hook("start_app_and_verify", health(systemd), tmp_path, path_first=systemd.folder)
    assert run.status == 1
    assert run.last_log.endswith(
        "FAILED: cannot tell whether demo-app runs: systemctl failed (exit 1): Failed to connect to bus: "
        "No such file or directory"
    )
    assert not port_open(systemd.service.port)


def test_a_unit_already_deactivating_is_waited_for_not_refused(systemd: Systemd, tmp_path: Path) -> None:
    # Someone else is stopping the app: deactivating is running, so the hook asks too and waits for inactive.
    systemd.start_app()
    systemd.set(state="deactivating")
    run = run_hook("stop_app_gracefully", systemd.ssm, tmp_path, path_first=systemd.folder)
    assert run.status == 0, run.stdout
    assert "stopping demo-app (up to 60s)" in run.stdout
    assert re.search(r"stopped after \d+ s \(verified: systemd ActiveState=inactive, port \d+ closed\)$", run.last_log)
    assert not systemd.service.running()
