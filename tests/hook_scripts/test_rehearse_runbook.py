"""patch-rehearse on a PatchRunbook task (examples/web): the load balancer and Auto Scaling calls asserted by
botocore's Stubber in the order and with the requests written out here, the hooked patch run for real
against the demo service, in every scenario plus app-unhealthy-after-patch."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.cli.rehearse import RehearsalError, parse_args, run
from examples.demo.rehearse import reboot_command
from tests.builders import synth_assembly
from tests.hook_scripts.harness import DemoService, free_port
from tests.scenarios import default_app, load_balanced

# The runbook's steps in a run where the patch succeeds and the instance is healthy again, as the
# documented sequence says: your step, where the instance is, out of service, patch, back, your step.
HEALTHY_RUN = [
    ("MarkUnderMaintenance", "Success"),
    ("CheckAutoScalingGroup", "Success"),
    ("FindAutoScalingGroup", "Success"),
    ("ReadTargetGroup1", "Success"),
    ("EnterStandby", "Success"),
    ("WaitForStandby", "Success"),
    ("InTargetGroup1", "Success"),
    ("Deregister1", "Success"),
    ("WaitForDrain1", "Success"),
    ("PatchInstance", "Success"),
    ("ReadLifecycleState", "Success"),
    ("InStandby", "Success"),
    ("ExitStandby", "Success"),
    ("WaitForInService", "Success"),
    ("InTargetGroupAgain1", "Success"),
    ("Register1", "Success"),
    ("WaitForHealthy1", "Success"),
    ("PatchOutcome", "Success"),
    ("ClearMaintenance", "Success"),
    ("Finished", "Success"),
]
# The AWS calls of that run, in order (the Stubber refuses any other order or request).
CALLS = [
    "dynamodb put_item",
    "autoscaling describe_auto_scaling_instances",
    "autoscaling describe_auto_scaling_instances",
    "elbv2 describe_target_health",
    "autoscaling enter_standby",
    "autoscaling describe_auto_scaling_instances",
    "autoscaling describe_auto_scaling_instances",
    "elbv2 deregister_targets",
    "elbv2 describe_target_health",
    "elbv2 describe_target_health",
    "autoscaling describe_auto_scaling_instances",
    "autoscaling exit_standby",
    "autoscaling describe_auto_scaling_instances",
    "autoscaling describe_auto_scaling_instances",
    "elbv2 register_targets",
    "elbv2 describe_target_health",
    "elbv2 describe_target_health",
    "dynamodb delete_item",
]


@pytest.fixture(scope="module")
def web_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_assembly(tmp_path_factory.mktemp("web"), load_balanced)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[DemoService]:
    demo = DemoService(port=free_port(), run_dir=tmp_path / "run")
    demo.start_directly()
    yield demo
    demo.kill()


def rehearse(assembly: Path, service: DemoService, scenario: str) -> tuple[int, dict[str, Any]]:
    overrides = {
        **service.ssm,
        "HealthUrl": f"http://127.0.0.1:{service.port}/health",
        "Port": str(service.port),
        "DrainSeconds": "0",
        "StopTimeoutSeconds": "10",
    }
    args = [
        "--assembly",
        str(assembly),
        "--json",
        "--scenario",
        scenario,
        "--reboot-command",
        reboot_command(service.pid_file, service.port),
        "--run-dir",
        str(service.run_dir),
        *[f"--param={name}={value}" for name, value in overrides.items()],
    ]
    out = io.StringIO()
    status = run(parse_args(args), out)
    return status, json.loads(out.getvalue())


def runbook(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(step["name"], step["status"]) for step in report["runbook"]]


@pytest.mark.parametrize("scenario", ["patches-installed", "nothing-missing", "reboot-pending"])
def test_a_healthy_run_drains_patches_and_restores_in_order(
    web_assembly: Path, service: DemoService, scenario: str
) -> None:
    status, report = rehearse(web_assembly, service, scenario)
    assert status == 0
    assert report["result"] == "Success"
    assert runbook(report) == HEALTHY_RUN
    assert report["calls"] == CALLS
    assert report["notifications"] == []
    assert report["steps"][-1] == {**report["steps"][-1], "name": "OnExitHook", "status": "Success"}
    assert service.running()


def test_a_failed_install_still_puts_the_instance_back_and_reports(web_assembly: Path, service: DemoService) -> None:
    status, report = rehearse(web_assembly, service, "install-fails")
    assert status == 1
    assert report["result"] == "Failed"
    steps = dict(runbook(report))
    assert steps["PatchInstance"] == "Failed"
    for name in ("ExitStandby", "Register1", "WaitForHealthy1", "ClearMaintenance"):
        assert steps[name] == "Success", name
    assert report["calls"] == CALLS  # the same calls: it was drained, and restored
    (message,) = report["notifications"]
    assert message["Subject"] == "Patch runbook: instance not patched"
    assert "i-0123456789abcdef0 did not succeed" in message["Message"]
    assert service.running()


def test_an_app_unhealthy_after_the_patch_stays_out_and_fails(web_assembly: Path, service: DemoService) -> None:
    status, report = rehearse(web_assembly, service, "app-unhealthy-after-patch")
    assert status == 1
    assert report["result"] == "Failed"
    steps = dict(runbook(report))
    assert steps["PatchInstance"] == "Success"
    assert steps["WaitForHealthy1"] == "TimedOut"
    assert steps["Evict1"] == "Success"
    assert "PatchOutcome" not in steps
    assert report["calls"][-5:] == [
        "elbv2 describe_target_health",
        "elbv2 describe_target_health",
        "elbv2 describe_target_health",
        "elbv2 deregister_targets",
        "dynamodb delete_item",
    ]
    (message,) = report["notifications"]
    assert message["Subject"] == "Patch runbook: instance out of service"
    assert "i-0123456789abcdef0 is out of service" in message["Message"]


def test_the_unhealthy_scenario_needs_a_load_balancer_task(tmp_path: Path) -> None:
    demo = synth_assembly(tmp_path, default_app)
    with pytest.raises(RehearsalError, match="needs a task that puts instances back in a load balancer"):
        run(parse_args(["--assembly", str(demo), "--scenario", "app-unhealthy-after-patch"]), io.StringIO())


def test_patch_plan_shows_the_per_instance_sequence_and_the_longer_time(web_assembly: Path) -> None:
    from constructs_lib.cli import plan

    out = io.StringIO()
    plan.run(
        plan.parse_args(["--assembly", str(web_assembly), "--fleet-size", "6", "--minutes-per-instance", "20"]), out
    )
    text = out.getvalue()
    assert "up to 32 min beyond the patch" in text  # 2 + 10 + 10 + 10 min of waits, counted at their timeouts
    assert "6 instances, 2 at a time: 3 batch(es) of 52 min" in text
    for line in (
        "  - WaitForDrain1: wait, elbv2 DescribeTargetHealth until unused, up to 120 s",
        "  - PatchInstance: the hooked patch (AWS-RunPatchBaselineWithHooks), up to 5400 s",
        "  - WaitForHealthy1: wait, elbv2 DescribeTargetHealth until healthy, up to 600 s",
    ):
        assert line in text.splitlines()


def test_the_organisation_examples_runbook_finds_its_target_group_by_name_and_restores_it() -> None:
    """The fleet's web group names its target group: the rehearsal answers the lookup with an ARN, and the
    Stubber then insists every drain and restore call uses exactly that ARN."""
    from aws_cdk import App

    from constructs_lib.cli.rehearse_runbook import rehearse_runbook
    from tests.scenarios import fleet_account_stack

    stack = fleet_account_stack(App())
    runbook = stack.workflows["web"].runbook  # type: ignore[attr-defined]
    resources = App.of(stack).synth().get_stack_by_name(stack.stack_name).template["Resources"]
    content = stack.resolve(runbook.cfn_document.content)
    patched: list[str] = []

    def run_patch(step: Any) -> tuple[str, str]:
        patched.append(step["InstanceIds"][0])  # the step's inputs, rendered
        return "Success", ""

    rehearsal = rehearse_runbook(resources, content, run_patch, healthy_after=True)
    assert rehearsal.run.status == "Success"
    assert patched == ["i-0123456789abcdef0"]
    requests = [(call.method, call.request) for call in rehearsal.calls if call.service == "elbv2"]
    found = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme-web/0123456789abcdef"
    assert requests[0] == ("describe_target_groups", {"Names": ["acme-web"]})
    assert [method for method, _ in requests[1:]] == [
        "describe_target_health",
        "deregister_targets",
        "describe_target_health",
        "describe_target_health",
        "register_targets",
        "describe_target_health",
        "describe_target_health",
    ]
    assert all(request["TargetGroupArn"] == found for _, request in requests[1:])
    assert rehearsal.run.step("EnterStandby").status == "Success"  # type: ignore[union-attr]
