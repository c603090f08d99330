"""The wheel installs beside an aws-cdk-lib 2.x other than the pinned one, and synthesizes there.

Downloads from the package registry, so it is outside `make test`: run it with `make compat`.
The version is the lowest the dependency range admits (pyproject.toml: aws-cdk-lib>=2.269.0; 2.268.0 refuses the
cdk-nag acknowledgments the library records, with InvalidValidationId).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.test_packaging import USER_APP, wheel  # noqa: F401 (the fixture)

pytestmark = pytest.mark.compat
OTHER_CDK = "2.269.0"


def test_the_wheel_synthesizes_with_the_lowest_aws_cdk_lib_of_its_range(wheel: Path, tmp_path: Path) -> None:  # noqa: F811
    venv = tmp_path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*install, f"{wheel}[fleet]", f"aws-cdk-lib=={OTHER_CDK}"], check=True)
    versions = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('aws-cdk-lib'), m.version('constructs'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert versions[0] == OTHER_CDK
    app = tmp_path / "app.py"
    app.write_text(USER_APP)
    outdir = tmp_path / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    subprocess.run([python, str(app)], cwd=tmp_path, env=env, check=True, capture_output=True)
    template = json.loads((outdir / "MyPatching.template.json").read_text())
    assert "AWS::SSM::MaintenanceWindowTask" in {resource["Type"] for resource in template["Resources"].values()}
