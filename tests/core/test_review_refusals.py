"""Inputs an independent review found accepted at synth but refused at deploy or failing on the instance.

Each is refused with its message, beside a valid neighbour that is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

import pytest
from aws_cdk import Duration, Stack
from constructs import Construct

from constructs_lib import (
    ApprovalRule,
    CommandOutput,
    HookDocument,
    HookParameter,
    HookPlatform,
    HookScript,
    LifecycleHooks,
    PatchNowAssociation,
    PatchSource,
    PatchWorkflow,
    ScheduleKind,
    StartAppHook,
    StopAppHook,
    TargetResourceType,
    WindowSchedule,
    WindowTargets,
)
from tests.builders import new_stack, targets, window

LINUX = [HookPlatform.LINUX]
IDS = WindowTargets.from_instance_ids(["i-0123456789abcdef0"])
TAGS = WindowTargets.from_tags({"PatchGroup": ["web"]})
WEEKLY: dict[str, Any] = {"schedule": WindowSchedule.cron("0 3 ? * SUN *"), "duration": Duration.hours(3)}


class _NamedElsewhere:
    """Any object with a document_name passes as an IHookDocument: its name must still be one."""

    def __init__(self, document_name: str) -> None:
        self.document_name = document_name


def _task_with_output(stack: Stack, key_prefix: str) -> Any:
    output = CommandOutput(stack, "Output", key_prefix=key_prefix)
    mw = window(cast(Stack, Construct(stack, "Deep" * 25)))  # a task path of about 120 characters
    return mw.add_patch_task("Patch", targets=[targets(mw)], output=output)


REFUSED: list[tuple[Callable[[Stack], Any], str]] = [
    (
        lambda s: WindowTargets(TargetResourceType.INSTANCE, (("InstanceIds", ("*",)),)),
        r"instance_ids must be an EC2 instance ID",
    ),
    (
        lambda s: WindowTargets(
            TargetResourceType.INSTANCE, (("tag:A", ("x",)), ("InstanceIds", ("i-0123456789abcdef0",)))
        ),
        r"WindowTargets keys must name one kind of target",
    ),
    (
        lambda s: WindowTargets(TargetResourceType.RESOURCE_GROUP, (("tag:PatchGroup", ("web",)),)),
        r"WindowTargets must be built with its factories",
    ),
    (lambda s: WindowSchedule("rm -rf /", ScheduleKind.CRON), r"schedule must be a cron\(\.\.\.\), rate"),
    (
        lambda s: WindowSchedule("cron(0 3 ? * SUN *)", ScheduleKind.RATE),
        r"WindowSchedule must be built with its factories",
    ),
    (lambda s: WindowSchedule.cron("٣ 3 ? * SUN *"), r"schedule must be written in ASCII"),
    (
        lambda s: WindowSchedule.cron("0 3 ? * SUN " + ",".join(str(year) for year in range(2026, 2090))),
        r"schedule must be 1 to 256 characters long; got 337",
    ),
    (lambda s: WindowSchedule.at(datetime(999, 1, 1)), r"schedule at\(\) takes a year from 1970 to 9999"),
    (
        lambda s: ApprovalRule(approve_until=datetime(2026, 1, 1, 5)),
        r"approve_until must be a date, not a datetime; got approve_until=2026-01-01T05:00:00",
    ),
    (
        lambda s: PatchSource(name="repo", products=["p" * 129], configuration="c"),
        r"sources\['repo'\] products must be 1 to 128 characters long; got 129",
    ),
    (
        lambda s: _task_with_output(s, "k" * 400),
        r"key_prefix plus the task's path makes an S3 key prefix of \d+ characters; S3 output allows 500",
    ),
    (
        lambda s: StartAppHook(s, "Start", service_name="demo", health_url=""),
        r"health_url must be a URL, or be left out for health_port; got health_url=''",
    ),
    (
        lambda s: StopAppHook(s, "Stop", service_name="demo", drain_command="   ", platforms=LINUX),
        r"drain_command must name a program to run, or be left out; got drain_command='   '",
    ),
    (
        lambda s: StopAppHook(s, "Stop", service_name="demo", drain_command=" -rf /", platforms=LINUX),
        r"drain_command must start with the program to run",
    ),
    (
        lambda s: HookDocument(
            s,
            "Hook",
            linux=HookScript.inline('echo "$SSM_Name"'),
            parameters={"Name": HookParameter(default="a\x00b", allowed_pattern=r"^.*$", only_default=False)},
        ),
        r"parameters\['Name'\] default must not hold control characters",
    ),
    (lambda s: LifecycleHooks(on_exit=_NamedElsewhere("x; rm -rf /")), r"document_name must be"),
    (lambda s: window(s, schedule_timezone="localtime"), r"schedule_timezone must be an IANA time zone"),
    (lambda s: window(s, schedule_timezone="Factory"), r"schedule_timezone must be an IANA time zone"),
    (
        lambda s: PatchNowAssociation(s, "Now", targets=IDS, include_new_instances=True),
        r"include_new_instances needs tag or resource-group targets: without it, include_new_instances does nothing",
    ),
    (
        lambda s: PatchWorkflow(s, "Web", **WEEKLY, targets=TAGS, patch_groups=["web"]),
        r"patch_groups needs baselines when targets are given",
    ),
    (
        lambda s: PatchWorkflow(s, "Web", **WEEKLY, patch_groups=["web"], target_name=""),
        r"target_name must be 3 to 128",
    ),
]

PATTERNS_RE2_LACKS = [r"^(?P<a>x)(?P=a)$", r"^(a)?(?(1)b|c)$", r"^(?>a+)$", r"^a*+$", r"^a{,3}$"]


@pytest.mark.parametrize(("build", "message"), REFUSED)
def test_refused_at_synth_with_its_message(build: Callable[[Stack], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(new_stack())


@pytest.mark.parametrize("pattern", PATTERNS_RE2_LACKS)
def test_a_published_pattern_the_agents_regex_reads_otherwise_is_refused(pattern: str) -> None:
    parameter = HookParameter(default="a", allowed_pattern=pattern, only_default=False)
    with pytest.raises(ValueError, match=r"allowed_pattern must avoid"):
        HookDocument(new_stack(), "Hook", linux=HookScript.inline('echo "$SSM_Name"'), parameters={"Name": parameter})


def test_the_valid_neighbours_are_accepted() -> None:
    stack = new_stack()
    assert WindowTargets(TargetResourceType.INSTANCE, (("tag:PatchGroup", ("web",)),)) == WindowTargets.from_tags(
        {"PatchGroup": ["web"]}
    )
    assert WindowSchedule("cron(0 3 ? * SUN *)", ScheduleKind.CRON) == WindowSchedule.cron("0 3 ? * SUN *")
    WindowSchedule.cron("0 3 ? * SUN " + ",".join(str(year) for year in range(2026, 2060)))  # 217 characters
    WindowSchedule.at(datetime(2030, 1, 1))
    ApprovalRule(approve_until=date(2026, 1, 1))
    PatchSource(name="repo", products=["p" * 128], configuration="c")
    _task_with_output(stack, "k" * 300)  # 300 + about 130: within 500
    StartAppHook(stack, "Start", service_name="demo", health_url="http://127.0.0.1:8080/health")
    StopAppHook(stack, "Stop", service_name="demo", drain_command="/opt/drain --now", platforms=LINUX)
    HookDocument(
        stack,
        "Hook",
        linux=HookScript.inline('echo "$SSM_Name"'),
        parameters={"Name": HookParameter(default="a\tb", allowed_pattern=r"^[a-z\t]{1,8}$", only_default=False)},
    )
    LifecycleHooks(on_exit=_NamedElsewhere("Team-StartApp"))
    window(stack, "Berlin", schedule_timezone="Europe/Berlin")
    PatchNowAssociation(stack, "Now", targets=TAGS, include_new_instances=True)
    PatchWorkflow(stack, "Web", **WEEKLY, targets=TAGS)
    LifecycleHooks(on_exit=_NamedElsewhere("arn:aws:ssm:us-east-1:123456789012:document/Team-StartApp"))
    assert Duration.hours(1)
