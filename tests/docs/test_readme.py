"""The README's minimal usage example runs as written, from a folder outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.builders import ROOT


def test_minimal_usage_example_synthesizes(tmp_path: Path) -> None:
    section = (ROOT / "README.md").read_text().split("## Minimal usage", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the Minimal usage section has a python block"
    example = tmp_path / "example.py"
    example.write_text(match.group(1))
    outdir = tmp_path / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_VALIDATION": "false"}
    subprocess.run([sys.executable, str(example)], cwd=tmp_path, env=env, check=True, capture_output=True)
    template = (outdir / "Patching.template.json").read_text()
    assert "AWS-RunPatchBaselineWithHooks" in template
    assert '"PreInstallHookDocName"' in template


def test_the_fleet_description_example_is_valid() -> None:
    import yaml

    from constructs_lib import FleetDescription

    section = (ROOT / "README.md").read_text().split("## Rolling out across accounts and regions", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "the rollout section has a yaml block"
    fleet = FleetDescription.from_data(yaml.safe_load(match.group(1)), source="README.md")
    assert [environment.name for environment in fleet.environments] == ["dev", "prod"]
