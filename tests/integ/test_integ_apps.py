"""The integration tests' apps, offline: what each deploys and asserts (their templates are also snapshots
and under every validator: tests/scenarios.py integ_*). Running them is ``make integ``'s, with an account."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
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


@functools.cache
def stacks(build: Any) -> dict[str, dict[str, Any]]:
    """Each stack's template of the test ``build`` defines, by name; synthesized once per test app (the
    tests only read them)."""
    app: App = new_app()
    build(app)
    return {stack.stack_name: stack.template for stack in app.synth().stacks}


def calls(template: dict[str, Any], physical: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The assertions' API calls, in template order: their parameters and expectations as JSON (each
    deploy-time value read as ``physical`` names it, by the output or attribute it reads), what they depend
    on, the fields they read back, and how long their waiter (if any) waits at most, in seconds."""
    found = []
    resources = template["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall"):
            props = resource["Properties"]
            text = {k: _text(v, physical or {}) for k, v in props.get("parameters", {}).items()}
            found.append(
                {
                    "id": logical_id,
                    "service": props["service"],
                    "api": props["api"],
                    "text": json.dumps(props),
                    "expected": _text(props.get("expected", ""), physical or {}),
                    "parameters": {k: json.loads(v) for k, v in text.items()},
                    "depends_on": resource.get("DependsOn", []),
                    "output_paths": props.get("outputPaths"),
                    "wait_seconds": _waits(resources, props),
                }
            )
    return found


def _waits(resources: dict[str, Any], props: dict[str, Any]) -> int | None:
    """The longest a waiting call's state machine retries: attempts times interval (its backoff is 1)."""
    if "stateMachineArn" not in props:
        return None
    machine = resources[props["stateMachineArn"]["Ref"]]["Properties"]["DefinitionString"]
    definition = "".join(part for part in machine["Fn::Join"][1] if isinstance(part, str))
    (retry,) = re.findall(r'"IntervalSeconds":(\d+),"MaxAttempts":(\d+),"BackoffRate":1\}', definition)
    return int(retry[0]) * int(retry[1])


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


UNDER_TEST = {
    integ_hooked_patch: "PatchHooksIntegHappy",
    integ_hook_failure: "PatchHooksIntegFailure",
    integ_brake: "PatchHooksIntegBrake",
    integ_windows_hooked_patch: "PatchHooksIntegWindows",
}
BOTOCORE = botocore.session.get_session()
SERVICES = {"SSM": "ssm", "CloudWatchLogs": "logs"}
# Calls whose whole response is small by their API (one window, one parameter, one filtered instance): the
# rest read one field back (outputPaths), since CloudFormation takes at most 4,096 bytes from a custom resource.
SMALL_RESPONSES = {"describeInstanceInformation", "getMaintenanceWindow", "getParameter"}
HOUR = 3600


def app_id(app: Any) -> str:
    return str(app.__name__).rsplit(".", 1)[-1]


def test_physical_ids_are_made_up_in_each_types_form() -> None:
    under_test = stacks(integ_brake.build)["PatchHooksIntegBrake"]
    assert re.fullmatch(r"i-[0-9a-f]{17}", physical_id(under_test, "Instance"))
    assert re.fullmatch(r"mw-[0-9a-f]{17}", physical_id(under_test, "MainWindow"))
    assert physical_id(under_test, "Instance")[2:] != physical_id(under_test, "MainWindow")[3:]


@pytest.mark.parametrize("app", APPS, ids=app_id)
def test_every_assertion_call_is_valid_for_its_api(app: Any) -> None:
    """Each call's parameters against botocore's model of its service (names, types, lengths, required
    members, enum values), with made-up physical ids in their real forms: a wrong call would fail only in the
    account, after the instance has been paid for."""
    for call in assertions_of(app.build, UNDER_TEST[app]):
        assert "<deploy-time>" not in json.dumps(call["parameters"])
        operation = BOTOCORE.get_service_model(SERVICES[call["service"]]).operation_model(
            call["api"][0].upper() + call["api"][1:]
        )
        validate_parameters(call["parameters"], operation.input_shape)
        assert not list(enum_errors(call["parameters"], operation.input_shape)), call["api"]


