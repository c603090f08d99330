"""`make bench`: the hooks' added downtime, synth cost against the CDK floor, fleet scale, and the test suite,
on this machine.

Every timing is a cold process (a new Python and jsii kernel each time, jsii package cache warm after
one unrecorded warm-up run), rotating which side runs first, reported as medians.
Results go to bench/results.json; bench/README.md quotes them.

    python bench/run.py [--runs 5] [--sizes 30 100 300] [--skip-tests] [--only-fleet-cli] [--only-hooks]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples.demo.downtime import describe as describe_downtime  # noqa: E402 (after the path is set)
from examples.demo.downtime import measure as hook_downtime  # noqa: E402

CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]


def timed(command: list[str], outdir: Path, validation: bool) -> float:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(CONTEXT),
        "CDK_VALIDATION": "true" if validation else "false",
    }
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def alternating(
    app: list[str], assembly_for_floor: Path, runs: int, validation: bool, scratch: Path, *, typed_floor: bool
) -> dict[str, Any]:
    """Cold runs of the app and of its two replay floors, rotating which runs first; medians and ratios.

    floor: bare CfnResource objects (the target's reference); typed floor: the typed L1s of the same
    templates (CfnInclude), which any app holding typed L1s pays; see bench/replay.py. CfnInclude cannot
    read the weak cross-stack references (Fn::GetStackOutput) of a fleet, so fleets get no typed floor.
    """
    commands = {"app": app, "floor": [sys.executable, "bench/replay.py", str(assembly_for_floor)]}
    if typed_floor:
        commands["typed_floor"] = [sys.executable, "bench/replay.py", "--typed", str(assembly_for_floor)]
    times: dict[str, list[float]] = {side: [] for side in commands}
    sides = list(commands)
    for run in range(runs):
        shift = run % len(sides)
        for side in sides[shift:] + sides[:shift]:
            times[side].append(timed(commands[side], scratch / f"{side}-{run}", validation))
    medians = {side: statistics.median(values) for side, values in times.items()}
    result: dict[str, Any] = {f"{side}_s": round(median, 3) for side, median in medians.items()}
    result["ratio"] = round(medians["app"] / medians["floor"], 3)
    if typed_floor:
        result["ratio_to_typed_floor"] = round(medians["app"] / medians["typed_floor"], 3)
    result.update({f"{side}_runs_s": [round(t, 3) for t in values] for side, values in times.items()})
    return result


def stack_sizes(assembly: Path) -> list[dict[str, Any]]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    sizes = []
    for artifact in manifest["artifacts"].values():
        if artifact.get("type") == "aws:cloudformation:stack":
            path = assembly / artifact["properties"]["templateFile"]
            template = json.loads(path.read_text())
            sizes.append(
                {
                    "stack": artifact["properties"].get("stackName", artifact.get("displayName")),
                    "resources": len(template["Resources"]),
                    "outputs": len(template.get("Outputs", {})),
                    "bytes": path.stat().st_size,
                }
            )
    return sorted(sizes, key=lambda size: size["stack"])


def reference(command: list[str], scratch: Path, name: str) -> Path:
    """Synthesize once (the warm-up run) to get the templates the floor replays."""
    outdir = scratch / name
    timed(command, outdir, validation=False)
    return outdir


def per_app_cost(count: int = 40) -> float:
    """Milliseconds per fresh App + Stack + PatchWorkflow + Template in a unit test (validator off)."""
    probe = f"""
import time
from aws_cdk import Duration
from constructs_lib import PatchWorkflow, WindowSchedule
from tests.builders import new_stack, template
template(new_stack())  # the first App pays the kernel start-up
started = time.perf_counter()
for _ in range({count}):
    stack = new_stack()
    PatchWorkflow(stack, "Web", schedule=WindowSchedule.cron("0 3 ? * SUN *"), duration=Duration.hours(3),
                  patch_groups=["web"])
    template(stack)
print((time.perf_counter() - started) / {count} * 1000)
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    return round(float(result.stdout.strip().splitlines()[-1]), 1)


def fleet_cli_start(runs: int = 11) -> dict[str, Any]:
    """Cold `patch-fleet` runs on the example fleet file (target: under 0.3 s), beside the floor of the
    libraries it needs (Python with pydantic and PyYAML imported), medians; and that no jsii is loaded."""
    command = [str(Path(sys.executable).parent / "patch-fleet"), "examples/organization/fleet.yaml"]
    command += ["--after", "2026-12-01T00:00:00+00:00"]
    floor = [sys.executable, "-c", "import pydantic, yaml"]
    # Byte-code caching on, as on a user's machine (this workplace sets PYTHONDONTWRITEBYTECODE).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {"patch_fleet": [], "pydantic_yaml_floor": []}
    for run in range(runs + 1):
        for side, argv in (("patch_fleet", command), ("pydantic_yaml_floor", floor)):
            started = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
            if run:  # the first round writes the byte-code caches
                times[side].append(time.perf_counter() - started)
    probe = "import sys; import constructs_lib.cli.fleet; print(sorted(m for m in sys.modules if m.startswith('jsii')))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    result: dict[str, Any] = {f"{side}_s": round(statistics.median(values), 3) for side, values in times.items()}
    result["patch_fleet_runs_s"] = [round(t, 3) for t in times["patch_fleet"]]
    result["jsii_modules_loaded"] = loaded.stdout.strip()
    return result


def test_suite_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, check=True, capture_output=True
    )
    return round(time.perf_counter() - started, 1)


