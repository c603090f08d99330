"""Every public construct, fed wrong-typed and hostile values one keyword at a time (hypothesis).

Each failure must be a ValueError or TypeError naming the keyword; the jsii kernel must survive (a NaN
once killed it for the rest of the process); and every value that is accepted must synthesize a template
clean under cfn-lint. The keywords come from the signatures themselves (options included), so a keyword
added later is fuzzed without touching this file.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack, Token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib import (
    ApprovalRule,
    CommandOutput,
    HookDocument,
    HookParameter,
    HookPlatform,
    HookScript,
    LifecycleHooks,
    MaintenanceWindow,
    MaintenanceWindowRole,
    OperatingSystem,
    PatchBaseline,
    PatchFilter,
    PatchFilterKey,
    PatchNotifications,
    PatchNowAssociation,
    PatchSource,
    PatchWorkflow,
    PerPlatform,
    ServiceManager,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
    WindowSchedule,
    WindowTargets,
)
from tests.builders import new_stack, window
from tests.lint import cfn_lint

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**31,
    2**63,
    1.5,
    float("nan"),
    float("inf"),
    "",
    " ",
    "web\n",
    "-rf",
    "$(reboot)",
    "`id`",
    "{{ ssm:secret }}",
    "a|b",
    "\x00",
    "ü" * 3,
    "x" * 2000,
    "LINUX",
    "Critical",
    [],
    [""],
    [1],
    ["web", "web"],
    {},
    {"a": 1},
    (),
    object(),
    Duration.hours(1),
    Duration.seconds(0.5),
    Duration.days(400),
    datetime(2020, 1, 1),
    HookPlatform.LINUX,
]

hostile = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(max_size=80),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=12), max_size=3),
)


@dataclass(frozen=True)
class Entry:
    """A public constructor or factory, with valid keywords and the keywords it takes."""

    build: Callable[..., Any]
    valid: Callable[[Stack], dict[str, Any]]
    signature_of: Callable[..., Any]
    option_sets: tuple[Any, ...] = field(default=())
    makes_resources: bool = True

    def keywords(self) -> list[str]:
        parameters = inspect.signature(self.signature_of).parameters.values()
        own = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
        options = [key for option_set in self.option_sets for key in typing.get_type_hints(option_set)]
        return sorted(set(own) | set(options))


def _stop(stack: Stack) -> StopAppHook:
    return StopAppHook(stack, "Stop", service_name="demo", platforms=[HookPlatform.LINUX])


def _options(function: Any) -> tuple[Any, ...]:
    hint = typing.get_type_hints(function).get("options")
    return typing.get_args(hint) if hint is not None else ()


def _rule(_: Stack) -> dict[str, Any]:
    security = PatchFilter(key=PatchFilterKey.CLASSIFICATION, values=["Security"])
    return {"approve_after": Duration.days(7), "filters": [security]}


def _no_keywords(_: Stack) -> dict[str, Any]:
    return {}


def _window_target(stack: Stack) -> dict[str, Any]:
    target = window(stack).add_targets("Web", WindowTargets.from_tags({"PatchGroup": ["web"]}))
    return {"targets": [target]}


def _add_patch_task(stack: Stack, **keywords: Any) -> Any:
    mw = stack.node.find_child("Window")
    assert isinstance(mw, MaintenanceWindow)
    return mw.add_patch_task("Patch", **keywords)


ENTRIES: dict[str, Entry] = {
    "PatchBaseline": Entry(
        lambda s, **k: PatchBaseline(s, "Baseline", **k),
        lambda s: {
            "operating_system": OperatingSystem.AMAZON_LINUX_2023,
            "approval_rules": [ApprovalRule(**_rule(s))],
            "patch_groups": ["web"],
        },
        PatchBaseline.__init__,
        _options(PatchBaseline.__init__),
    ),
    "MaintenanceWindow": Entry(
        lambda s, **k: MaintenanceWindow(s, "Window", **k),
        lambda s: {"schedule": WindowSchedule.cron("0 3 ? * SUN *"), "duration": Duration.hours(3)},
        MaintenanceWindow.__init__,
        _options(MaintenanceWindow.__init__),
    ),
    "MaintenanceWindow.add_targets": Entry(
        lambda s, **k: window(s).add_targets("Web", **k),
        lambda s: {"targets": WindowTargets.from_tags({"PatchGroup": ["web"]})},
        MaintenanceWindow.add_targets,
    ),
    "MaintenanceWindow.add_patch_task": Entry(
        _add_patch_task,
        _window_target,
        MaintenanceWindow.add_patch_task,
        _options(MaintenanceWindow.add_patch_task),
    ),
    "PatchWorkflow": Entry(
        lambda s, **k: PatchWorkflow(s, "Workflow", **k),
        lambda s: {
            "schedule": WindowSchedule.cron("0 3 ? * SUN *"),
            "duration": Duration.hours(3),
            "patch_groups": ["web"],
        },
        PatchWorkflow.__init__,
        _options(PatchWorkflow.__init__),
    ),
    "PatchNowAssociation": Entry(
        lambda s, **k: PatchNowAssociation(s, "PatchNow", **k),
        lambda s: {"targets": WindowTargets.from_instance_ids(["i-0123456789abcdef0"])},
        PatchNowAssociation.__init__,
        _options(PatchNowAssociation.__init__),
    ),
    "HookDocument": Entry(
        lambda s, **k: HookDocument(s, "Hook", **k),
        lambda s: {"linux": HookScript.inline('#!/bin/bash\necho "$SSM_Name"\n'), "parameters": {"Name": "demo"}},
        HookDocument.__init__,
    ),
    "StopAppHook": Entry(
        lambda s, **k: StopAppHook(s, "Stop", **k),
        lambda s: {"service_name": "demo"},
        StopAppHook.__init__,
        _options(StopAppHook.__init__),
    ),
    "StartAppHook": Entry(
        lambda s, **k: StartAppHook(s, "Start", **k),
        lambda s: {"service_name": "demo", "health_port": 8080},
        StartAppHook.__init__,
        _options(StartAppHook.__init__),
    ),
    "UpdateAppHook": Entry(
        lambda s, **k: UpdateAppHook(s, "Update", **k),
        lambda s: {"service_name": "demo", "update_command": PerPlatform(linux="/opt/update", windows="C:/update.exe")},
        UpdateAppHook.__init__,
        _options(UpdateAppHook.__init__),
    ),
    "CommandOutput": Entry(lambda s, **k: CommandOutput(s, "Output", **k), _no_keywords, CommandOutput.__init__),
    "PatchNotifications": Entry(
        lambda s, **k: PatchNotifications(s, "Notifications", **k), _no_keywords, PatchNotifications.__init__
    ),
    "MaintenanceWindowRole": Entry(
        lambda s, **k: MaintenanceWindowRole(s, "Role", **k), _no_keywords, MaintenanceWindowRole.__init__
    ),
    "ApprovalRule": Entry(lambda s, **k: ApprovalRule(**k), _rule, ApprovalRule, makes_resources=False),
    "PatchFilter": Entry(
        lambda s, **k: PatchFilter(**k),
        lambda s: {"key": PatchFilterKey.CLASSIFICATION, "values": ["Security"]},
        PatchFilter,
        makes_resources=False,
    ),
    "PatchSource": Entry(
        lambda s, **k: PatchSource(**k),
        lambda s: {"name": "repo", "products": ["AmazonLinux2023"], "configuration": "[repo]\nname=repo"},
        PatchSource,
        makes_resources=False,
    ),
    "HookParameter": Entry(
        lambda s, **k: HookParameter(**k), lambda s: {"default": "demo"}, HookParameter, makes_resources=False
    ),
    "LifecycleHooks": Entry(
        lambda s, **k: LifecycleHooks(**k), lambda s: {"pre_install": _stop(s)}, LifecycleHooks, makes_resources=False
    ),
    "ServiceManager.pidfile": Entry(
        lambda s, **k: ServiceManager.pidfile(**k),
        lambda s: {"start_command": "/opt/app"},
        ServiceManager.pidfile,
        makes_resources=False,
    ),
    "WindowTargets.from_resource_group": Entry(
        lambda s, **k: WindowTargets.from_resource_group("web", **k),
        _no_keywords,
        WindowTargets.from_resource_group,
        makes_resources=False,
    ),
    "HookScript.inline": Entry(
        lambda s, **k: HookScript.inline("echo hi\n", **k), _no_keywords, HookScript.inline, makes_resources=False
    ),
}


def _build(entry: Entry, stack: Stack, keywords: dict[str, Any]) -> Any:
    return entry.build(stack, **keywords)


def _kernel_alive() -> None:
    assert Token.is_unresolved("plain") is False


def _lint_clean(stack: Stack) -> None:
    app = stack.node.root
    assert isinstance(app, App)
    body = app.synth().get_stack_by_name(stack.stack_name).template
    assert cfn_lint(body) == []


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_the_valid_neighbour_of_every_fuzzed_value_builds(name: str) -> None:
    entry = ENTRIES[name]
    stack = new_stack()
    _build(entry, stack, entry.valid(stack))
    if entry.makes_resources:
        _lint_clean(stack)


@pytest.mark.parametrize("name", sorted(ENTRIES))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_hostile_value_is_refused_naming_its_keyword_or_synthesizes_clean(name: str, data: st.DataObject) -> None:
    entry = ENTRIES[name]
    keyword = data.draw(st.sampled_from(entry.keywords()), label="keyword")
    value = data.draw(hostile, label="value")
    stack = new_stack()
    refusal: Exception | None = None
    try:
        _build(entry, stack, {**entry.valid(stack), keyword: value})
    except (ValueError, TypeError) as error:
        refusal = error
    _kernel_alive()
    if refusal is not None:
        assert keyword in str(refusal), f"{type(refusal).__name__} does not name {keyword}: {refusal}"
    elif entry.makes_resources:
        _lint_clean(stack)
