"""patch-now: the exact CloudFormation and SSM calls, stubbed with botocore's Stubber (no network)."""

from __future__ import annotations

import argparse
import copy
import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from constructs_lib.cli.assembly import AssemblyError
from constructs_lib.cli.command import CommandError
from constructs_lib.cli.managed_nodes import ManagedNode, resolve
from constructs_lib.cli.patch_now import PlannedCommand, main, parse_args, run, split_canary
from tests.builders import new_app, template
from tests.scenarios import default_app

STACK = "PatchingDemo"
SNAPSHOT = "11111111-2222-4333-8444-555555555555"
CMD = "3c7e9d2a-5b1f-4c2e-8a6d-0f9e8d7c6b5a"


@pytest.fixture
def demo_template() -> dict[str, Any]:
    return dict(template(default_app(new_app())).to_json())


def physical_ids(body: dict[str, Any]) -> dict[str, str]:
    """Plausible physical ids: documents keep their names, the rest get fake ids."""
    ids = {}
    for logical_id, resource in body["Resources"].items():
        name = resource.get("Properties", {}).get("Name")
        ids[logical_id] = name if resource["Type"] == "AWS::SSM::Document" else f"phys-{logical_id.lower()}"
    return ids


def stub_stack(cfn_stub: Stubber, body: dict[str, Any]) -> dict[str, str]:
    ids = physical_ids(body)
    cfn_stub.add_response(
        "get_template", {"TemplateBody": json.dumps(body)}, {"StackName": STACK, "TemplateStage": "Processed"}
    )
    summaries = [
        {
            "LogicalResourceId": k,
            "PhysicalResourceId": v,
            "ResourceType": body["Resources"][k]["Type"],
            "LastUpdatedTimestamp": "2026-11-27T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
        for k, v in ids.items()
    ]
    cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK})
    return ids


WEB_1, WEB_2, WEB_3 = "i-0123456789abcdef0", "i-0fedcba9876543210", "i-0aaaaaaaaaaaaaaa1"


def stub_nodes(
    ssm_stub: Stubber,
    filters: list[dict[str, Any]] | None = None,
    nodes: list[tuple[str, str]] | None = None,
) -> None:
    """DescribeInstanceInformation answering ``filters`` (default: the demo's tag) with (instance id, ping)."""
    ssm_stub.add_response(
        "describe_instance_information",
        {
            "InstanceInformationList": [
                {"InstanceId": i, "PingStatus": ping, "ComputerName": f"host-{n}", "PlatformName": "Amazon Linux"}
                for n, (i, ping) in enumerate(nodes if nodes is not None else [(WEB_1, "Online"), (WEB_2, "Online")])
            ]
        },
        {"Filters": filters or [{"Key": "tag:PatchGroup", "Values": ["PatchingDemo"]}]},
    )


