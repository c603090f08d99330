"""The brake across a fleet's waves: a failed window in an earlier environment halts the later environments.

Systems Manager sends a window's execution events to the default bus of its own account and region only,
and Automation is a rule target only in its own account. So each stack of an earlier environment forwards
its windows' failures, unchanged (no input transformation crosses accounts), to the default bus of every
account and region of the later environments; each stack of a later environment accepts them from the
earlier environments' accounts only (a bus policy per account) and halts its own windows with a WaveBrake
(records, gates, a halt runbook). EventBridge does not forward an event received from another account a
second time, so a failure travels one hop, from its own stack to each later one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._internal.rules import fail
from ..core.maintenance_window import MaintenanceWindow
from ..core.notifications import encrypted_topic
from ..core.window_role import MaintenanceWindowRole
from ..operations.waves import (
    EXECUTION_EVENT,
    HALTING_STATUSES,
    RUNBOOK_FAILED,
    WaveBrake,
    brake_pattern,
    events_principal,
    runbook_failure_pattern,
)
from .description import FleetDescription

_TARGETS_PER_RULE = 5  # EventBridge quota (API model: PutTargets)

Place = tuple[str, str]  # (account, region)


def places(fleet: FleetDescription, environments: Sequence[str]) -> list[Place]:
    """Every (account, region) of the stages of ``environments``, in order (StackSet OUs have no accounts)."""
    found: list[Place] = []
    for name in environments:
        spec = fleet.environment(name)
        found += [(account, region) for account in spec.accounts for region in spec.regions]
    return list(dict.fromkeys(found))


def define_fleet_brake(
    stack: Stack,
    *,
    fleet: FleetDescription,
    environment: str,
    windows: Sequence[MaintenanceWindow],
    window_role: MaintenanceWindowRole,
    prefix: str,
) -> WaveBrake | None:
    """Forward this stack's failures to the later environments and, if earlier ones exist, halt on theirs.

    Returns the WaveBrake of a later environment's stack, None for the first environment.
    """
    names = [spec.name for spec in fleet.environments]
    index = names.index(environment)
    here: Place = (stack.account, stack.region)
    later = [place for place in places(fleet, names[index + 1 :]) if place != here]
    if later:
        forwarded = [("ForwardFailures", "A patch window here failed", brake_pattern([w.window_id for w in windows]))]
        own_runbooks = _runbook_names(fleet, [environment])
        if own_runbooks:
            pattern = runbook_failure_pattern(own_runbooks)
            forwarded.append(("ForwardRunbookFailures", "An instance's patch runbook here failed", pattern))
        _forward_failures(stack, forwarded, later)
    earlier = places(fleet, names[:index])
    if not earlier:
        return None
    problem = fleet.brake_order_problem(environment, datetime.now(UTC))
    if problem:
        fail(problem)
    topic = encrypted_topic(
        stack, "HaltTopic", topic_name=f"{prefix}-patch-halts", display_name=f"{prefix} patch waves halted"
    )
    CfnOutput(stack, "HaltTopicArn", value=topic.topic_arn, description="Subscribe: a failed earlier wave halts here")
    brake = WaveBrake(stack, "Brake", halted=list(windows), notifications=topic)
    _accept_failures_from(stack, prefix, sorted({account for account, _ in earlier} - {stack.account}))
    brake.add_trigger(
        "EarlierWaves",
        failed=f"an earlier wave ({', '.join(names[:index])})",
        pattern=_earlier_failures(earlier, [w.window_id for w in windows]),
        halts=list(windows),
        description=f"A window of {', '.join(names[:index])} failed: halt {environment} here",
    )
    earlier_runbooks = _runbook_names(fleet, names[:index])
    if earlier_runbooks:
        # Their windows' target invocations say only COMPLETE: an instance's failure shows in its runbook's event.
        brake.add_trigger(
            "EarlierRunbooks",
            failed=f"an instance's patch runbook in an earlier wave ({', '.join(names[:index])})",
            pattern={**runbook_failure_pattern(earlier_runbooks), "$or": _from_places(earlier)},
            halts=list(windows),
            description=f"An instance's patch runbook in {', '.join(names[:index])} failed: halt {environment} here",
            event=RUNBOOK_FAILED,
        )
    window_role.allow_automation(brake.gate_definition_arn, brake.automation_role)
    return brake


def _earlier_failures(earlier: list[Place], own_windows: list[str]) -> dict[str, Any]:
    """A failed execution from exactly one of the earlier environments' (account, region) places (each pair,
    not every account with every region), never one of our own windows."""
    return {
        "source": ["aws.ssm"],
        "detail-type": [EXECUTION_EVENT],
        "detail": {"status": list(HALTING_STATUSES), "window-id": [{"anything-but": own_windows}]},
        "$or": _from_places(earlier),
    }


def _from_places(places: list[Place]) -> list[dict[str, list[str]]]:
    """Events from exactly one of the (account, region) places: each pair, not every account with every region."""
    return [{"account": [account], "region": [region]} for account, region in places]


def _runbook_names(fleet: FleetDescription, environments: Sequence[str]) -> list[str]:
    """The names of the patch runbooks the groups have in ``environments`` (groups behind a load balancer or
    in an Auto Scaling group)."""
    return [
        fleet.runbook_name(environment, group)
        for environment in environments
        for group in fleet.groups
        if group.has_runbook
    ]


def _forward_failures(stack: Stack, forwarded: list[tuple[str, str, dict[str, Any]]], later: list[Place]) -> None:
    """Rules (five targets each) sending this stack's failures to each later place's default bus: per
    (rule id, what failed, pattern) of ``forwarded``, its windows' and its runbooks'."""
    buses = [_default_bus(stack, place) for place in later]
    role = iam.Role(
        stack,
        "ForwardFailuresRole",
        assumed_by=events_principal(stack),
        description="Patch waves: forwards this stack's failed windows to the later environments' buses",
    )
    role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=buses))
    for rule_id, failed, pattern in forwarded:
        for number, start in enumerate(range(0, len(buses), _TARGETS_PER_RULE), start=1):
            chunk = buses[start : start + _TARGETS_PER_RULE]
            events.CfnRule(
                stack,
                f"{rule_id}{number}",
                description=f"{failed}: tell the later environments",
                event_pattern=pattern,
                state="ENABLED",
                targets=[
                    events.CfnRule.TargetProperty(id=f"Later{start + offset + 1}", arn=bus, role_arn=role.role_arn)
                    for offset, bus in enumerate(chunk)
                ],
            )


def _accept_failures_from(scope: Construct, prefix: str, accounts: list[str]) -> None:
    """The default bus here accepts events from the earlier environments' accounts, and only those."""
    stack = Stack.of(scope)
    bus = _default_bus(stack, (stack.account, stack.region))
    for account in accounts:
        events.CfnEventBusPolicy(
            scope,
            f"AcceptFailuresFrom{account}",
            statement_id=f"{prefix}-halt-from-{account}",  # at most 20 + 1 + 12 + 11 + 12 characters
            statement={
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{stack.partition}:iam::{account}:root"},
                "Action": "events:PutEvents",
                "Resource": bus,
            },
        )


def _default_bus(stack: Stack, place: Place) -> str:
    """The ARN of the default event bus of an (account, region)."""
    account, region = place
    return f"arn:{stack.partition}:events:{region}:{account}:event-bus/default"
