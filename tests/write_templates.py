"""Write every test scenario's template (the default app among them) into a folder, for the IaC scanner.

``python -m tests.write_templates cdk.out/scan`` writes ``<scenario>.template.json`` per scenario, and each
StackSet template the fleet scenario embeds as ``<scenario>-<resource>.template.json``, so checkov sees
what every account of the organisation rollout deploys too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.builders import new_app, template
from tests.scenarios import SCENARIOS


def write_templates(folder: Path) -> list[Path]:
    """Every scenario template and every StackSet template body they embed; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in sorted(SCENARIOS.items()):
        body = template(build(new_app())).to_json()
        written.append(_write(folder / f"{name}.template.json", body))
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
