"""cdk-nag AwsSolutions (v3 API) over the default app: no finding left unacknowledged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from examples.demo.stack import PatchingDemoStack
from tests.builders import ENV, new_app, new_stack
from tests.scenarios import SCENARIOS, fleet_account_stack


def nag_findings(app: App) -> list[dict[str, Any]]:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        directory = app.synth().directory
    except RuntimeError as error:  # findings at error level fail the synth; the report says which
        if "ValidationFailed" not in str(error):
            raise
        directory = str(error).rsplit("found in: ", 1)[1].strip().removesuffix("/validation-report.json")
    report = json.loads((Path(directory) / "validation-report.json").read_text())
    return [violation for plugin in report["pluginReports"] for violation in plugin.get("violations", [])]


@pytest.mark.parametrize("env", [ENV, None], ids=["account-and-region", "environment-agnostic"])
def test_default_app_has_no_unacknowledged_findings(env: Any) -> None:
    app = new_app()
    PatchingDemoStack(app, "PatchingDemo", env=env)
    assert nag_findings(app) == []


@pytest.mark.parametrize(
    "name", ["canary_waves", "encrypted_output", "reporting", "fleet_compliance_report", "default_app_reporting"]
)
def test_scenario_has_no_unacknowledged_findings(name: str) -> None:
    app = new_app()
    SCENARIOS[name](app)
    assert nag_findings(app) == []


@pytest.mark.parametrize(("environment", "account"), [("dev", "111111111111"), ("prod", "222222222222")])
def test_the_example_fleets_stage_stacks_with_their_brake_have_no_unacknowledged_findings(
    environment: str, account: str
) -> None:
    from aws_cdk import Environment

    from constructs_lib import FleetDescription, FleetPatchingStack
    from examples.organization.app import FLEET_FILE

    app = new_app()
    FleetPatchingStack(
        app,
        "Patching",
        fleet=FleetDescription.from_file(FLEET_FILE),
        environment=environment,
        env=Environment(account=account, region="eu-west-1"),
    )
    assert nag_findings(app) == []


def test_nag_does_report_a_wildcard_it_was_not_told_about() -> None:
    # Negative control: an unexplained wildcard is a finding.
    app = new_app()
    role = iam.Role(new_stack(app), "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    rules = [finding["ruleName"] for finding in nag_findings(app)]
    assert "AwsSolutions-IAM5[Resource::*]" in rules


def test_the_fleet_account_stack_has_no_unacknowledged_findings() -> None:
    app = new_app()
    fleet_account_stack(app)
    assert nag_findings(app) == []
