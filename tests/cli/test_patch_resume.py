"""patch-resume: the exact CloudFormation and SSM calls, stubbed with botocore's Stubber (no network)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.stub import Stubber

from constructs_lib.cli.command import CommandError
from constructs_lib.cli.patch_resume import main, parse_args, run
from tests.builders import new_app, template
from tests.scenarios import canary_waves, minimal

STACK = "Waves"
RECORD = "CFN-WavesHaltRecordWeb-abc"
WINDOW = "mw-0123456789abcdef0"


def stub_stack(cfn_stub: Stubber, body: dict[str, Any]) -> None:
    def physical(logical_id: str, resource: dict[str, Any]) -> str:
        if resource["Type"] == "AWS::SSM::Parameter":
            return RECORD
        if resource["Type"] == "AWS::SSM::MaintenanceWindow" and logical_id.startswith("Web"):
            return WINDOW
        return f"phys-{logical_id.lower()}"

    cfn_stub.add_response(
        "get_template", {"TemplateBody": json.dumps(body)}, {"StackName": STACK, "TemplateStage": "Processed"}
    )
    summaries = [
        {
            "LogicalResourceId": k,
            "PhysicalResourceId": physical(k, r),
            "ResourceType": r["Type"],
            "LastUpdatedTimestamp": "2026-11-27T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
        for k, r in body["Resources"].items()
    ]
    cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK})


def stub_wave(ssm_stub: Stubber, state: str, enabled: bool) -> None:
    ssm_stub.add_response("get_parameter", {"Parameter": {"Name": RECORD, "Value": state}}, {"Name": RECORD})
    ssm_stub.add_response(
        "get_maintenance_window",
        {"WindowId": WINDOW, "Name": "Waves-Web-Patch", "Enabled": enabled},
        {"WindowId": WINDOW},
    )


HALTED = "halted after Waves/Canary: window execution b60fb56e-776c-4e5c-84ee-123456789012 ended FAILED"


@pytest.fixture
def waves_template() -> dict[str, Any]:
    return dict(template(canary_waves(new_app())).to_json())


def test_shows_the_halted_wave_then_reopens_record_first_then_window(
    clients: Any, waves_template: dict[str, Any]
) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, waves_template)
    stub_wave(ssm_stub, HALTED, enabled=False)
    ssm_stub.add_response(
        "put_parameter", {"Version": 2}, {"Name": RECORD, "Value": "open", "Type": "String", "Overwrite": True}
    )
    ssm_stub.add_response("update_maintenance_window", {"WindowId": WINDOW}, {"WindowId": WINDOW, "Enabled": True})
    out = io.StringIO()
    assert run(parse_args(["--stack", STACK, "--yes"]), cloudformation, ssm, out) == 0
    assert out.getvalue().splitlines() == [
        f"HALTED  Waves-Web-Patch ({WINDOW}, disabled): {HALTED}",
        f"re-opened Waves-Web-Patch ({WINDOW}): record {RECORD} open, window enabled",
    ]


def test_dry_run_shows_and_changes_nothing(clients: Any, waves_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, waves_template)
    stub_wave(ssm_stub, HALTED, enabled=False)
    out = io.StringIO()
    assert run(parse_args(["--stack", STACK, "--dry-run"]), cloudformation, ssm, out) == 0
    assert out.getvalue().startswith("HALTED  Waves-Web-Patch")


def test_a_declined_question_changes_nothing_and_exits_1(clients: Any, waves_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, waves_template)
    stub_wave(ssm_stub, HALTED, enabled=False)
    questions: list[str] = []
    out = io.StringIO()

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    assert run(parse_args(["--stack", STACK]), cloudformation, ssm, out, confirm=decline) == 1
    assert questions == [f"Re-open 1 halted wave(s): records to open, windows {WINDOW} enabled? [y/N] "]
    assert out.getvalue().splitlines()[-1] == "nothing changed"


def test_without_a_terminal_it_refuses_without_yes(
    clients: Any, waves_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, waves_template)
    stub_wave(ssm_stub, HALTED, enabled=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match=r"re-enables patch windows: pass --yes to confirm"):
        run(parse_args(["--stack", STACK]), cloudformation, ssm, io.StringIO())


def test_nothing_halted_is_exit_0_and_a_disabled_open_window_is_left_alone(
    clients: Any, waves_template: dict[str, Any]
) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, waves_template)
    stub_wave(ssm_stub, "open", enabled=False)
    out = io.StringIO()
    assert run(parse_args(["--stack", STACK, "--yes"]), cloudformation, ssm, out) == 0
    assert out.getvalue().splitlines()[1:] == [
        f"        {WINDOW} is disabled but its wave is open: not the brake's doing, left alone",
        "no wave is halted",
    ]


def test_a_stack_without_waves_is_one_line(clients: Any) -> None:
    cloudformation, ssm, cfn_stub, _ = clients
    stub_stack(cfn_stub, dict(template(minimal(new_app())).to_json()))
    with pytest.raises(CommandError, match=r"stack Waves has no patch waves \(no HaltGate task\)"):
        run(parse_args(["--stack", STACK]), cloudformation, ssm, io.StringIO())


def test_no_region_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    assert main(["--stack", STACK]) == 2
    assert capsys.readouterr().err.startswith("patch-resume: no AWS region")
