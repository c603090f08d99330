"""PatchFleet: deterministic packing of many patch groups under CloudFormation's limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, CfnWaitConditionHandle, Duration, Stack
from constructs import Construct

from bench.fleet_app import build
from constructs_lib import (
    LifecycleHooks,
    PatchWorkflow,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
    WindowSchedule,
)
from constructs_lib.cli.assembly import stack_templates
from constructs_lib.core.stack_checks import MAX_TEMPLATE_BYTES, add_stack_limits, footprint
from constructs_lib.fleet.packing import PatchFleet
from tests.builders import CDK_CONTEXT, synth_assembly
from tests.lint import cfn_lint


def templates(assembly: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {
        artifact["properties"].get("stackName", name): json.loads(
            (assembly / artifact["properties"]["templateFile"]).read_text()
        )
        for name, artifact in manifest["artifacts"].items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }


@pytest.fixture(scope="module")
def fleet_300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_assembly(tmp_path_factory.mktemp("fleet"), lambda app: build(app, 300))


def test_300_groups_fit_in_stacks_within_the_limits(fleet_300: Path) -> None:
    stacks = templates(fleet_300)
    assert sorted(stacks) == [
        "PatchingFleet-Groups1",
        "PatchingFleet-Groups2",
        "PatchingFleet-Groups3",
        "PatchingFleet-Groups4",
        "PatchingFleet-Shared",
    ]
    for name, body in stacks.items():
        assert len(body["Resources"]) <= 450, name
        assert len(body.get("Outputs", {})) <= 200, name
        assert len(json.dumps(body).encode()) < MAX_TEMPLATE_BYTES, name
    windows = sum(
        1 for body in stacks.values() for r in body["Resources"].values() if r["Type"] == "AWS::SSM::MaintenanceWindow"
    )
    assert windows == 300


def test_shared_documents_are_the_only_cross_stack_references(fleet_300: Path) -> None:
    stacks = templates(fleet_300)
    assert len(stacks["PatchingFleet-Shared"]["Outputs"]) == 2  # the two shared hook documents
    for name, body in stacks.items():
        if name != "PatchingFleet-Shared":
            references = {
                json.dumps(v)
                for r in body["Resources"].values()
                for v in _values(r)
                if "Fn::GetStackOutput" in v or "Fn::ImportValue" in v
            }
            assert len(references) == 2, name
            assert not body.get("Outputs"), name


def _values(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [node] + [v for value in node.values() for v in _values(value)]
    if isinstance(node, list):
        return [v for item in node for v in _values(item)]
    return []


def test_fleet_templates_pass_cfn_lint(fleet_300: Path) -> None:
    stacks = templates(fleet_300)
    for name in ("PatchingFleet-Shared", "PatchingFleet-Groups4"):
        assert cfn_lint(stacks[name]) == [], name


def hooked_group(stack: Stack, group_id: str) -> PatchWorkflow:
    """A group with hook documents of its own for Linux and Windows, all under the group's id."""
    scope = Construct(stack, group_id)
    service = group_id.lower()
    hooks = LifecycleHooks(
        pre_install=StopAppHook(scope, "Stop", service_name=service),
        post_install=UpdateAppHook(scope, "Update", service_name=service),
        on_exit=StartAppHook(scope, "Start", service_name=service, health_port=8080),
    )
    return PatchWorkflow(
        scope,
        "Patching",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(3),
        patch_groups=[service],
        hooks=hooks,
    )


def test_groups_with_their_own_hook_documents_are_spread_under_one_megabyte(tmp_path: Path) -> None:
    # 12 such groups take about 1.1 MB in one template: packing by resources alone would put them all in one.
    fleets: list[PatchFleet] = []

    def hooked_fleet(app: App) -> None:
        fleets.append(PatchFleet(app, "Fleet", stack_name_prefix="Hooked"))
        for index in range(12):
            fleets[0].add_group(f"App{index:02d}", build=hooked_group)

    assembly = synth_assembly(tmp_path, hooked_fleet)
    sizes = {artifact: path.stat().st_size for artifact, path in stack_templates(assembly).items()}
    stacks = fleets[0].group_stacks
    assert [stack.stack_name for stack in stacks] == ["Hooked-Groups1", "Hooked-Groups2"]
    assert sorted(sizes) == sorted(stack.artifact_id for stack in stacks)
    assert max(sizes.values()) <= MAX_TEMPLATE_BYTES
    assert sum(sizes.values()) > MAX_TEMPLATE_BYTES
    for stack in stacks:
        assert footprint(stack).estimated_template_bytes >= sizes[stack.artifact_id], stack.stack_name
    assert sorted(fleets[0].workflows) == [f"App{index:02d}" for index in range(12)]


