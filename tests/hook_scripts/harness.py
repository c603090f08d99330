"""Run the Linux hook scripts as SSM Agent would run them, against a real local service."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from constructs_lib import HookScript
from examples.demo.rehearse import free_port, launch, service_command

__all__ = ["DemoService", "HookRun", "free_port", "hook_env", "listener", "port_open", "run_hook", "wait_for"]

LOG_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z (stop_app_gracefully|update_app|start_app_and_verify): .+$"
)


@dataclass
class HookRun:
    status: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def log_lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if LOG_LINE.match(line)]

    @property
    def last_log(self) -> str:
        return self.log_lines[-1] if self.log_lines else ""


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_hook(
    name: str,
    ssm: dict[str, str],
    workdir: Path,
    *,
    limit: float = 60,
    path_first: Path | None = None,
    lock_wait: int | None = None,
) -> HookRun:
    """Run hook_scripts/linux/<name>.sh as the synthesized document holds it (includes inlined), with
    only the given SSM_<Name> variables set, in ``workdir`` like the agent's scratch folder, its run
    folder ``workdir/run``; ``path_first`` puts a folder of stand-in commands (a fake systemctl) first on
    PATH; ``lock_wait`` shortens the wait for another run's lock."""
    script = workdir / f"{name}.sh"
    script.write_text(HookScript.from_file(f"linux/{name}.sh").text + "\n")
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(script)],
        cwd=workdir,
        env=hook_env(ssm, workdir, path_first=path_first, lock_wait=lock_wait),
        capture_output=True,
        text=True,
        timeout=limit,
    )
    return HookRun(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def hook_env(
    ssm: dict[str, str], workdir: Path, *, path_first: Path | None = None, lock_wait: int | None = None
) -> dict[str, str]:
    """The environment a hook runs with: this one without SSM_ variables, then the given ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SSM_", "PATCH_HOOKS_"))}
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env['PATH']}"
    env["PATCH_HOOKS_RUN_DIR"] = str(workdir / "run")
    if lock_wait is not None:
        env["PATCH_HOOKS_LOCK_WAIT_SECONDS"] = str(lock_wait)
    env.update({f"SSM_{key}": value for key, value in ssm.items()})
    return env


@dataclass
class DemoService:
    """A demo service driven through the scripts' pidfile seam; ``run_dir`` is the hooks' run folder,
    the ``run`` folder of the workdir given to run_hook."""

    port: int
    run_dir: Path
    flags: str = ""

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "demo-app.pid"

    @property
    def start_command(self) -> str:
        return service_command(self.port, self.flags)

    @property
    def ssm(self) -> dict[str, str]:
        return {"LinuxServiceName": "demo-app", "ServiceManager": "pidfile", "LinuxStartCommand": self.start_command}

    def pid(self) -> int | None:
        """The recorded pid; None for no record, or one that names no single process (0 is this process
        group, negative numbers whole groups, 1 init)."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid > 1 else None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat.rsplit(") ", 1)[1].split()[0] != "Z"  # a zombie has exited

    def start_directly(self) -> None:
        """Start it as the hook would, without the hook, and wait until it listens."""
        launch(self.start_command, self.pid_file)
        assert wait_for(lambda: port_open(self.port), 10), f"demo service did not listen on {self.port}"

    def kill(self) -> None:
        pid = self.pid()
        if pid is not None:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not port_open(self.port), 5)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@contextmanager
def listener(port: int) -> Iterator[socket.socket]:
    """Another process's socket holding ``port``."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    try:
        yield sock
    finally:
        sock.close()
