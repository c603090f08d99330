"""The wheel holds the library, its hook scripts and its commands only, and a new user's app builds on it.

The app test follows docs/use-in-your-app.md: an empty folder, a virtual environment with the wheel
installed, the app's own app.py and cdk.json, `cdk synth`, and the commands on the venv's PATH. The
venv reaches the library's dependencies (aws-cdk-lib, ...) through a .pth file pointing at this
repository's venv instead of downloading them again; the library itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.builders import ROOT

SCRIPTS = (
    "linux/stop_app_gracefully.sh",
    "linux/update_app.sh",
    "linux/start_app_and_verify.sh",
    "windows/stop_app_gracefully.ps1",
    "windows/update_app.ps1",
    "windows/start_app_and_verify.ps1",
)
USER_APP = textwrap.dedent(
    """
    from aws_cdk import App, Duration, Stack

    from constructs_lib import LifecycleHooks, PatchWorkflow, StartAppHook, StopAppHook, WindowSchedule

    app = App()
    stack = Stack(app, "MyPatching")
    stop = StopAppHook(stack, "Stop", service_name="my-app", port=8080)
    start = StartAppHook(stack, "Start", service_name="my-app", health_url="http://127.0.0.1:8080/health")
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(3),
        patch_groups=["web"],
        hooks=LifecycleHooks(pre_install=stop, on_exit=start),
    )
    app.synth()
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("wheels")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip_wheel, "--disable-pip-version-check", "-w", str(wheels), str(ROOT)], check=True)
    (built,) = wheels.glob("constructs_lib-*.whl")
    return built


def test_the_wheel_holds_the_library_scripts_and_commands_only(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for script in SCRIPTS:
        assert f"constructs_lib/hook_scripts/{script}" in names
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"constructs_lib", wheel.name.removesuffix("-py3-none-any.whl") + ".dist-info"}
    assert not [name for name in names if "demo" in name or "/tests/" in name]
    entry_points = zipfile.ZipFile(wheel).read(f"{sorted(top_level)[1]}/entry_points.txt").decode()
    for command in ("patch-now", "patch-plan", "patch-plan-diff", "patch-rehearse", "patch-fleet"):
        assert f"{command} = constructs_lib.cli." in entry_points


def test_a_new_app_installs_the_wheel_synthesizes_and_runs_the_commands(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies, from this repository's venv (not the library: its copy here is an editable finder
    # whose .pth file is not read from a directory added this way).
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel)], check=True)

    app = tmp_path / "my-patching"
    app.mkdir()
    (app / "app.py").write_text(USER_APP)
    (app / "cdk.json").write_text(json.dumps({"app": "python app.py"}))
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    subprocess.run([cdk, "synth", "--quiet", "--no-notices"], cwd=app, env=env, check=True, capture_output=True)

    template = json.loads((app / "cdk.out" / "MyPatching.template.json").read_text())
    types = sorted({resource["Type"] for resource in template["Resources"].values()})
    assert types == [
        "AWS::CDK::Metadata",
        "AWS::IAM::Role",
        "AWS::SSM::Document",
        "AWS::SSM::MaintenanceWindow",
        "AWS::SSM::MaintenanceWindowTarget",
        "AWS::SSM::MaintenanceWindowTask",
    ]
    located = subprocess.run(
        [
            python,
            "-c",
            "import constructs_lib._internal.paths as p, constructs_lib; print(constructs_lib.__file__)"
            "; print(p.HOOK_SCRIPTS_DIR)",
        ],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert [Path(located[0]).parent, Path(located[1])] == [
        site / "constructs_lib",
        site / "constructs_lib" / "hook_scripts",
    ]
    plan = subprocess.run(
        [venv / "bin" / "patch-plan", "--assembly", "cdk.out", "--stack", "MyPatching"],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "### Task Web-Patch" in plan.stdout
    assert "pre-install hook: `" in plan.stdout
