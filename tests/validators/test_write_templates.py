"""The scanner's input: every template a synthesis produces reaches build/scan, StackSet bodies included."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sns as sns

from tests.builders import new_app
from tests.write_templates import _write_assembly

BODY = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def test_stacks_embedded_bodies_and_template_assets_are_all_written(tmp_path: Path) -> None:
    app = new_app()
    for stack_id in ("One", "Two"):
        stack = Stack(app, stack_id)
        sns.Topic(stack, "Topic")
    big = tmp_path / "big.json"
    big.write_text(json.dumps(BODY))
    s3_assets.Asset(stack, "Big", path=str(big))
    cloudformation.CfnStackSet(
        stack, "Embedded", stack_set_name="s", permission_model="SELF_MANAGED", template_body=json.dumps(BODY)
    )
    written = _write_assembly(tmp_path / "scan", "case", app)
    names = sorted(path.name for path in written)
    assert names[:3] == ["case-One.template.json", "case-Two-Embedded.template.json", "case-Two.template.json"]
    (asset,) = names[3:]
    assert asset.startswith("case-asset.")
    assert asset.endswith(".template.json")
    assert json.loads((tmp_path / "scan" / asset).read_text()) == BODY
