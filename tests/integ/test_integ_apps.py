"""The integration tests' apps, offline: what each deploys and asserts (their templates are also snapshots
and under every validator: tests/scenarios.py integ_*). Running them is ``make integ``'s, with an account."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from typing import Any

import botocore.session
import pytest
import tree_sitter_powershell
from aws_cdk import App
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from tree_sitter import Language, Node, Parser

from tests.builders import ROOT, new_app
from tests.integ import integ_brake, integ_hook_failure, integ_hooked_patch, integ_windows_hooked_patch
from tests.integ.fixture import WINDOWS_SERVICE

APPS = [integ_hooked_patch, integ_hook_failure, integ_brake, integ_windows_hooked_patch]
POWERSHELL = Parser(Language(tree_sitter_powershell.language()))


def stacks(build: Any) -> dict[str, dict[str, Any]]:
    app: App = new_app()
    build(app)
    return {stack.stack_name: stack.template for stack in app.synth().stacks}


def calls(template: dict[str, Any], physical: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The assertions' API calls, in template order: their parameters and expectations as JSON, each
    deploy-time value read as ``physical`` names it (by the output or attribute it reads)."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall"):
            props = resource["Properties"]
            text = {k: _text(v, physical or {}) for k, v in props.get("parameters", {}).items()}
            found.append(
                {
                    "service": props["service"],
                    "api": props["api"],
                    "text": json.dumps(props),
                    "expected": _text(props.get("expected", ""), physical or {}),
                    "parameters": {k: json.loads(v) for k, v in text.items()},
                }
            )
    return found


def _text(value: Any, physical: dict[str, str]) -> str:
    """A property integ-tests-alpha writes as JSON text, joined with its deploy-time parts."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else _deploy_time(part, physical) for part in parts)


def _deploy_time(part: dict[str, Any], physical: dict[str, str]) -> str:
    if "Fn::GetStackOutput" in part:
        return physical.get(part["Fn::GetStackOutput"]["OutputName"], "<deploy-time>")
    if "Fn::GetAtt" in part and part["Fn::GetAtt"][1].endswith("Command.CommandId"):
        return "0b9f1fa5-3a4e-4ac3-9c2b-0123456789ab"  # a command id, as SendCommand returns it
    return "<deploy-time>"


# Made-up physical ids in each type's real form, so the SSM model's lengths apply to them.
_PHYSICAL = {
    "AWS::EC2::Instance": "i-{}",
    "AWS::SSM::MaintenanceWindow": "mw-{}",
    "AWS::SSM::Parameter": "CFN-HaltRecord-{}",
    "AWS::SSM::Document": "PatchHooksInteg-Document-{}",
}


def physical_ids(under_test: dict[str, Any]) -> dict[str, str]:
    """Each output of the stack under test that reads a resource's Ref, as a made-up physical id that
    differs per resource (17 hex digits from its logical id)."""
    ids = {}
    for name, output in under_test.get("Outputs", {}).items():
        ref = output["Value"].get("Ref") if isinstance(output["Value"], dict) else None
        if isinstance(ref, str) and ref in under_test["Resources"]:
            digits = hashlib.sha256(ref.encode()).hexdigest()[:17]
            ids[name] = _PHYSICAL.get(under_test["Resources"][ref]["Type"], "{}").format(digits)
    return ids


def physical_id(under_test: dict[str, Any], logical_prefix: str) -> str:
    """The made-up physical id of the one output resource whose logical id starts with ``logical_prefix``."""
    ids = physical_ids(under_test)
    (found,) = {
        ids[name]
        for name, output in under_test["Outputs"].items()
        if name in ids and output["Value"]["Ref"].startswith(logical_prefix)
    }
    return found


def assertions_of(build: Any, stack_name: str | None = None) -> list[dict[str, Any]]:
    """The assertions' calls of ``build``'s test, deploy-time values read from ``stack_name``'s outputs."""
    templates = stacks(build)
    (template,) = [t for name, t in templates.items() if "DeployAssert" in name]
    return calls(template, physical_ids(templates[stack_name]) if stack_name else None)


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