def expected_send(ids: dict[str, str], body: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    log_group = next(k for k, r in body["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup")
    bucket = next(k for k in body["Resources"] if k.startswith("OutputBucket") and "Policy" not in k)
    request = {
        "DocumentName": "AWS-RunPatchBaselineWithHooks",
        "Targets": [{"Key": "tag:PatchGroup", "Values": ["PatchingDemo"]}],
        "Parameters": {
            "Operation": ["Install"],
            "RebootOption": ["RebootIfNeeded"],
            "PreInstallHookDocName": ["PatchingDemo-StopAppGracefully"],
            "PostInstallHookDocName": ["PatchingDemo-UpdateApp"],
            "OnExitHookDocName": ["PatchingDemo-StartAppAndVerify"],
            "SnapshotId": [SNAPSHOT],
        },
        "MaxConcurrency": "10%",
        "MaxErrors": "1",
        "Comment": "patch-now: PatchingDemo PatchingTask",
        "OutputS3BucketName": ids[bucket],
        "OutputS3KeyPrefix": "patching/PatchingDemo/Window/PatchingTask/patch-now",
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": ids[log_group], "CloudWatchOutputEnabled": True},
    }
    request.update(overrides)
    return request


def command(status: str) -> dict[str, Any]:
    return {"Commands": [{"CommandId": CMD, "Status": status}]}


def test_sends_the_task_waits_and_prints_each_instance(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    ssm_stub.add_response(
        "send_command", {"Command": {"CommandId": CMD}}, expected_send(ids, demo_template, MaxConcurrency="1")
    )
    ssm_stub.add_response("list_commands", command("InProgress"), {"CommandId": CMD})
    ssm_stub.add_response("list_commands", command("Success"), {"CommandId": CMD})
    ssm_stub.add_response(
        "list_command_invocations",
        {
            "CommandInvocations": [
                {
                    "InstanceId": "i-0123456789abcdef0",
                    "InstanceName": "web-1",
                    "Status": "Success",
                    "StatusDetails": "Success",
                },
                {
                    "InstanceId": "i-0fedcba9876543210",
                    "InstanceName": "web-2",
                    "Status": "Success",
                    "StatusDetails": "Success",
                },
            ]
        },
        {"CommandId": CMD},
    )
    out = io.StringIO()
    sleeps: list[float] = []
    args = task_args("--max-concurrency", "1", "--poll", "5")
    status = run(args, cloudformation, ssm, out, sleep=sleeps.append, clock=lambda: 0.0)
    assert status == 0
    assert sleeps == [5]
    lines = out.getvalue().splitlines()
    assert lines[0] == f"sent {CMD} to PatchingDemo-Fleet (SnapshotId {SNAPSHOT})"
    assert lines[2].split() == ["i-0123456789abcdef0", "web-1", "Success", "Success"]
    assert lines[-1] == f"command {CMD}: Success"


def test_a_failed_run_exits_1(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, expected_send(ids, demo_template))
    ssm_stub.add_response("list_commands", command("Failed"), {"CommandId": CMD})
    ssm_stub.add_response(
        "list_command_invocations",
        {"CommandInvocations": [{"InstanceId": "i-0123456789abcdef0", "Status": "Failed", "StatusDetails": "Failed"}]},
        {"CommandId": CMD},
    )
    out = io.StringIO()
    args = task_args()
    assert run(args, cloudformation, ssm, out, sleep=lambda _: None, clock=lambda: 0.0) == 1
    assert out.getvalue().splitlines()[-1] == f"command {CMD}: Failed"


def test_no_wait_only_sends(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    ssm_stub.add_response(
        "send_command",
        {"Command": {"CommandId": CMD}},
        expected_send(
            ids,
            demo_template,
            Parameters={**expected_send(ids, demo_template)["Parameters"], "RebootOption": ["NoReboot"]},
        ),
    )
    args = task_args("--reboot-option", "NoReboot", "--no-wait")
    assert run(args, cloudformation, ssm, io.StringIO()) == 0


def test_gives_up_waiting_at_the_timeout(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, expected_send(ids, demo_template))
    ssm_stub.add_response("list_commands", command("InProgress"), {"CommandId": CMD})
    ssm_stub.add_response("list_commands", command("InProgress"), {"CommandId": CMD})
    ssm_stub.add_response("list_command_invocations", {"CommandInvocations": []}, {"CommandId": CMD})
    times = iter([0.0, 30.0, 61.0])
    args = task_args("--timeout", "60")
    out = io.StringIO()
    assert run(args, cloudformation, ssm, out, sleep=lambda _: None, clock=lambda: next(times)) == 1
    assert out.getvalue().splitlines()[-2:] == [
        f"command {CMD}: InProgress",
        f"command {CMD} is still InProgress after --timeout; it goes on (stop it with aws ssm cancel-command "
        f"--command-id {CMD})",
    ]


def test_the_task_must_be_named_when_the_stack_has_several_hooked_install_tasks(
    clients: Any, demo_template: dict[str, Any]
) -> None:
    cloudformation, ssm, cfn_stub, _ = clients
    template = copy.deepcopy(demo_template)
    scan = next(
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"]["Name"] == "ScanTask"
    )
    parameters = scan["Properties"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["Parameters"]
    parameters.update({"Operation": ["Install"], "OnExitHookDocName": ["AWS-Noop"]})
    stub_stack(cfn_stub, template)
    with pytest.raises(
        AssemblyError,
        match=r"more than one task and 2 hooked Install tasks; pick one with --task \(tasks: PatchingTask, ScanTask\)",
    ):
        run(parse_args(["--stack", STACK]), cloudformation, ssm, io.StringIO())


def test_an_unknown_task(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, _ = clients
    stub_stack(cfn_stub, demo_template)
    with pytest.raises(AssemblyError, match=r"no task named 'Nightly' \(tasks: PatchingTask, ScanTask\)"):
        run(parse_args(["--stack", STACK, "--task", "Nightly"]), cloudformation, ssm, io.StringIO())


def test_the_cli_starts_without_the_cdk() -> None:
    import subprocess
    import sys

    probe = "import constructs_lib.cli.patch_now, sys; print('aws_cdk' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_package_still_exports_everything_lazily() -> None:
    import constructs_lib

    for name in constructs_lib.__all__:
        assert getattr(constructs_lib, name) is not None, name


def test_no_region_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    assert main(["--stack", STACK]) == 2
    assert capsys.readouterr().err == (
        "patch-now: no AWS region: pass --region or set AWS_REGION (or a profile's region)\n"
    )


def test_no_credentials_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    # No instance metadata either: nothing may call AWS, or wait for it.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["--stack", STACK, "--region", "eu-west-1"]) == 2
    assert capsys.readouterr().err == "patch-now: no AWS credentials: set a profile (AWS_PROFILE) or credentials\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--max-concurrency", "0"], "argument --max-concurrency: max_concurrency must be a count such as 10"),
        (["--max-errors", "101%"], "argument --max-errors: max_errors must be 0, a count such as 10"),
        (["--snapshot-id", "today"], "argument --snapshot-id: snapshot_id must be a GUID such as"),
        (["--timeout", "0"], "argument --timeout: must be from 1 to 172800; got 0"),
        (["--poll", "x"], "argument --poll: must be a whole number from 1 to 3600; got 'x'"),
    ],
)
def test_bad_overrides_exit_2_before_any_aws_call(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--stack", STACK, "--region", "eu-west-1", *arguments])
    assert exit_info.value.code == 2
    assert f"patch-now: error: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [["--max-concurrency", "100%"], ["--max-errors", "0"], ["--snapshot-id", "0B3E5A8C-4F2D-4C1E-9A7B-3D2F1E0C9B8A"]],
)
def test_good_overrides_are_taken(arguments: list[str]) -> None:
    assert parse_args(["--stack", STACK, *arguments])


def test_dry_run_prints_the_one_request_and_sends_nothing(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    out = io.StringIO()
    args = parse_args(["--stack", STACK, "--task", "PatchingTask", "--snapshot-id", SNAPSHOT, "--dry-run"])
    assert run(args, cloudformation, ssm, out) == 0  # no send_command stubbed: a call would fail the stub
    nodes, request = out.getvalue().split("would send to PatchingDemo-Fleet:\n")
    assert nodes.splitlines() == [
        "managed nodes the targets reach now (2):",
        f"  {WEB_1:<22} {'host-0':<24} {'Amazon Linux':<20} Online",
        f"  {WEB_2:<22} {'host-1':<24} {'Amazon Linux':<20} Online",
    ]
    assert json.loads(request) == expected_send(ids, demo_template)


def test_without_yes_and_without_a_terminal_nothing_is_sent(
    clients: Any, demo_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match=r"pass --yes to confirm"):
        run(parse_args(["--stack", STACK, "--task", "PatchingTask"]), cloudformation, ssm, io.StringIO())


def test_a_declined_confirmation_sends_nothing_and_exits_1(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    questions: list[str] = []
    out = io.StringIO()

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    args = parse_args(["--stack", STACK, "--task", "PatchingTask"])
    assert run(args, cloudformation, ssm, out, confirm=decline) == 1
    assert questions == [
        "Run Install with RebootIfNeeded now on tag:PatchGroup = PatchingDemo, 2 managed nodes now (10% at a time, "
        "stopping once more than 1 fail)? [y/N] "
    ]
    assert out.getvalue() == "nothing sent\n"


def test_instance_ids_patch_only_those_instances_in_one_command(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    canary = ["i-0123456789abcdef0", "mi-0123456789abcdef0"]
    stub_nodes(ssm_stub, [{"Key": "InstanceIds", "Values": canary}], [(canary[0], "Online"), (canary[1], "Online")])
    request = expected_send(ids, demo_template, Targets=[{"Key": "InstanceIds", "Values": canary}])
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, request)
    args = parse_args(
        [
            "--yes",
            "--no-wait",
            "--stack",
            STACK,
            "--task",
            "PatchingTask",
            "--snapshot-id",
            SNAPSHOT,
            "--instance-ids",
            ",".join(canary),
        ]
    )
    assert run(args, cloudformation, ssm, io.StringIO()) == 0


def test_two_window_targets_of_one_key_become_one_command(clients: Any, demo_template: dict[str, Any]) -> None:
    body = copy.deepcopy(demo_template)
    task_id, task = next(
        (k, r)
        for k, r in body["Resources"].items()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"].get("Name") == "PatchingTask"
    )
    target_id = task["Properties"]["Targets"][0]["Values"][0]["Ref"]
    second = copy.deepcopy(body["Resources"][target_id])
    second["Properties"]["Name"] = "Canary"
    second["Properties"]["Targets"] = [{"Key": "tag:PatchGroup", "Values": ["canary", "PatchingDemo"]}]
    body["Resources"]["CanaryTarget"] = second
    task["Properties"]["Targets"][0]["Values"].append({"Ref": "CanaryTarget"})
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, body)
    merged = [{"Key": "tag:PatchGroup", "Values": ["PatchingDemo", "canary"]}]
    stub_nodes(ssm_stub, merged)
    request = expected_send(ids, body, Targets=merged)
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, request)
    args = parse_args(["--yes", "--no-wait", "--stack", STACK, "--task", "PatchingTask", "--snapshot-id", SNAPSHOT])
    out = io.StringIO()
    assert run(args, cloudformation, ssm, out) == 0
    assert out.getvalue() == f"sent {CMD} to PatchingDemo-Fleet + Canary (SnapshotId {SNAPSHOT})\n"
    assert task_id


def test_window_targets_of_different_keys_are_refused_not_sent_twice(
    clients: Any, demo_template: dict[str, Any]
) -> None:
    body = copy.deepcopy(demo_template)
    task = next(
        r
        for r in body["Resources"].values()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"].get("Name") == "PatchingTask"
    )
    target_id = task["Properties"]["Targets"][0]["Values"][0]["Ref"]
    second = copy.deepcopy(body["Resources"][target_id])
    second["Properties"]["Targets"] = [{"Key": "tag:Env", "Values": ["prod"]}]
    body["Resources"]["EnvTarget"] = second
    task["Properties"]["Targets"][0]["Values"].append({"Ref": "EnvTarget"})
    cloudformation, ssm, cfn_stub, _ = clients
    stub_stack(cfn_stub, body)
    with pytest.raises(CommandError, match=r"can't be merged into one command .* pass --instance-ids"):
        run(parse_args(["--yes", "--stack", STACK, "--task", "PatchingTask"]), cloudformation, ssm, io.StringIO())


@pytest.mark.parametrize("ids", ["i-1", "i-0123456789abcdef0,i-0123456789abcdef0", ""])
def test_bad_instance_ids_exit_2(ids: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--stack", STACK, "--instance-ids", ids])
    assert exit_info.value.code == 2
    assert "argument --instance-ids: instance_ids must" in capsys.readouterr().err


def task_args(*extra: str) -> argparse.Namespace:
    """The demo task sent with --yes and a fixed SnapshotId, plus ``extra``."""
    return parse_args(["--yes", "--stack", STACK, "--task", "PatchingTask", "--snapshot-id", SNAPSHOT, *extra])


THREE_NODES = [(WEB_3, "ConnectionLost"), (WEB_1, "Online"), (WEB_2, "Online")]


def test_canary_first_then_the_others_with_the_same_snapshot(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=THREE_NODES)
    # The canary: an online node (the lowest id of those), no error tolerated.
    canary = expected_send(ids, demo_template, Targets=[{"Key": "InstanceIds", "Values": [WEB_1]}], MaxErrors="0")
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, canary)
    ssm_stub.add_response("list_commands", command("Success"), {"CommandId": CMD})
    ssm_stub.add_response("list_command_invocations", {"CommandInvocations": []}, {"CommandId": CMD})
    rest = expected_send(ids, demo_template, Targets=[{"Key": "InstanceIds", "Values": [WEB_3, WEB_2]}])
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, rest)
    ssm_stub.add_response("list_commands", command("Success"), {"CommandId": CMD})
    ssm_stub.add_response("list_command_invocations", {"CommandInvocations": []}, {"CommandId": CMD})
    out = io.StringIO()
    assert run(task_args("--canary", "1"), cloudformation, ssm, out, sleep=lambda _: None, clock=lambda: 0.0) == 0
    sent = [line for line in out.getvalue().splitlines() if line.startswith("sent ")]
    assert sent == [
        f"sent {CMD} to canary of 1 (SnapshotId {SNAPSHOT})",
        f"sent {CMD} to the other 2 (SnapshotId {SNAPSHOT})",
    ]


def stub_run(ssm_stub: Stubber, request: dict[str, Any], statuses: list[str], invocation: dict[str, str]) -> None:
    """One command sent, listed with each of ``statuses`` in turn ("" = not listed yet), one invocation."""
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, request)
    for status in statuses:
        ssm_stub.add_response("list_commands", command(status) if status else {"Commands": []}, {"CommandId": CMD})
    ssm_stub.add_response("list_command_invocations", {"CommandInvocations": [invocation]}, {"CommandId": CMD})


