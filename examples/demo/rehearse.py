"""`make rehearse`: rehearse the default app's patch task in every scenario against a real local service.

Starts the demo HTTP service (examples/demo/service.py) on a free port through the hook
scripts' pidfile seam, points the default app's hooks at it with --param overrides, rehearses each
scenario (a simulated reboot stops the service, as a real one would), and reports after each whether
the service is healthy. Exits 1 if a scenario ends other than documented or leaves the service down.
Last, it measures the downtime the stop and start hooks add over the demo app's own stop and start.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from constructs_lib.cli.rehearse import Scenario, parse_args, run

EXPECTED = {
    Scenario.NOTHING_MISSING: 0,
    Scenario.PATCHES_INSTALLED: 0,
    Scenario.REBOOT_PENDING: 0,
    Scenario.INSTALL_FAILS: 1,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a localhost URL we built)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def record(pid: int, pid_file: Path) -> None:
    """Record a process as the start hook does: "<pid> <start time> <boot id>" (see the hooks' service_manager.sh)."""
    start = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[19]
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    pid_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pid_file.write_text(f"{pid} {start} {boot}\n")


def launch(start_command: str, pid_file: Path) -> int:
    """Start the app as the start hook would: detached in a session of its own (so PID 1, not this
    process, reaps it), recorded in ``pid_file``; its pid."""
    process = subprocess.Popen(
        start_command.split(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    record(process.pid, pid_file)
    return process.pid


def start_service(start_command: str, pid_file: Path, url: str) -> None:
    """Launch the app and wait until it answers."""
    launch(start_command, pid_file)
    deadline = time.monotonic() + 15
    while not healthy(url) and time.monotonic() < deadline:
        time.sleep(0.2)


# Run as a file, not a module: the hooks start it from their own scratch folder.
SERVICE_SCRIPT = Path(__file__).resolve().parent / "service.py"


def service_command(port: int, flags: str = "") -> str:
    """The command line that starts the demo service on ``port`` (with fault flags such as --unhealthy)."""
    return f"{sys.executable} {SERVICE_SCRIPT} --port {port} {flags}".strip()


def reboot_command(pid_file: Path, port: int) -> str:
    """What a reboot does to the app: it stops, and the port is closed before anything else runs."""
    wait_closed = f"while (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; do sleep 0.1; done"
    return f"kill $(cut -d' ' -f1 {pid_file}); timeout 10 bash -c '{wait_closed}'"


def stop_service(pid_file: Path) -> None:
    if pid_file.exists():
        subprocess.run(["bash", "-c", f"kill $(cut -d' ' -f1 {pid_file}) 2>/dev/null"], check=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rehearse-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", default="cdk.out")
    parser.add_argument("--stack", default="PatchingDemo")
    parser.add_argument("--task", default="PatchingTask")
    options = parser.parse_args(argv)
    # Imported here: the CDK loads only when rehearsing, and downtime imports this module.
    from examples.demo import downtime
    from examples.demo.stack import SERVICE_NAME

    port = free_port()
    url = f"http://127.0.0.1:{port}/health"
    failures = 0
    with tempfile.TemporaryDirectory(prefix="rehearse-demo-") as folder:
        run_dir = Path(folder) / "run"
        pid_file = run_dir / f"{SERVICE_NAME}.pid"
        start_command = service_command(port)
        overrides = {
            "ServiceManager": "pidfile",
            "LinuxStartCommand": start_command,
            "HealthUrl": url,
            "Port": str(port),
            "DrainSeconds": "0",
            "StopTimeoutSeconds": "10",
        }
        try:
            for scenario, expected in EXPECTED.items():
                if not healthy(url):  # the app runs before patching; the last on-exit hook may have started it
                    start_service(start_command, pid_file, url)
                args = parse_args(
                    [
                        "--assembly",
                        options.assembly,
                        "--stack",
                        options.stack,
                        "--task",
                        options.task,
                        "--scenario",
                        scenario.value,
                        "--reboot-command",
                        reboot_command(pid_file, port),
                        "--run-dir",
                        str(run_dir),
                        *[f"--param={name}={value}" for name, value in overrides.items()],
                    ]
                )
                status = run(args, sys.stdout)
                up = healthy(url)
                print(f"service after {scenario.value}: {'healthy' if up else 'NOT healthy'} ({url})\n")
                failures += int(status != expected or not up)
        finally:
            stop_service(pid_file)
    print(downtime.describe(downtime.measure(runs=3)))
    print(
        "rehearsal: every scenario behaved as documented"
        if not failures
        else f"rehearsal: {failures} scenario(s) did not behave as documented"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