UNDER_TEST = {
    integ_hooked_patch: "PatchHooksIntegHappy",
    integ_hook_failure: "PatchHooksIntegFailure",
    integ_brake: "PatchHooksIntegBrake",
    integ_windows_hooked_patch: "PatchHooksIntegWindows",
}


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.__name__.rsplit(".", 1)[-1])
def test_every_assertion_call_is_valid_for_the_ssm_api(app: Any) -> None:
    """Each call's parameters against botocore's SSM model (names, types, lengths, required members), with
    made-up physical ids in their real forms: a wrong call would fail only in the account, after the
    instance has been paid for."""
    model = botocore.session.get_session().get_service_model("ssm")
    for call in assertions_of(app.build, UNDER_TEST[app]):
        assert call["service"] == "SSM"
        assert "<deploy-time>" not in json.dumps(call["parameters"])
        operation = model.operation_model(call["api"][0].upper() + call["api"][1:])
        validate_parameters(call["parameters"], operation.input_shape)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"WindowID": "mw-0123456789abcdef0"}, 'Unknown parameter in input: "WindowID"'),
        ({"WindowId": "mw-0"}, "Invalid length for parameter WindowId"),
        ({}, 'Missing required parameter in input: "WindowId"'),
    ],
)
def test_the_api_check_refuses_a_wrong_call(parameters: dict[str, Any], message: str) -> None:
    operation = botocore.session.get_session().get_service_model("ssm").operation_model("GetMaintenanceWindow")
    validate_parameters({"WindowId": "mw-0123456789abcdef0"}, operation.input_shape)
    with pytest.raises(ParamValidationError, match=re.escape(message)):
        validate_parameters(parameters, operation.input_shape)


def test_the_brake_waits_for_the_main_window_disabled_then_checks_record_runbook_and_canary() -> None:
    under_test = stacks(integ_brake.build)["PatchHooksIntegBrake"]
    main, canary = physical_id(under_test, "MainWindow"), physical_id(under_test, "CanaryWindow")
    assertions = assertions_of(integ_brake.build, "PatchHooksIntegBrake")
    assert [call["api"] for call in assertions] == [
        "describeInstanceInformation",
        "getMaintenanceWindow",
        "getParameter",
        "describeAutomationExecutions",
        "describeMaintenanceWindowExecutions",
    ]
    _, disabled, record, runbook, executions = assertions
    assert disabled["parameters"] == {"WindowId": main}
    assert json.loads(disabled["expected"]) == {"$ObjectLike": {"WindowId": main, "Enabled": False}}
    assert record["parameters"] == {"Name": physical_id(under_test, "WavesHaltRecordMain")}
    halt_runbook = physical_id(under_test, "WavesHaltAfterCanary")
    assert {"Key": "DocumentNamePrefix", "Values": [halt_runbook]} in runbook["parameters"]["Filters"]
    ran = {"$ObjectLike": {"DocumentName": halt_runbook, "AutomationExecutionStatus": "Success"}}
    assert json.loads(runbook["expected"]) == {
        "$ObjectLike": {"AutomationExecutionMetadataList": {"$ArrayWith": [ran]}}
    }
    assert executions["parameters"] == {"WindowId": canary}
    failed = {"$ObjectLike": {"WindowId": canary, "Status": "FAILED"}}
    assert json.loads(executions["expected"]) == {"$ObjectLike": {"WindowExecutions": {"$ArrayWith": [failed]}}}


def test_the_brake_record_expectation_matches_what_the_halt_runbook_writes() -> None:
    """The runbook's record value, its variables filled as the failure event fills them, against the regular
    expression the assertion holds (a JavaScript RegExp; this one means the same in Python)."""
    resources = stacks(integ_brake.build)["PatchHooksIntegBrake"]["Resources"]
    runbook = next(
        r for k, r in resources.items() if k.startswith("WavesHaltAfterCanary") and r["Type"] == "AWS::SSM::Document"
    )
    (record,) = [step for step in runbook["Properties"]["Content"]["mainSteps"] if step["name"].startswith("Record")]
    written = record["inputs"]["Value"]
    event = {
        "SourceAccount": "123456789012",
        "SourceRegion": "eu-west-1",
        "WindowExecutionId": "b60fb56e-776c-4e5c-84ee-123456789012",
        "Status": "FAILED",
    }
    for variable, value in event.items():
        written = written.replace(f"{{{{ {variable} }}}}", value)
    (call,) = [c for c in assertions_of(integ_brake.build) if c["api"] == "getParameter"]
    pattern = json.loads(call["expected"])["$ObjectLike"]["Parameter"]["Value"]["$StringLike"]
    assert re.search(pattern, written), (pattern, written)
    assert not re.search(pattern, written.replace("FAILED", "TIMED_OUT"))
    assert not re.search(pattern, written.replace("/Canary", "/Main"))
    assert not re.search(pattern, "open")


