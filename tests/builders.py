"""Small builders for tests: valid defaults, overridable one keyword at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from aws_cdk import App, CfnElement, DefaultStackSynthesizer, Duration, Environment, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from constructs_lib import (
    HookDocument,
    HookScript,
    MaintenanceWindow,
    PatchWorkflow,
    WindowSchedule,
    WindowTarget,
    WindowTargets,
)

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
ENV = Environment(account="123456789012", region="us-east-1")


def new_app(*, validation: bool = False) -> App:
    """An app with the project's feature flags; the built-in validator only when asked (it costs ~1.8 s)."""
    return App(context=CDK_CONTEXT, analytics_reporting=False, builtin_cloud_formation_validation=validation)


def synth_assembly(tmp_path: Path, build: Callable[[App], object]) -> Path:
    """A cloud assembly in ``tmp_path/cdk.out`` of the stacks ``build`` adds to a fresh app (validator off)."""
    outdir = tmp_path / "cdk.out"
    app = App(
        outdir=str(outdir), context=CDK_CONTEXT, analytics_reporting=False, builtin_cloud_formation_validation=False
    )
    build(app)
    app.synth()
    return outdir


def new_stack(app: App | None = None, stack_id: str = "TestStack") -> Stack:
    """A stack without bootstrap boilerplate, so CDK upgrades churn snapshots less."""
    return Stack(
        app or new_app(),
        stack_id,
        env=ENV,
        synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )


def template(stack: Stack) -> Template:
    """The synthesized template."""
    return Template.from_stack(stack)


def only_properties(stack: Stack, resource_type: str) -> dict[str, Any]:
    """The Properties of the stack's one resource of ``resource_type`` (fails unless there is exactly one)."""
    resources = template(stack).find_resources(resource_type)
    assert len(resources) == 1
    props: dict[str, Any] = next(iter(resources.values()))["Properties"]
    return props


def properties(stack: Stack, resource_type: str) -> dict[str, dict[str, Any]]:
    """The Properties of each of the stack's resources of ``resource_type``, by logical id."""
    return {k: r["Properties"] for k, r in template(stack).find_resources(resource_type).items()}


def window(stack: Stack, construct_id: str = "Window", **overrides: Any) -> MaintenanceWindow:
    """A valid weekly window; keywords override its settings."""
    settings: dict[str, Any] = {
        "schedule": WindowSchedule.cron("0 3 ? * SUN *"),
        "duration": Duration.hours(3),
        "cutoff": Duration.hours(1),
    }
    settings.update(overrides)
    return MaintenanceWindow(stack, construct_id, **settings)


def workflow(stack: Stack, construct_id: str = "Web", **overrides: Any) -> PatchWorkflow:
    """A valid weekly workflow for the patch group "web"; keywords override its settings."""
    settings: dict[str, Any] = {
        "schedule": WindowSchedule.cron("0 3 ? * SUN *"),
        "duration": Duration.hours(3),
        "patch_groups": ["web"],
    }
    settings.update(overrides)
    return PatchWorkflow(stack, construct_id, **settings)


def targets(mw: MaintenanceWindow, construct_id: str = "Web") -> WindowTarget:
    """A tag-based target on ``mw``."""
    return mw.add_targets(construct_id, WindowTargets.from_tags({"PatchGroup": ["web"]}))


def hook(stack: Stack, construct_id: str = "Hook", script: str = "echo hook", **overrides: Any) -> HookDocument:
    """A valid Linux-only hook document; keywords override its settings."""
    settings: dict[str, Any] = {"linux": HookScript.inline(script)}
    settings.update(overrides)
    return HookDocument(stack, construct_id, **settings)


def logical_id(stack: Stack, construct: IConstruct) -> str:
    """The logical id of an L1, or of a construct's L1 (its default child)."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    return stack.get_logical_id(cast(CfnElement, element))