def test_packing_is_deterministic_and_respects_the_stack_size(tmp_path: Path) -> None:
    def small_fleet(app: App) -> None:
        fleet = PatchFleet(app, "Fleet", stack_name_prefix="Small", resources_per_stack=20)
        for index in range(10):
            fleet.add_group(
                f"Group{index}",
                schedule=WindowSchedule.rate(Duration.days(1)),
                duration=Duration.hours(2),
                patch_groups=[f"g{index}"],
            )

    first = templates(synth_assembly(tmp_path / "a", small_fleet))
    second = templates(synth_assembly(tmp_path / "b", small_fleet))
    assert first == second
    # four resources per group (window, target, task, role with its policy inline): five groups per stack
    # of 20; nothing is shared, so there is no shared stack (CloudFormation refuses an empty template)
    assert {name: len(body["Resources"]) for name, body in first.items()} == {
        "Small-Groups1": 20,
        "Small-Groups2": 20,
    }


def test_a_custom_builder(tmp_path: Path) -> None:
    def fleet_app(app: App) -> None:
        fleet = PatchFleet(app, "Fleet", stack_name_prefix="Custom")
        workflow = fleet.add_group(
            "Web",
            build=lambda stack, group_id: PatchWorkflow(
                stack,
                group_id,
                schedule=WindowSchedule.cron("0 3 ? * SUN *"),
                duration=Duration.hours(2),
                patch_groups=["web"],
            ),
        )
        assert fleet.workflows == {"Web": workflow}

    assert "Custom-Groups1" in templates(synth_assembly(tmp_path, fleet_app))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda f: (
                f.add_group(
                    "Web",
                    schedule=WindowSchedule.rate(Duration.days(1)),
                    duration=Duration.hours(2),
                    patch_groups=["web"],
                )
                and f.add_group("Web")
            ),
            r"group_id must be unique in the fleet; got 'Web' twice",
        ),
        (lambda f: f.add_group("W"), r"group_id must be 3 to 128 characters"),
    ],
)
def test_fails_on_invalid_groups(call: Any, message: str) -> None:
    fleet = PatchFleet(App(context=CDK_CONTEXT), "Fleet", stack_name_prefix="Fleet")
    with pytest.raises(ValueError, match=message):
        call(fleet)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stack_name_prefix": "x"}, r"stack_name_prefix must be 3 to 128 characters"),
        (
            {"stack_name_prefix": "Fleet", "resources_per_stack": 501},
            r"resources_per_stack must be an integer from 10 to 500",
        ),
    ],
)
def test_fails_on_invalid_fleet(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatchFleet(App(context=CDK_CONTEXT), "Fleet", **options)


def test_synth_fails_naming_the_stack_over_the_resource_limit() -> None:
    app = App(context=CDK_CONTEXT, builtin_cloud_formation_validation=False)
    stack = Stack(app, "Crowded", stack_name="Crowded")
    add_stack_limits(stack)
    for index in range(501):
        CfnWaitConditionHandle(stack, f"Handle{index}")
    with pytest.raises(RuntimeError, match=r"stack Crowded holds 501 resources; CloudFormation allows 500"):
        app.synth()


def app_with_stop_hooks(stack_name: str, *, past_the_limit: bool) -> App:
    """One limited stack holding as many StopAppHook documents as fit in 1 MB, plus one when past_the_limit."""
    app = App(context=CDK_CONTEXT, builtin_cloud_formation_validation=False)
    stack = Stack(app, stack_name, stack_name=stack_name)
    add_stack_limits(stack)
    first = StopAppHook(stack, "Stop0", service_name="app")
    fitting = MAX_TEMPLATE_BYTES // first.compact_bytes
    for index in range(1, fitting + 1 if past_the_limit else fitting):
        StopAppHook(stack, f"Stop{index}", service_name="app")
    return app


def test_synth_fails_naming_the_stack_whose_hook_documents_pass_the_template_size_limit() -> None:
    app = app_with_stop_hooks("Heavy", past_the_limit=True)
    with pytest.raises(
        RuntimeError,
        match=r"stack Heavy holds hook documents of 1\d{6} bytes; a template may hold 1000000: "
        r"share hook documents between groups or spread them over more stacks",
    ):
        app.synth()


def test_hook_documents_that_fit_one_megabyte_do_not_trip_the_check() -> None:
    app_with_stop_hooks("Light", past_the_limit=False).synth()


def test_synth_fails_naming_the_stack_over_the_output_limit() -> None:
    app = App(context=CDK_CONTEXT, builtin_cloud_formation_validation=False)
    stack = Stack(app, "Chatty", stack_name="Chatty")
    add_stack_limits(stack)
    for index in range(201):
        CfnOutput(stack, f"Out{index}", value="x")
    with pytest.raises(RuntimeError, match=r"stack Chatty holds 201 outputs; CloudFormation allows 200"):
        app.synth()