def machine() -> dict[str, Any]:
    node = subprocess.run([os.environ.get("JSII_NODE", "node"), "--version"], capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "node": node.stdout.strip(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--skip-tests", action="store_true", help="skip timing the whole test suite")
    parser.add_argument(
        "--only-fleet-cli", action="store_true", help="measure patch-fleet start-up only, into the existing results"
    )
    parser.add_argument(
        "--only-hooks", action="store_true", help="measure the hooks' added downtime only, into the existing results"
    )
    args = parser.parse_args()
    results_file = ROOT / "bench" / "results.json"
    if args.only_fleet_cli:
        recorded = json.loads(results_file.read_text())
        recorded["patch_fleet_start"] = fleet_cli_start()
        results_file.write_text(json.dumps(recorded, indent=2) + "\n")
        print(json.dumps(recorded["patch_fleet_start"], indent=2))
        return 0
    if args.only_hooks:
        recorded = json.loads(results_file.read_text())
        recorded["hook_downtime"] = hook_downtime()
        results_file.write_text(json.dumps(recorded, indent=2) + "\n")
        print(describe_downtime(recorded["hook_downtime"]))
        return 0
    results: dict[str, Any] = {"machine": machine(), "runs": args.runs}
    results["hook_downtime"] = hook_downtime()
    print(describe_downtime(results["hook_downtime"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        scratch = Path(folder)
        app = [sys.executable, "app.py"]
        default_ref = reference(app, scratch, "default-ref")
        results["default_app"] = {
            "validator_off": alternating(app, default_ref, args.runs, False, scratch / "off", typed_floor=True),
            "validator_on": alternating(app, default_ref, args.runs, True, scratch / "on", typed_floor=True),
        }
        print("default app", json.dumps(results["default_app"]["validator_off"]), flush=True)
        scale = {}
        for size in args.sizes:
            fleet = [sys.executable, "bench/fleet_app.py", str(size)]
            ref = reference(fleet, scratch, f"fleet-{size}")
            scale[str(size)] = {
                **alternating(fleet, ref, args.runs, False, scratch / f"scale-{size}", typed_floor=False),
                "stacks": stack_sizes(ref),
            }
            print(
                f"{size} groups", json.dumps({k: v for k, v in scale[str(size)].items() if k != "stacks"}), flush=True
            )
        results["scale"] = scale
        if len(args.sizes) > 1:
            smallest, largest = str(min(args.sizes)), str(max(args.sizes))
            results["growth"] = round(scale[largest]["app_s"] / scale[smallest]["app_s"], 2)
    results["unit_test_per_app_ms"] = per_app_cost()
    results["patch_fleet_start"] = fleet_cli_start()
    if not args.skip_tests:
        results["test_suite_s"] = test_suite_seconds()
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k not in ("scale", "default_app")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