def test_the_brake_canary_fails_its_pre_install_hook_every_quarter_hour() -> None:
    resources = stacks(integ_brake.build)["PatchHooksIntegBrake"]["Resources"]
    of_type = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::SSM::MaintenanceWindow"}
    (canary,) = [window for k, window in of_type.items() if k.startswith("Canary")]
    assert canary["Schedule"] == "cron(0/15 * * * ? *)"
    instance = next(r for r in resources.values() if r["Type"] == "AWS::EC2::Instance")
    assert {"Key": "Canary", "Value": "true"} in instance["Properties"]["Tags"]
    failing = next(k for k, r in resources.items() if k.startswith("FailingPreInstall"))
    tasks = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SSM::MaintenanceWindowTask"]
    (patch,) = [
        t
        for t in tasks
        if t["WindowId"]["Ref"].startswith("Canary") and t["TaskArn"] == "AWS-RunPatchBaselineWithHooks"
    ]
    parameters = patch["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["Parameters"]
    assert parameters["PreInstallHookDocName"] == [{"Ref": failing}]
    (gate,) = [t for t in tasks if t["WindowId"]["Ref"].startswith("Main") and t["Priority"] == 0]
    assert gate["TaskType"] == "AUTOMATION"  # the gate that keeps a halted main window shut


def test_the_windows_variant_starts_the_app_with_its_hook_then_patches_and_asks_powershell() -> None:
    templates = stacks(integ_windows_hooked_patch.build)
    under_test = templates["PatchHooksIntegWindows"]
    assertions = assertions_of(integ_windows_hooked_patch.build, "PatchHooksIntegWindows")
    apis = [call["api"] for call in assertions]
    assert apis[:3] == ["describeInstanceInformation", "sendCommand", "getCommandInvocation"]
    start, patch = [call for call in assertions if call["api"] == "sendCommand"][:2]
    on_exit = physical_id(under_test, "StartAppAndVerify")
    instance = physical_id(under_test, "Instance")
    assert start["parameters"] == {"DocumentName": on_exit, "InstanceIds": [instance], "Parameters": {}}
    assert patch["parameters"]["Parameters"]["OnExitHookDocName"] == [on_exit]
    sent = [c["parameters"] for c in assertions if c["api"] == "sendCommand"]
    assert [p["DocumentName"] for p in sent] == [on_exit, "AWS-RunPatchBaselineWithHooks", "AWS-RunPowerShellScript"]
    assert (
        "Invoke-WebRequest -UseBasicParsing -Uri http://127.0.0.1:8080/health" in sent[-1]["Parameters"]["commands"][0]
    )
    resources = under_test["Resources"]
    hooks = [r["Properties"]["Content"] for r in resources.values() if r["Type"] == "AWS::SSM::Document"]
    assert len(hooks) == 3
    for content in hooks:
        assert [step["name"] for step in content["mainSteps"]] == ["WindowsHook"]
    stop = next(c for c in hooks if "EscalateToKill" in c["parameters"])
    assert stop["parameters"]["ServiceManager"]["default"] == "pidfile"
    assert stop["parameters"]["EscalateToKill"]["default"] == "true"


def test_the_windows_demo_app_is_written_verbatim_by_user_data_and_parses() -> None:
    """PowerShell can't run here: the app script is parsed with the same grammar as the Windows hooks, and
    no line of it ends the user data's here-string early."""
    tree = POWERSHELL.parse(WINDOWS_SERVICE.encode())
    assert not _has_error(tree.root_node)
    assert "'@" not in [line.strip() for line in WINDOWS_SERVICE.splitlines()]
    template = stacks(integ_windows_hooked_patch.build)["PatchHooksIntegWindows"]
    instance = next(r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Instance")
    user_data = instance["Properties"]["UserData"]["Fn::Base64"]
    assert user_data.startswith("<powershell>")
    assert user_data.endswith("</powershell>")
    assert f"-Value @'\n{WINDOWS_SERVICE}'@\n" in user_data
    # The latest AMI, read at deploy from the public SSM parameter the template declares.
    image = template["Parameters"][instance["Properties"]["ImageId"]["Ref"]]
    assert image["Default"] == "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"


def test_the_grammar_finds_a_broken_script() -> None:
    assert _has_error(POWERSHELL.parse(b"while ($true) { $x = ").root_node)


def _has_error(node: Node) -> bool:
    return node.type == "ERROR" or node.is_missing or any(_has_error(child) for child in node.children)


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


def account(**variables: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "AWS_REGION": "eu-west-1",
        "AWS_PROFILE": "sandbox",
        **variables,
    }


def integ_check(*names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "tests" / "integ" / "run.sh"), "--check", *names],
        capture_output=True,
        text=True,
        env=account(),
        check=False,
        timeout=30,
    )


def test_make_integ_runs_every_test_but_the_windows_one_by_default() -> None:
    result = integ_check()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["integ_brake", "integ_hook_failure", "integ_hooked_patch"]


def test_make_integ_runs_the_tests_named_and_refuses_an_unknown_one() -> None:
    named = integ_check("integ_windows_hooked_patch", "integ_brake")
    assert (named.returncode, named.stdout.split()) == (0, ["integ_windows_hooked_patch", "integ_brake"])
    for wrong in ("integ_nothing", "fixture", "../integ/integ_brake", "integ_brake.py", "integ_brake;true", ""):
        refused = integ_check(wrong)
        assert refused.returncode == 2
        assert (
            refused.stderr.strip()
            == f"make integ: no integration test {wrong} (tests/integ/integ_*.py); nothing was deployed"
        )
