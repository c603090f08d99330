"""The synth floor: the same templates replayed as bare CfnResource objects in one App.

    python bench/replay.py ASSEMBLY_DIR    (writes to $CDK_OUTDIR)

Each stack of the assembly becomes a Stack with the same name, each resource a CfnResource with the
same logical id, type and properties, each output a CfnOutput: what any CDK app costs for these
templates, whatever constructs made them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aws_cdk import App, CfnOutput, CfnResource, Stack, Token


def replay(app: App, assembly: Path) -> None:
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        stack = Stack(app, artifact_id, stack_name=artifact["properties"].get("stackName", artifact_id))
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::CDK::Metadata":
                continue
            cfn = CfnResource(stack, logical_id, type=resource["Type"], properties=resource.get("Properties"))
            cfn.override_logical_id(logical_id)
        for logical_id, output in template.get("Outputs", {}).items():
            export = output.get("Export", {}).get("Name")
            replayed = CfnOutput(stack, logical_id, value=Token.as_string(output["Value"]), export_name=export)
            replayed.override_logical_id(logical_id)


if __name__ == "__main__":
    app = App()
    replay(app, Path(sys.argv[1]))
    app.synth()
