"""The default app: deterministic synth, hook edits that touch only their document, and its outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib._internal import paths as _paths
from tests.builders import CDK_CONTEXT, ROOT, new_app, template
from tests.scenarios import default_app


def synth_app_py(outdir: Path, hash_seed: str) -> None:
    """Run app.py in its own process, with cdk.json's context as the CLI would pass it."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(CDK_CONTEXT),
        "PYTHONHASHSEED": hash_seed,
        "CDK_VALIDATION": "false",
    }
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, check=True, capture_output=True)


def test_two_synths_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    synth_app_py(first, "1")
    synth_app_py(second, "2")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert Path("PatchingDemo.template.json") in files
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def demo_resources() -> dict[str, Any]:
    resources: dict[str, Any] = template(default_app(new_app())).to_json()["Resources"]
    return resources


def test_editing_one_hook_script_changes_only_that_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = demo_resources()
    edited = tmp_path / "hook_scripts"
    shutil.copytree(_paths.HOOK_SCRIPTS_DIR, edited)
    script = edited / "linux" / "update_app.sh"
    script.write_text(script.read_text() + 'log "update finished"\n')
    monkeypatch.setattr(_paths, "HOOK_SCRIPTS_DIR", edited)
    after = demo_resources()

    assert set(before) == set(after)  # same logical ids: nothing is replaced
    changed = sorted(logical_id for logical_id in before if before[logical_id] != after[logical_id])
    assert len(changed) == 1
    assert changed[0].startswith("UpdateApp")
    assert after[changed[0]]["Properties"]["UpdateMethod"] == "NewVersion"
    assert after[changed[0]]["Properties"]["Content"]["mainSteps"][0]["inputs"]["runCommand"][-1] == (
        'log "update finished"'
    )


def test_default_app_reproduces_the_seed_scenario() -> None:
    t = template(default_app(new_app()))
    for system in ("AMAZON_LINUX_2023", "WINDOWS"):
        t.has_resource_properties(
            "AWS::SSM::PatchBaseline", {"OperatingSystem": system, "PatchGroups": ["PatchingDemo"]}
        )
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindow",
        {"Schedule": "cron(0 3 ? * SUN *)", "ScheduleTimezone": "America/New_York", "Duration": 3, "Cutoff": 1},
    )
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget", {"Targets": [{"Key": "tag:PatchGroup", "Values": ["PatchingDemo"]}]}
    )
    documents = t.find_resources("AWS::SSM::Document")
    names = {doc["Properties"]["Name"]: doc for doc in documents.values()}
    assert set(names) == {"PatchingDemo-StopAppGracefully", "PatchingDemo-UpdateApp", "PatchingDemo-StartAppAndVerify"}
    for doc in names.values():
        actions = [step["action"] for step in doc["Properties"]["Content"]["mainSteps"]]
        assert actions == ["aws:runShellScript", "aws:runPowerShellScript"]
    tasks = {
        task["Properties"]["Name"]: task["Properties"]
        for task in t.find_resources("AWS::SSM::MaintenanceWindowTask").values()
    }
    assert set(tasks) == {"PatchingTask", "ScanTask"}
    props = tasks["PatchingTask"]
    assert (props["Name"], props["Priority"], props["TaskType"], props["TaskArn"]) == (
        "PatchingTask",
        1,
        "RUN_COMMAND",
        "AWS-RunPatchBaselineWithHooks",
    )
    parameters = props["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["Parameters"]
    assert parameters["Operation"] == ["Install"]
    assert parameters["RebootOption"] == ["RebootIfNeeded"]
    assert "SnapshotId" not in parameters
    assert props["MaxConcurrency"]
    assert props["MaxErrors"]
    hooks_in_lifecycle_order = [
        documents[parameters[key][0]["Ref"]]["Properties"]["Name"]
        for key in ("PreInstallHookDocName", "PostInstallHookDocName", "OnExitHookDocName")
    ]
    assert hooks_in_lifecycle_order == [
        "PatchingDemo-StopAppGracefully",
        "PatchingDemo-UpdateApp",
        "PatchingDemo-StartAppAndVerify",
    ]
    outputs = t.to_json()["Outputs"]
    assert set(outputs) == {
        "MaintenanceWindowId",
        "ScanWindowId",
        "PreInstallHookDocument",
        "PostInstallHookDocument",
        "OnExitHookDocument",
        "NotificationTopicArn",
        "InstanceRoleArn",
    }


def test_default_app_scans_daily_and_keeps_output_and_notifies() -> None:
    t = template(default_app(new_app()))
    t.has_resource_properties(
        "AWS::SSM::MaintenanceWindow", {"Name": "PatchingDemo-DailyScan", "Schedule": "cron(0 1 ? * * *)", "Cutoff": 0}
    )
    tasks = {
        task["Properties"]["Name"]: task["Properties"]["TaskInvocationParameters"][
            "MaintenanceWindowRunCommandParameters"
        ]
        for task in t.find_resources("AWS::SSM::MaintenanceWindowTask").values()
    }
    assert tasks["ScanTask"]["Parameters"] == {"Operation": ["Scan"], "RebootOption": ["RebootIfNeeded"]}
    for name, prefix in (
        ("PatchingTask", "patching/PatchingDemo/Window/PatchingTask"),
        ("ScanTask", "patching/PatchingDemo/ScanWindow/ScanTask"),
    ):
        assert tasks[name]["OutputS3KeyPrefix"] == prefix
        assert tasks[name]["CloudWatchOutputConfig"]["CloudWatchOutputEnabled"] is True
        assert tasks[name]["NotificationConfig"]["NotificationEvents"] == ["Failed", "TimedOut", "Cancelled"]
    t.resource_count_is("AWS::SNS::Topic", 1)
    t.resource_count_is("AWS::IAM::InstanceProfile", 1)


def test_the_demo_instance_role_trusts_ec2_only_and_writes_only_the_command_output() -> None:
    body = template(default_app(new_app())).to_json()
    roles = {k: r["Properties"] for k, r in body["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    ((role_id, instance_role),) = [(k, p) for k, p in roles.items() if k.startswith("InstanceRole")]
    (trust,) = instance_role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}
    managed = [json.dumps(arn) for arn in instance_role.get("ManagedPolicyArns", [])]
    assert len(managed) == 1
    assert "AmazonSSMManagedInstanceCore" in managed[0]
    writer_actions = sorted(
        action
        for resource in body["Resources"].values()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        and {"Ref": role_id} in resource["Properties"].get("Roles", [])
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert writer_actions == [
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "s3:GetEncryptionConfiguration",
        "s3:PutObject",
    ]
