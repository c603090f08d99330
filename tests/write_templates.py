"""Write every test scenario's template (the default app among them) into a folder, for the IaC scanner.

``python -m tests.write_templates build/scan`` writes ``<scenario>.template.json`` per scenario, every
stack the organisation example synthesizes (each stage's stacks, the StackSets' stack) as
``organization-<stack>.template.json``, and each StackSet template they embed as
``<name>-<resource>.template.json``, so checkov sees what every account of the rollout deploys too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, cx_api

from constructs_lib import FleetDescription
from examples.organization.app import FLEET_FILE, build
from tests.builders import new_app
from tests.scenarios import SCENARIOS


def write_templates(folder: Path) -> list[Path]:
    """Every template the scenarios and the organisation example synthesize: each stack's, each StackSet
    body embedded in one, and each template staged as a file asset (a StackSet body over 51,200 bytes).
    Returns the files written."""
    written = []
    for name, build_scenario in sorted(SCENARIOS.items()):
        app = new_app()
        build_scenario(app)
        written += _write_assembly(folder, name, app)
    organization = new_app()
    build(organization, FleetDescription.from_file(FLEET_FILE))
    return written + _write_assembly(folder, "organization", organization)


def _write_assembly(folder: Path, name: str, app: App) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    assembly = app.synth()
    stacks = assembly.stacks_recursively
    written = []
    for stack in stacks:
        stack_name = name if len(stacks) == 1 else f"{name}-{_file_name(stack.hierarchical_id)}"
        written += _write_with_stack_sets(folder, stack_name, stack.template)
    for directory in _assembly_directories(assembly):
        for asset in sorted(Path(directory).glob("asset.*.json")):
            body = json.loads(asset.read_text())
            if isinstance(body, dict) and "Resources" in body:
                written.append(_write(folder / f"{name}-{asset.stem}.template.json", body))
    return written


def _assembly_directories(assembly: cx_api.CloudAssembly) -> list[str]:
    return [assembly.directory] + [
        directory
        for nested in assembly.nested_assemblies
        for directory in _assembly_directories(nested.nested_assembly)
    ]


def _file_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _write_with_stack_sets(folder: Path, name: str, body: Mapping[str, Any]) -> list[Path]:
    written = [_write(folder / f"{name}.template.json", body)]
    for logical_id, resource in body["Resources"].items():
        embedded = resource.get("Properties", {}).get("TemplateBody")
        if resource["Type"] == "AWS::CloudFormation::StackSet" and isinstance(embedded, str):
            written.append(_write(folder / f"{name}-{logical_id}.template.json", json.loads(embedded)))
    return written


def _write(path: Path, body: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(dict(body), indent=1, ensure_ascii=False))
    return path


if __name__ == "__main__":
    for path in write_templates(Path(sys.argv[1])):
        print(path)
