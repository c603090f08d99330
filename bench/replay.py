"""The synth floors: the same templates replayed in one App, without the constructs that made them.

    python bench/replay.py ASSEMBLY_DIR            (writes to $CDK_OUTDIR)
    python bench/replay.py --typed ASSEMBLY_DIR

Bare (the issue's floor): each stack of the assembly becomes a Stack with the same name, each resource a
CfnResource with the same logical id, type and properties, each output a CfnOutput: what any CDK app
costs for these templates, whatever constructs made them.

Typed (``--typed``): each template goes through ``cloudformation_include.CfnInclude``, which builds the
typed L1 of every resource (CfnDocument, CfnBucket, ...), after importing the Python module of every
service the template uses. This is what any app pays that holds typed L1s, as the library's public
``cfn_*`` attributes require; the gap between the two floors is that price, not the library's code.
CfnInclude does not read weak cross-stack references (Fn::GetStackOutput), so fleets have no typed floor.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_cdk import App, CfnOutput, CfnResource, Stack, Token
from aws_cdk import cloudformation_include as cfn_include

# What a Stack adds to every template by itself; CfnInclude refuses a template that already holds it.
_STACK_OWN_PARAMETERS = ("BootstrapVersion",)
_STACK_OWN_CONDITIONS = ("CDKMetadataAvailable",)


def stack_templates(assembly: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(artifact id, stack name, template) of every stack in a cloud assembly."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        yield artifact_id, artifact["properties"].get("stackName", artifact_id), template


def replay(app: App, assembly: Path) -> None:
    """The bare floor: one CfnResource per resource, one CfnOutput per output."""
    for artifact_id, stack_name, template in stack_templates(assembly):
        stack = Stack(app, artifact_id, stack_name=stack_name)
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::CDK::Metadata":
                continue
            cfn = CfnResource(stack, logical_id, type=resource["Type"], properties=resource.get("Properties"))
            cfn.override_logical_id(logical_id)
        for logical_id, output in template.get("Outputs", {}).items():
            export = output.get("Export", {}).get("Name")
            replayed = CfnOutput(stack, logical_id, value=Token.as_string(output["Value"]), export_name=export)
            replayed.override_logical_id(logical_id)


def without_stack_own_parts(template: dict[str, Any]) -> dict[str, Any]:
    """The template minus what its Stack adds again: bootstrap check, CDK metadata, construct paths."""
    resources = {
        logical_id: {key: value for key, value in resource.items() if key != "Metadata"}
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] != "AWS::CDK::Metadata"
    }
    stripped = {key: value for key, value in template.items() if key not in ("Rules", "Resources")}
    stripped["Resources"] = resources
    for section, own in (("Parameters", _STACK_OWN_PARAMETERS), ("Conditions", _STACK_OWN_CONDITIONS)):
        kept = {name: value for name, value in template.get(section, {}).items() if name not in own}
        stripped.pop(section, None)
        if kept:
            stripped[section] = kept
    return stripped


def service_modules(template: dict[str, Any]) -> list[str]:
    """The aws_cdk modules holding the typed L1 of every resource type (AWS::SSM::Document -> aws_ssm)."""
    services = {resource["Type"].split("::")[1].lower() for resource in template["Resources"].values()}
    return sorted(f"aws_cdk.aws_{service}" for service in services)


def replay_typed(app: App, assembly: Path, scratch: Path) -> None:
    """The typed floor: every template through CfnInclude, every service's Python module imported."""
    for artifact_id, stack_name, template in stack_templates(assembly):
        stripped = without_stack_own_parts(template)
        for module in service_modules(stripped):
            importlib.import_module(module)
        template_file = scratch / f"{artifact_id}.json"
        template_file.write_text(json.dumps(stripped))
        stack = Stack(app, artifact_id, stack_name=stack_name)
        cfn_include.CfnInclude(stack, "Template", template_file=str(template_file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typed", action="store_true", help="typed L1s through CfnInclude instead of CfnResource")
    parser.add_argument("assembly", type=Path)
    args = parser.parse_args()
    app = App()
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        if args.typed:
            replay_typed(app, args.assembly, Path(scratch))
        else:
            replay(app, args.assembly)
        app.synth()


if __name__ == "__main__":
    main()
