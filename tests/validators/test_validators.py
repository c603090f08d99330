"""Every template we emit is clean under cfn-lint and the CDK built-in validator in strict mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack

from constructs_lib import CommandOutput, HookDocument, HookScript
from tests.builders import new_app, new_stack, template, window
from tests.lint import cfn_lint
from tests.scenarios import SCENARIOS


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cfn_lint_finds_nothing(name: str) -> None:
    stack = SCENARIOS[name](new_app())
    assert cfn_lint(template(stack).to_json(), regions=("us-east-1", "eu-west-1")) == []


def test_cfn_lint_catches_a_broken_document_schema(stack: Stack) -> None:
    # Negative control: the lint really inspects our documents.
    document = HookDocument(stack, "Hook", linux=HookScript.inline("echo hi"))
    document.cfn_document.add_property_override("Content.schemaVersion", "9.9")
    assert any(finding.startswith("[E3051") for finding in cfn_lint(template(stack).to_json()))


def _validation_findings(directory: str) -> list[object]:
    report = json.loads((Path(directory) / "validation-report.json").read_text())
    return [violation for plugin in report["pluginReports"] for violation in plugin.get("violations", [])]


@pytest.mark.parametrize("name", ["fully_customised", "default_app", "canary_waves"])
def test_strict_builtin_validator_reports_nothing(name: str) -> None:
    # The validator costs ~1.8 s for the first synth, then little; warnings count as findings here too.
    app = new_app(validation=True)
    SCENARIOS[name](app)
    assembly = app.synth()  # strict mode raises on errors
    assert _validation_findings(assembly.directory) == []


def test_strict_builtin_validator_rejects_a_schema_error() -> None:
    # Negative control: the same strict set-up fails on an out-of-range value.
    app = new_app(validation=True)
    window(new_stack(app)).cfn_window.add_property_override("Duration", 25)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_builtin_validator_warnings_are_found() -> None:
    # Negative control for the report check: an enum typo is a warning, not an error, even in strict mode.
    app = new_app(validation=True)
    document = HookDocument(new_stack(app), "Hook", linux=HookScript.inline("echo hi"))
    document.cfn_document.add_property_override("DocumentType", "Comand")
    assert _validation_findings(app.synth().directory) != []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cfn_lint_finds_nothing_in_an_app_without_any_feature_flags(name: str) -> None:
    # A consuming app on older flags: the library decides what it relies on (e.g. access logs by bucket policy).
    stack = SCENARIOS[name](App(analytics_reporting=False))
    assert cfn_lint(template(stack).to_json(), regions=("us-east-1", "eu-west-1")) == []


def test_access_logs_are_delivered_by_bucket_policy_never_an_acl_whatever_the_flags() -> None:
    for app in (App(analytics_reporting=False), new_app()):
        stack = Stack(app, "Output")
        CommandOutput(stack, "Output")
        body = template(stack).to_json()
        buckets = [r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
        assert all("AccessControl" not in bucket for bucket in buckets)
        assert all(
            bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]} for bucket in buckets
        )
        policies = [r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
        delivery = [
            s
            for p in policies
            for s in p["PolicyDocument"]["Statement"]
            if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
        ]
        assert len(delivery) == 1
        assert set(delivery[0]["Condition"]) == {"ArnLike", "StringEquals"}
