"""Acknowledging cdk-nag AwsSolutions findings on resources this library defines, always with a reason.

cdk-nag reports wildcard permissions (IAM5) and managed policies (IAM4) one finding per value, named
after the value as CloudFormation will hold it; ``_flatten`` renders a value the way cdk-nag does,
so each acknowledgment names exactly the permission it explains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .validation import is_unresolved


def acknowledge(construct: IConstruct, *rules: str, reason: str, checkov: Sequence[str] = ()) -> None:
    """Acknowledge AwsSolutions-<rule> for each rule on ``construct`` and its children, in one call, recording
    why; the same reason suppresses the ``checkov`` check ids on the construct's resource."""
    if rules:
        Validations.of(construct).acknowledge(
            *[Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason) for rule in rules]
        )
    for check in checkov:
        suppress_scanner(construct, check, reason)


def suppress_scanner(construct: IConstruct, check: str, reason: str) -> None:
    """Record in the template, as checkov reads it (``Metadata.checkov.skip``), why a check is not met."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource), f"{construct.node.path} has no CloudFormation resource"
    skips = list((resource.get_metadata("checkov") or {}).get("skip", []))
    skips.append({"id": check, "comment": reason})
    resource.add_metadata("checkov", {"skip": skips})


def acknowledge_wildcards(
    construct: IConstruct, *, reason: str, actions: Sequence[str] = (), resources: Sequence[Any] = ()
) -> None:
    """Acknowledge, in one call, the IAM5 findings for the wildcard actions and resources we grant.

    Resources may be strings (tokens are resolved) or CloudFormation intrinsics given as dicts.
    """
    rules = [f"IAM5[Action::{action}]" for action in actions if "*" in action]
    stack = Stack.of(construct) if any(isinstance(r, str) and is_unresolved(r) for r in resources) else None
    for resource in resources:
        flat = _flatten(stack.resolve(resource) if stack and isinstance(resource, str) else resource)
        if "*" in flat:
            rules.append(f"IAM5[Resource::{flat}]")
    if rules:
        acknowledge(construct, *rules, reason=reason)


def acknowledge_managed_policy(construct: IConstruct, policy: iam.IManagedPolicy, reason: str) -> None:
    """Acknowledge the IAM4 finding for one AWS managed policy attached to ``construct``."""
    flat = _flatten(Stack.of(construct).resolve(policy.managed_policy_arn))
    acknowledge(construct, f"IAM4[Policy::{flat}]", reason=reason)


def _flatten(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag names it (its flattenCfnReference)."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        if key == "Fn::Join":
            delimiter, items = value
            return str(delimiter).join(_flatten(item) for item in items)
        if key in ("Fn::Sub", "Fn::ImportValue"):
            return _flatten(value)
        if key == "Fn::GetAtt":
            return f"<{_flatten(value[0])}.{_flatten(value[1])}>"
        if key == "Ref":
            return f"<{_flatten(value)}>"
    return json.dumps(node, separators=(",", ":"))
