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
# documented sequence says: checks, your step, where the instance is now, out of service, patch, back, your step.
HEALTHY_RUN = [
    ("CheckAutoScalingGroup", "Success"),
    ("CheckInService", "Success"),
    ("MarkUnderMaintenance", "Success"),
    ("StillInService", "Success"),
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
    "autoscaling describe_auto_scaling_instances",
    "autoscaling describe_auto_scaling_instances",
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


def rehearse(assembly: Path, service: DemoService, scenario: str, **changes: str) -> tuple[int, dict[str, Any]]:
    overrides = {
        **service.ssm,
        "HealthUrl": f"http://127.0.0.1:{service.port}/health",
        "Port": str(service.port),
        "DrainSeconds": "0",
        "StopTimeoutSeconds": "10",
        **changes,
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


def test_an_app_the_on_exit_hook_could_not_start_is_not_put_back(web_assembly: Path, service: DemoService) -> None:
    """The target group answers from what the real hooks left: health checked on a port nothing answers, the
    on-exit hook fails, and the instance is not healthy in the group either."""
    status, report = rehearse(
        web_assembly, service, "patches-installed", HealthUrl="http://127.0.0.1:1/health", StartTimeoutSeconds="3"
    )
    assert status == 1
    assert report["steps"][-1]["name"] == "OnExitHook"
    assert report["steps"][-1]["status"] == "Failed"
    steps = dict(runbook(report))
    assert steps["PatchInstance"] == "Failed"
    assert steps["WaitForHealthy1"] == "TimedOut"
    assert steps["Evict1"] == "Success"
    (message,) = report["notifications"]
    assert message["Subject"] == "Patch runbook: instance out of service"


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
    # 2 + 10 + 10 + 10 min of waits and your two steps' 3 x 25 s, each counted at its timeout
    assert "up to 35 min beyond the patch" in text
    assert "6 instances, 2 at a time: 3 batch(es) of 55 min" in text
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

    app = App()
    stack = fleet_account_stack(app)
    runbook = stack.workflows["web"].runbook  # type: ignore[attr-defined]
    resources = app.synth().get_stack_by_name(stack.stack_name).template["Resources"]
    content = stack.resolve(runbook.cfn_document.content)
    patched: list[str] = []

    def run_patch(step: Any) -> tuple[str, str]:
        patched.append(step["InstanceIds"][0])  # the step's inputs, rendered
        return "Success", ""

    rehearsal = rehearse_runbook(resources, content, run_patch, healthy_after=lambda: True)
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


def stubbed_run(assembly: Path, responses: list[tuple[str, str, dict[str, Any]]]) -> tuple[Any, list[str]]:
    """The examples/web runbook on clients that answer ``responses`` (service, method, response) in order, the
    patch step recorded instead of run; returns the run and the patch steps it reached."""
    import boto3
    from botocore.stub import Stubber

    from constructs_lib.cli.rehearse_runbook import made_up_ids
    from constructs_lib.cli.runbook import concrete, run_runbook

    template = json.loads(next(assembly.glob("PatchingWeb.template.json")).read_text())
    resources = template["Resources"]
    (document,) = [r for r in resources.values() if r["Properties"].get("DocumentType") == "Automation"]
    content = concrete(document["Properties"]["Content"], made_up_ids(resources, document["Properties"]["Content"]))
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")  # noqa: S106
    clients = {name: session.client(name) for name in ("autoscaling", "elbv2", "dynamodb", "sns")}
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for service, method, response in responses:
        stubbers[service].add_response(method, response)
    patched: list[str] = []

    def run_patch(step: Any) -> tuple[str, str]:
        patched.append(step["DocumentName"])
        return "Success", ""

    for stubber in stubbers.values():
        stubber.activate()
    parameters = {
        "InstanceId": "i-0123456789abcdef0",
        "AutomationAssumeRole": "arn:aws:iam::1:role/r",
        "SnapshotId": "",
    }
    run = run_runbook(content, parameters, clients, run_command=run_patch, polls=3)
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()  # every scripted answer was asked for, no more
    return run, patched


def lifecycle(group: str, state: str) -> dict[str, Any]:
    instance = {
        "InstanceId": "i-0123456789abcdef0",
        "AutoScalingGroupName": group,
        "AvailabilityZone": "us-east-1a",
        "LifecycleState": state,
        "HealthStatus": "HEALTHY",
        "ProtectedFromScaleIn": False,
    }
    return {"AutoScalingInstances": [instance]}


@pytest.mark.parametrize(
    ("answers", "failed_at"),
    [
        # In another Auto Scaling group: refused at the group check.
        ([lifecycle("someone-elses", "InService")], "CheckAutoScalingGroup"),
        # Already in standby (an operator holds it out): refused before it is touched, never put back in service.
        ([lifecycle("web-asg", "Standby"), lifecycle("web-asg", "Standby")], "CheckInService"),
    ],
)
def test_an_instance_that_is_not_ours_to_take_out_is_left_alone(
    web_assembly: Path, answers: list[dict[str, Any]], failed_at: str
) -> None:
    run, patched = stubbed_run(
        web_assembly, [("autoscaling", "describe_auto_scaling_instances", answer) for answer in answers]
    )
    assert run.status == "Failed"
    assert [step.name for step in run.steps][-1] == failed_at
    assert patched == []
    # Nothing changed: no standby, no deregistration, and no step of yours ran (its flag is not left set).
    assert not {"MarkUnderMaintenance", "EnterStandby", "Deregister1"} & {step.name for step in run.steps}


def test_an_instance_taken_out_by_someone_else_during_your_steps_is_left_alone_and_your_steps_finish(
    web_assembly: Path,
) -> None:
    run, patched = stubbed_run(
        web_assembly,
        [
            *[("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "InService"))] * 2,
            ("dynamodb", "put_item", {}),
            ("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "Standby")),  # an operator's
            ("dynamodb", "delete_item", {}),
        ],
    )
    names = [step.name for step in run.steps]
    assert run.status == "Failed"
    assert patched == []
    assert names == [
        "CheckAutoScalingGroup",
        "CheckInService",
        "MarkUnderMaintenance",
        "StillInService",
        "ClearMaintenance",
        "Finished",
    ]


def test_a_target_group_the_instance_is_leaving_is_not_joined_again(web_assembly: Path) -> None:
    health = {
        "TargetHealthDescriptions": [{"Target": {"Id": "i-0123456789abcdef0"}, "TargetHealth": {"State": "draining"}}]
    }
    run, patched = stubbed_run(
        web_assembly,
        [
            *[("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "InService"))] * 2,
            ("dynamodb", "put_item", {}),
            *[("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "InService"))] * 2,
            ("elbv2", "describe_target_health", health),
            ("autoscaling", "enter_standby", {"Activities": []}),
            ("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "Standby")),
            ("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "Standby")),
            ("autoscaling", "exit_standby", {"Activities": []}),
            ("autoscaling", "describe_auto_scaling_instances", lifecycle("web-asg", "InService")),
            ("dynamodb", "delete_item", {}),
        ],
    )
    names = [step.name for step in run.steps]
    assert run.status == "Success"
    assert patched == ["AWS-RunPatchBaselineWithHooks"]
    assert "Deregister1" not in names
    assert "Register1" not in names