def enum_errors(value: Any, shape: Any, path: str = "") -> Iterator[str]:
    """Strings outside their shape's enum (botocore's validator checks types and lengths, not enums)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in value.items():
            yield from enum_errors(member, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from enum_errors(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from enum_errors(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        yield f"{path}: {value!r} is not one of {shape.enum}"


@pytest.mark.parametrize(
    ("operation", "parameters", "message"),
    [
        ("GetMaintenanceWindow", {"WindowID": "mw-0123456789abcdef0"}, 'Unknown parameter in input: "WindowID"'),
        ("GetMaintenanceWindow", {"WindowId": "mw-0"}, "Invalid length for parameter WindowId"),
        ("GetMaintenanceWindow", {}, 'Missing required parameter in input: "WindowId"'),
    ],
)
def test_the_api_check_refuses_a_wrong_call(operation: str, parameters: dict[str, Any], message: str) -> None:
    shape = BOTOCORE.get_service_model("ssm").operation_model(operation).input_shape
    validate_parameters({"WindowId": "mw-0123456789abcdef0"}, shape)
    with pytest.raises(ParamValidationError, match=re.escape(message)):
        validate_parameters(parameters, shape)


def test_the_enum_check_refuses_a_misspelt_filter_key_and_status() -> None:
    shape = BOTOCORE.get_service_model("ssm").operation_model("DescribeAutomationExecutions").input_shape
    good = {"Filters": [{"Key": "ExecutionStatus", "Values": ["Success"]}]}
    assert not list(enum_errors(good, shape))
    (error,) = enum_errors({"Filters": [{"Key": "ExecutionStatu", "Values": ["Success"]}]}, shape)
    assert error.startswith(".Filters[0].Key: 'ExecutionStatu' is not one of")


@pytest.mark.parametrize("app", APPS, ids=app_id)
def test_every_step_waits_for_the_one_before_and_reads_back_little(app: Any) -> None:
    assertions = assertions_of(app.build)
    for earlier, later in itertools.pairwise(assertions):
        assert earlier["id"] in later["depends_on"], f"{later['api']} does not wait for {earlier['api']}"
    for call in assertions:
        assert call["api"] in SMALL_RESPONSES or call["output_paths"], f"{call['api']} returns its whole response"
        # Each waiter gives up before CloudFormation's hour for a custom resource, with its own message.
        assert call["wait_seconds"] is None or call["wait_seconds"] <= HOUR - 10 * 60
    waiting = {call["api"] for call in assertions if call["wait_seconds"]}
    assert {"describeInstanceInformation", "getCommandInvocation"} <= waiting


def hooked_patch_steps(build: Any, stack_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    under_test = stacks(build)[stack_name]
    return under_test, assertions_of(build, stack_name)


def sent(assertions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call["parameters"] for call in assertions if call["api"] == "sendCommand"]


def expected_at(call: dict[str, Any]) -> str:
    return str(json.loads(call["expected"])["$StringLike"])


@pytest.mark.parametrize(
    ("app", "status", "phrases"),
    [
        (
            integ_hooked_patch,
            "Success",
            ["stop_app_gracefully: demo-app stopped after", "start_app_and_verify: demo-app is healthy after"],
        ),
        (
            integ_hook_failure,
            "Failed",
            [
                "integ: the pre-install hook fails on purpose",
                "start_app_and_verify: demo-app is already running and healthy",
            ],
        ),
    ],
    ids=["happy", "failure"],
)
def test_the_linux_patch_runs_the_stacks_hooks_and_finds_their_lines(app: Any, status: str, phrases: list[str]) -> None:
    under_test, assertions = hooked_patch_steps(app.build, UNDER_TEST[app])
    assert [call["api"] for call in assertions] == [
        "describeInstanceInformation",
        "sendCommand",  # user data done, the app active
        "getCommandInvocation",
        "sendCommand",  # the hooked patch
        "getCommandInvocation",
        *["filterLogEvents"] * len(phrases),
        "sendCommand",  # the health check
        "getCommandInvocation",
    ]
    ready, patch, health = sent(assertions)
    assert ready["Parameters"]["commands"] == ["cloud-init status --wait >/dev/null; systemctl is-active demo-app"]
    assert patch["DocumentName"] == "AWS-RunPatchBaselineWithHooks"
    assert patch["Parameters"]["Operation"] == ["Install"]
    assert patch["Parameters"]["RebootOption"] == ["NoReboot"]
    pre_install = "FailingPreInstall" if app is integ_hook_failure else "StopAppGracefully"
    hook_parameters = ("PreInstallHookDocName", "PostInstallHookDocName", "OnExitHookDocName")
    assert [patch["Parameters"][name] for name in hook_parameters] == [
        [physical_id(under_test, document)] for document in (pre_install, "UpdateApp", "StartAppAndVerify")
    ]
    log_group = physical_id(under_test, "CommandLogs")
    for command in (ready, patch, health):
        assert command["CloudWatchOutputConfig"] == {
            "CloudWatchLogGroupName": log_group,
            "CloudWatchOutputEnabled": True,
        }
    waits = [call for call in assertions if call["api"] == "getCommandInvocation"]
    assert [(w["output_paths"], expected_at(w)) for w in waits] == [
        (["StandardOutputContent"], "^active"),
        (["Status"], f"^{status}$"),
        (["StandardOutputContent"], "^ok"),
    ]
    searches = [call["parameters"] for call in assertions if call["api"] == "filterLogEvents"]
    assert [search["filterPattern"] for search in searches] == [f'"{phrase}"' for phrase in phrases]
    for search in searches:
        assert search["logGroupName"] == log_group
        assert search["logStreamNamePrefix"] == "0b9f1fa5-3a4e-4ac3-9c2b-0123456789ab"  # the patch command's id


@pytest.mark.parametrize("app", [integ_hooked_patch, integ_hook_failure, integ_brake], ids=app_id)
def test_the_linux_instance_misses_a_patch_its_baseline_approves_so_the_hooks_run(app: Any) -> None:
    """With nothing missing, Install skips to on-exit: the instance downgrades a package and the patch
    group's baseline approves every update (non-security too) on release day."""
    resources = stacks(app.build)[UNDER_TEST[app]]["Resources"]
    instance = next(r for r in resources.values() if r["Type"] == "AWS::EC2::Instance")
    tags = {tag["Key"]: tag["Value"] for tag in instance["Properties"]["Tags"]}
    user_data = instance["Properties"]["UserData"]["Fn::Base64"]
    assert 'do dnf -y downgrade "$package" && break; done' in user_data
    assert user_data.index("systemctl enable --now demo-app") < user_data.index("dnf -y downgrade")
    (baseline,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SSM::PatchBaseline"]
    assert baseline["OperatingSystem"] == "AMAZON_LINUX_2023"
    assert baseline["PatchGroups"] == [tags["PatchGroup"]]
    (rule,) = baseline["ApprovalRules"]["PatchRules"]
    assert rule["ApproveAfterDays"] == 0
    assert rule["EnableNonSecurity"] is True
    assert rule.get("PatchFilterGroup", {}).get("PatchFilters", []) == []


def test_the_brake_waits_for_the_main_window_disabled_then_checks_record_runbook_and_hook() -> None:
    under_test = stacks(integ_brake.build)["PatchHooksIntegBrake"]
    main = physical_id(under_test, "MainWindow")
    assertions = assertions_of(integ_brake.build, "PatchHooksIntegBrake")
    assert [call["api"] for call in assertions] == [
        "describeInstanceInformation",
        "sendCommand",
        "getCommandInvocation",
        "getMaintenanceWindow",
        "getParameter",
        "describeAutomationExecutions",
        "filterLogEvents",
    ]
    disabled, record, runbook, logged = assertions[3:]
    assert disabled["parameters"] == {"WindowId": main}
    assert json.loads(disabled["expected"]) == {"$ObjectLike": {"WindowId": main, "Enabled": False}}
    assert disabled["wait_seconds"] == 50 * 60
    assert record["parameters"] == {"Name": physical_id(under_test, "WavesHaltRecordMain")}
    halt_runbook = physical_id(under_test, "WavesHaltAfterCanary")
    assert runbook["parameters"]["Filters"] == [
        {"Key": "DocumentNamePrefix", "Values": [halt_runbook]},
        {"Key": "ExecutionStatus", "Values": ["Success"]},
    ]
    assert expected_at(runbook) == f"^{halt_runbook}$"
    assert runbook["wait_seconds"] == 10 * 60
    assert logged["parameters"] == {
        "logGroupName": physical_id(under_test, "CommandLogs"),
        "filterPattern": '"integ: the canary breaks the app on purpose"',
    }


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
    under_test, assertions = hooked_patch_steps(integ_windows_hooked_patch.build, "PatchHooksIntegWindows")
    on_exit = physical_id(under_test, "StartAppAndVerify")
    ready, start, patch, health = sent(assertions)
    assert ready["DocumentName"] == health["DocumentName"] == "AWS-RunPowerShellScript"
    assert ready["Parameters"]["commands"] == ["if (Test-Path -LiteralPath C:\\demo\\service.ps1) { 'ready' }"]
    assert (start["DocumentName"], start["Parameters"]) == (on_exit, {})
    assert patch["Parameters"]["OnExitHookDocName"] == [on_exit]
    assert health["Parameters"]["commands"] == [
        "(Invoke-WebRequest -UseBasicParsing -Uri http://127.0.0.1:8080/health).Content"
    ]
    searches = [call["parameters"]["filterPattern"] for call in assertions if call["api"] == "filterLogEvents"]
    assert searches == [
        '"demo-app is healthy after"',
        '"stop_app_gracefully: demo-app stopped after"',
        '"start_app_and_verify: demo-app is healthy after"',
    ]
    resources = under_test["Resources"]
    hooks = [r["Properties"]["Content"] for r in resources.values() if r["Type"] == "AWS::SSM::Document"]
    assert len(hooks) == 3
    for content in hooks:
        assert [step["name"] for step in content["mainSteps"]] == ["WindowsHook"]
    stop = next(c for c in hooks if "EscalateToKill" in c["parameters"])
    assert stop["parameters"]["ServiceManager"]["default"] == "pidfile"
    assert stop["parameters"]["EscalateToKill"]["default"] == "true"
    (baseline,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SSM::PatchBaseline"]
    assert baseline["OperatingSystem"] == "WINDOWS"
    assert baseline["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 0


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
    result = run_sh({"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **variables})
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


def run_sh(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """``run.sh --check [names]`` in ``env``: what make integ would run, without deploying."""
    return subprocess.run(
        ["bash", str(ROOT / "tests" / "integ" / "run.sh"), "--check", *names],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )


def integ_check(*names: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return run_sh(account(**variables), *names)


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


def test_make_integ_reads_tests_from_the_environment_as_words() -> None:
    """make passes TESTS through the environment (the Makefile never puts it in a command line)."""
    named = integ_check(TESTS="integ_brake  integ_hook_failure")
    assert (named.returncode, named.stdout.split()) == (0, ["integ_brake", "integ_hook_failure"])
    refused = integ_check(TESTS="integ_brake;touch /tmp/integ-injected $(touch /tmp/integ-injected)")
    assert refused.returncode == 2
    assert refused.stderr.startswith("make integ: no integration test integ_brake;touch")
    assert not Path("/tmp/integ-injected").exists()
    makefile = (ROOT / "Makefile").read_text()
    assert "tests/integ/run.sh $(TESTS)" not in makefile


def test_make_integ_takes_the_default_credentials_file_as_an_account(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n")
    result = run_sh({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_REGION": "eu-west-1"})
    assert result.returncode == 0, result.stderr
