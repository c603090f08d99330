"""The downtime the hooks add over the app's own stop and start, measured against the demo service.

    python -m examples.demo.downtime [--runs 7]

The app is down from the moment it is asked to stop until it answers healthy again. On its own, the demo
service takes ``own_stop`` (SIGTERM until its port is closed) and ``own_start`` (launch until /health
answers 200). Through the hooks (the Linux scripts as the documents hold them, pidfile seam, a private
run folder), the stop hook takes ``hook_stop`` from its start to its exit, and the start hook ``hook_start``.
What the hooks add per instance is ``(hook_stop - own_stop) + (hook_start - own_start)``: bash start-up,
their checks and the gap between the app being done and the hook seeing it. Medians of ``runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from constructs_lib import HookScript
from examples.demo.rehearse import free_port, healthy, service_command

_POLL_SECONDS = 0.002


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition: Any, limit: float = 15) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("the demo service did not get there in time")
        time.sleep(_POLL_SECONDS)


def own_cycle(port: int) -> tuple[float, float]:
    """(stop, start) seconds of the demo service on its own."""
    url = f"http://127.0.0.1:{port}/health"
    started = time.perf_counter()
    process = subprocess.Popen(
        service_command(port).split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    _wait(lambda: healthy(url))
    start = time.perf_counter() - started
    stopping = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    _wait(lambda: not _port_open(port))
    stop = time.perf_counter() - stopping
    process.wait(timeout=15)
    return stop, start


def _hook(name: str, folder: Path, ssm: dict[str, str]) -> float:
    script = folder / f"{name}.sh"
    if not script.exists():
        script.write_text(HookScript.from_file(f"linux/{name}.sh").text + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SSM_", "PATCH_HOOKS_"))}
    env["PATCH_HOOKS_RUN_DIR"] = str(folder / "run")
    env.update({f"SSM_{key}": value for key, value in ssm.items()})
    started = time.perf_counter()
    result = subprocess.run(["bash", str(script)], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed: {result.stdout[-400:]}")
    return seconds


def hook_cycle(port: int, folder: Path) -> tuple[float, float]:
    """(stop, start) seconds of the stop and start hooks driving the demo service."""
    ssm = {
        "LinuxServiceName": "demo-app",
        "ServiceManager": "pidfile",
        "LinuxStartCommand": service_command(port),
        "Port": str(port),
        "HealthUrl": f"http://127.0.0.1:{port}/health",
    }
    start = _hook("start_app_and_verify", folder, ssm)
    stop = _hook("stop_app_gracefully", folder, ssm)
    return stop, start


def measure(runs: int = 7) -> dict[str, Any]:
    """Medians of ``runs`` alternating cycles, in seconds, and what the hooks add per instance."""
    own: list[tuple[float, float]] = []
    hooks: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="hook-downtime-") as scratch:
        folder = Path(scratch)
        for _ in range(runs):
            own.append(own_cycle(free_port()))
            hooks.append(hook_cycle(free_port(), folder))
    result = {
        "runs": runs,
        "own_stop_s": statistics.median(stop for stop, _ in own),
        "own_start_s": statistics.median(start for _, start in own),
        "hook_stop_s": statistics.median(stop for stop, _ in hooks),
        "hook_start_s": statistics.median(start for _, start in hooks),
    }
    result["added_s"] = (result["hook_stop_s"] - result["own_stop_s"]) + (
        result["hook_start_s"] - result["own_start_s"]
    )
    rounded = {key: round(value, 3) if isinstance(value, float) else value for key, value in result.items()}
    rounded["target_s"] = 0.5
    rounded["met"] = result["added_s"] <= 0.5
    return rounded


def describe(result: dict[str, Any]) -> str:
    """One line for people."""
    return (
        f"hooks add {result['added_s']:.2f} s of downtime per instance (target <= {result['target_s']} s: "
        f"{'met' if result['met'] else 'NOT met'}): stop hook {result['hook_stop_s']:.2f} s vs the app's own "
        f"stop {result['own_stop_s']:.2f} s, start hook {result['hook_start_s']:.2f} s vs its own start "
        f"{result['own_start_s']:.2f} s (medians of {result['runs']})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs)
    print(json.dumps(result, indent=2) if args.json else describe(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
