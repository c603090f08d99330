"""The integration tests' apps, offline: what each deploys and asserts (their templates are also snapshots
and under every validator: tests/scenarios.py integ_*). Running them is ``make integ``'s, with an account."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from aws_cdk import App

from tests.builders import ROOT, new_app
from tests.integ import integ_hook_failure, integ_hooked_patch


def stacks(build: Any) -> dict[str, dict[str, Any]]:
    app: App = new_app()
    build(app)
    return {stack.stack_name: stack.template for stack in app.synth().stacks}


def calls(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The assertions' API calls, in template order, their parameters and expectations as JSON."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall"):
            props = resource["Properties"]
            found.append({"api": props["api"], "text": json.dumps(props), "expected": props.get("expected", "")})
    return found


def test_the_happy_path_patches_with_the_stacks_hooks_and_checks_the_app() -> None:
    templates = stacks(integ_hooked_patch.build)
    under_test = templates["PatchHooksIntegHappy"]
    (assertions,) = [t for name, t in templates.items() if "DeployAssert" in name]
    apis = [call["api"] for call in calls(assertions)]
    assert sorted(apis) == [
        "describeInstanceInformation",
        "getCommandInvocation",
        "getCommandInvocation",
        "sendCommand",
        "sendCommand",
    ]
    (patch,) = [
        c for c in calls(assertions) if c["api"] == "sendCommand" and "AWS-RunPatchBaselineWithHooks" in c["text"]
    ]
    for parameter in ("PreInstallHookDocName", "PostInstallHookDocName", "OnExitHookDocName"):
        assert parameter in patch["text"]
    assert '\\"NoReboot\\"' in patch["text"]
    waits = [json.loads(c["expected"]) for c in calls(assertions) if c["api"] == "getCommandInvocation"]
    assert {"$ObjectLike": {"Status": "Success", "StandardOutputContent": {"$StringLike": "^ok"}}} in waits
    assert any("stopped after" in json.dumps(wait) and "is healthy after" in json.dumps(wait) for wait in waits)
    instance = next(r for r in under_test["Resources"].values() if r["Type"] == "AWS::EC2::Instance")
    assert {"Key": "PatchGroup", "Value": "constructs-lib-integ-happy"} in instance["Properties"]["Tags"]
    documents = [r for r in under_test["Resources"].values() if r["Type"] == "AWS::SSM::Document"]
    assert len(documents) == 3


def test_the_failure_path_expects_failed_the_on_exit_hook_and_a_healthy_app() -> None:
    templates = stacks(integ_hook_failure.build)
    (assertions,) = [t for name, t in templates.items() if "DeployAssert" in name]
    waits = [json.loads(c["expected"]) for c in calls(assertions) if c["api"] == "getCommandInvocation"]
    (failed,) = [w for w in waits if w["$ObjectLike"]["Status"] == "Failed"]
    assert "start_app_and_verify" in failed["$ObjectLike"]["StandardOutputContent"]["$StringLike"]
    assert any(w["$ObjectLike"]["Status"] == "Success" for w in waits)  # the health check after it


@pytest.mark.parametrize("variables", [{}, {"AWS_REGION": "eu-west-1"}, {"AWS_PROFILE": "sandbox"}])
def test_make_integ_without_an_account_stops_with_one_line(variables: dict[str, str]) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **variables}
    result = subprocess.run(
        ["bash", str(ROOT / "tests" / "integ" / "run.sh"), "--check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("make integ needs an AWS account:")