def test_a_failed_canary_stops_before_the_others_and_exits_1(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=THREE_NODES)
    canary = expected_send(
        ids, demo_template, Targets=[{"Key": "InstanceIds", "Values": [WEB_1, WEB_2]}], MaxErrors="0"
    )
    stub_run(ssm_stub, canary, ["Failed"], {"InstanceId": WEB_1, "Status": "Failed", "StatusDetails": "Failed"})
    out = io.StringIO()
    # No second send_command is stubbed: sending the rest would fail the stub.
    assert run(task_args("--canary", "2"), cloudformation, ssm, out, sleep=lambda _: None, clock=lambda: 0.0) == 1
    assert out.getvalue().splitlines()[-1] == "the canary did not succeed (Failed): the other 1 not patched"


def test_a_canary_as_large_as_the_fleet_is_refused(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    with pytest.raises(CommandError, match=r"--canary 2 leaves no node for after it: the targets reach 2 managed"):
        run(task_args("--canary", "2"), cloudformation, ssm, io.StringIO())


def test_canary_needs_waiting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--stack", STACK, "--canary", "1", "--no-wait"])
    assert exit_info.value.code == 2
    assert "--canary waits for the canary before the rest: drop --no-wait" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"), [("0", "must be from 1 to 50; got 0"), ("51", "must be from 1 to 50; got 51")]
)
def test_bad_canary_sizes_exit_2(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--stack", STACK, "--canary", value])
    assert f"argument --canary: {message}" in capsys.readouterr().err


def test_targets_reaching_no_managed_node_send_nothing(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=[])
    with pytest.raises(CommandError, match=r"PatchingDemo-Fleet reaches no managed node now, so nothing"):
        run(task_args(), cloudformation, ssm, io.StringIO())


def test_instance_ids_that_are_not_managed_nodes_are_named(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, [{"Key": "InstanceIds", "Values": [WEB_1, WEB_3]}], [(WEB_1, "Online")])
    out = io.StringIO()
    assert run(task_args("--dry-run", "--instance-ids", f"{WEB_1},{WEB_3}"), cloudformation, ssm, out) == 0
    assert out.getvalue().splitlines()[0] == f"not managed nodes now (Systems Manager can't reach them): {WEB_3}"


def test_dry_run_with_a_canary_prints_both_requests(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=THREE_NODES)
    out = io.StringIO()
    assert run(task_args("--dry-run", "--canary", "1"), cloudformation, ssm, out) == 0
    text = out.getvalue()
    canary = json.loads(text.split("would send to canary of 1:\n")[1].split("would send to")[0])
    rest = json.loads(text.split("would send to the other 2:\n")[1])
    assert (canary["Targets"], canary["MaxErrors"]) == ([{"Key": "InstanceIds", "Values": [WEB_1]}], "0")
    assert (rest["Targets"], rest["MaxErrors"]) == ([{"Key": "InstanceIds", "Values": [WEB_3, WEB_2]}], "1")


def test_more_than_50_others_go_as_the_task_targets() -> None:
    nodes = [ManagedNode(f"i-{n:017x}", "", "", "Online") for n in range(52)]
    whole = PlannedCommand("Fleet", {"Targets": [{"Key": "tag:PatchGroup", "Values": ["web"]}], "MaxErrors": "1"})
    canary, rest = split_canary(whole, nodes, 1)
    assert canary.request["Targets"] == [{"Key": "InstanceIds", "Values": [nodes[0].instance_id]}]
    assert rest == PlannedCommand("Fleet (the canary again)", whole.request)


def test_a_resource_group_is_resolved_to_its_instances_in_chunks_of_100() -> None:
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")  # noqa: S106
    ssm, groups = session.client("ssm"), session.client("resource-groups")
    ids = [f"i-{n:017x}" for n in range(120)]
    arns = [{"Identifier": {"ResourceArn": f"arn:aws:ec2:us-east-1:111111111111:instance/{i}"}} for i in ids]
    with Stubber(ssm) as ssm_stub, Stubber(groups) as groups_stub:
        groups_stub.add_response(
            "list_group_resources",
            {"Resources": arns},
            {"Group": "web", "Filters": [{"Name": "resource-type", "Values": ["AWS::EC2::Instance"]}]},
        )
        for chunk in (ids[:100], ids[100:]):
            stub_nodes(ssm_stub, [{"Key": "InstanceIds", "Values": chunk}], [(i, "Online") for i in chunk])
        targets = [
            {"Key": "resource-groups:Name", "Values": ["web"]},
            {"Key": "resource-groups:ResourceTypeFilters", "Values": ["AWS::EC2::Instance"]},
        ]
        assert [node.instance_id for node in resolve(ssm, groups, targets)] == ids
        groups_stub.assert_no_pending_responses()
        ssm_stub.assert_no_pending_responses()


def test_a_target_key_ssm_cannot_describe_is_refused() -> None:
    with pytest.raises(CommandError, match=r"can't resolve target keys \['ParameterValues'\]"):
        resolve(None, None, [{"Key": "ParameterValues", "Values": ["x"]}])


def test_a_canary_takes_only_online_nodes(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=[(WEB_1, "Online"), (WEB_2, "ConnectionLost"), (WEB_3, "ConnectionLost")])
    with pytest.raises(
        CommandError,
        match=rf"--canary 2 needs 2 online nodes; only 1 online \({WEB_3} ConnectionLost, {WEB_2} ConnectionLost\)",
    ):
        run(task_args("--canary", "2"), cloudformation, ssm, io.StringIO())


def test_an_undeliverable_canary_invocation_stops_the_rest(clients: Any, demo_template: dict[str, Any]) -> None:
    """Undeliverable invocations don't fail the command (API model: SendCommand MaxErrors): each counts."""
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub, nodes=THREE_NODES)
    canary = expected_send(ids, demo_template, Targets=[{"Key": "InstanceIds", "Values": [WEB_1]}], MaxErrors="0")
    undeliverable = {"InstanceId": WEB_1, "Status": "Failed", "StatusDetails": "Undeliverable"}
    stub_run(ssm_stub, canary, ["", "Success"], undeliverable)
    out = io.StringIO()
    assert run(task_args("--canary", "1"), cloudformation, ssm, out, sleep=lambda _: None, clock=lambda: 0.0) == 1
    assert out.getvalue().splitlines()[-1] == "the canary did not succeed (Failed): the other 2 not patched"


