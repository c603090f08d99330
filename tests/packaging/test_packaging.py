"""The wheel carries hook_scripts/, and an installed copy finds them from any working folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.builders import ROOT


def test_wheel_carries_hook_scripts_and_resolves_them_when_installed(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("constructs_lib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for script in (
        "linux/stop_app_gracefully.sh",
        "linux/update_app.sh",
        "linux/start_app_and_verify.sh",
        "windows/stop_app_gracefully.ps1",
        "windows/update_app.ps1",
        "windows/start_app_and_verify.ps1",
    ):
        assert f"constructs_lib/hook_scripts/{script}" in names

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import constructs_lib, constructs_lib._internal.paths as p; from constructs_lib import HookScript; "
        "print(constructs_lib.__file__); print(p.HOOK_SCRIPTS_DIR); "
        "print(HookScript.from_file('linux/update_app.sh').lines[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    module_file, scripts_dir, first_line = result.stdout.splitlines()
    assert Path(module_file).is_relative_to(site)
    assert Path(scripts_dir) == site / "constructs_lib" / "hook_scripts"
    assert first_line == "#!/usr/bin/env bash"