def test_an_aws_error_while_waiting_says_the_command_was_sent(clients: Any, demo_template: dict[str, Any]) -> None:
    cloudformation, ssm, cfn_stub, ssm_stub = clients
    ids = stub_stack(cfn_stub, demo_template)
    stub_nodes(ssm_stub)
    ssm_stub.add_response("send_command", {"Command": {"CommandId": CMD}}, expected_send(ids, demo_template))
    ssm_stub.add_client_error("list_commands", "ThrottlingException", "Rate exceeded")
    with pytest.raises(CommandError, match=rf"while following command {CMD} \(sent; it may still run\).*Rate exceeded"):
        run(task_args(), cloudformation, ssm, io.StringIO(), sleep=lambda _: None, clock=lambda: 0.0)


def test_end_of_input_at_the_question_is_a_no(monkeypatch: pytest.MonkeyPatch) -> None:
    from constructs_lib.cli import patch_now

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def eof(_: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert patch_now.ask("Run? ") is False


def with_second_target(body: dict[str, Any], targets: list[dict[str, Any]], first: list[dict[str, Any]]) -> None:
    task = next(
        r
        for r in body["Resources"].values()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"].get("Name") == "PatchingTask"
    )
    target_id = task["Properties"]["Targets"][0]["Values"][0]["Ref"]
    body["Resources"][target_id]["Properties"]["Targets"] = first
    second = copy.deepcopy(body["Resources"][target_id])
    second["Properties"]["Targets"] = targets
    body["Resources"]["SecondTarget"] = second
    task["Properties"]["Targets"][0]["Values"].append({"Ref": "SecondTarget"})


def test_two_resource_groups_are_not_merged(clients: Any, demo_template: dict[str, Any]) -> None:
    body = copy.deepcopy(demo_template)
    group = "resource-groups:Name"
    with_second_target(body, [{"Key": group, "Values": ["g2"]}], [{"Key": group, "Values": ["g1"]}])
    cloudformation, ssm, cfn_stub, _ = clients
    stub_stack(cfn_stub, body)
    with pytest.raises(CommandError, match=r"can't be merged into one command"):
        run(task_args(), cloudformation, ssm, io.StringIO())


def test_a_resource_type_filter_is_refused_before_anything_is_sent(clients: Any, demo_template: dict[str, Any]) -> None:
    body = copy.deepcopy(demo_template)
    task = next(
        r
        for r in body["Resources"].values()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"].get("Name") == "PatchingTask"
    )
    target_id = task["Properties"]["Targets"][0]["Values"][0]["Ref"]
    body["Resources"][target_id]["Properties"]["Targets"] = [
        {"Key": "resource-groups:Name", "Values": ["web"]},
        {"Key": "resource-groups:ResourceTypeFilters", "Values": ["AWS::EC2::Instance"]},
    ]
    cloudformation, ssm, cfn_stub, _ = clients
    stub_stack(cfn_stub, body)
    with pytest.raises(CommandError, match=r"filters its resource group by type, which only maintenance windows"):
        run(task_args(), cloudformation, ssm, io.StringIO())
