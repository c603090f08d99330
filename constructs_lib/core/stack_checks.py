"""Checks no single construct can make: CloudFormation's template limits, and conflicts between constructs.

Every construct of this library that defines resources calls ``watch(self)``: its stack then fails synth,
naming the stack and the count, past CloudFormation's limits (no opt-in), and a construct that conflicts
with one defined before it in the same account and region is refused as it is defined, naming both:

- a patch group holds one baseline per operating system (RegisterPatchBaselineForPatchGroup refuses a
  second: "AlreadyExistsException", API model);
- an account and region has one default baseline per operating system (RegisterDefaultPatchBaseline
  replaces the previous one, so the last deployed stack would silently win);
- document names are unique per account and region (CreateDocument: DocumentAlreadyExists).

Stacks whose account or region is only known at deploy time (environment-agnostic) are each their own
deployment target here: two of them may go to different accounts, so only conflicts inside one are certain.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any

import jsii
from aws_cdk import CfnOutput, CfnResource, Stack
from constructs import IConstruct, IValidation

from .._internal.rules import fail
from .._internal.tokens import is_unresolved_text
from .._internal.vocabulary import OperatingSystem
from .protocols import ISizedDocument

# CloudFormation's per-template limits.
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_TEMPLATE_BYTES = 1_000_000

# Estimating a template's size before CDK renders it: hook documents are measured as CDK will indent
# them; any other resource of ours takes well under this many bytes.
_BYTES_PER_RESOURCE = 1_000
_CHECKED = "_constructs_lib_limits_checked"
_REGISTRY = "_constructs_lib_conflicts"


@dataclass(frozen=True)
class Footprint:
    """What a scope adds to its stack's template: resources, outputs, and its hook documents' bytes
    compact (a lower bound of their share of any template) and indented as CDK writes templates."""

    resources: int = 0
    outputs: int = 0
    document_bytes: int = 0
    indented_document_bytes: int = 0

    def __add__(self, other: Footprint) -> Footprint:
        return Footprint(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))

    @property
    def estimated_template_bytes(self) -> int:
        """A generous estimate of the indented template's size (tests check it against real templates)."""
        return self.indented_document_bytes + self.resources * _BYTES_PER_RESOURCE


def footprint(scope: IConstruct) -> Footprint:
    """The footprint of everything under ``scope`` in its own template (one jsii call, then Python type
    checks; nested stacks, which have templates of their own, are left out)."""
    resources = outputs = document_bytes = indented_document_bytes = 0
    for child in _in_this_template(scope):
        if isinstance(child, CfnResource):
            resources += 1
        elif isinstance(child, CfnOutput):
            outputs += 1
        elif isinstance(child, ISizedDocument):
            document_bytes += child.compact_bytes
            indented_document_bytes += child.indented_bytes
    return Footprint(resources, outputs, document_bytes, indented_document_bytes)


def _in_this_template(scope: IConstruct) -> list[IConstruct]:
    everything = scope.node.find_all()
    nested = [child.node.path + "/" for child in everything if isinstance(child, Stack) and child is not scope]
    if not nested:
        return everything
    return [child for child in everything if not child.node.path.startswith(tuple(nested))]


@jsii.implements(IValidation)
class _StackLimits:
    """A stack validation: fails synth, naming the stack, when it holds too many resources or outputs, or
    hook documents that alone pass the template size limit (their content is known in Python; the rest of
    the template is not rendered yet, so this is a lower bound: CDK warns when the real size passes it)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def validate(self) -> list[str]:
        used = footprint(self.stack)
        name = self.stack.stack_name
        errors = []
        if used.resources > MAX_RESOURCES:
            errors.append(
                f"stack {name} holds {used.resources} resources; CloudFormation allows "
                f"{MAX_RESOURCES}: spread its patch groups over more stacks"
            )
        if used.outputs > MAX_OUTPUTS:
            errors.append(f"stack {name} holds {used.outputs} outputs; CloudFormation allows {MAX_OUTPUTS}")
        if used.document_bytes > MAX_TEMPLATE_BYTES:
            errors.append(
                f"stack {name} holds hook documents of {used.document_bytes} bytes; a template may hold "
                f"{MAX_TEMPLATE_BYTES}: share hook documents between groups or spread them over more stacks"
            )
        return errors


def add_stack_limits(stack: Stack) -> None:
    """Make synth fail, naming the stack and the count, when ``stack`` exceeds CloudFormation's limits:
    500 resources, 200 outputs, 1,000,000 template bytes (counting its hook documents only).

    Every stack holding a construct of this library has it already; calling it again adds nothing.
    """
    if not getattr(stack, _CHECKED, False):
        stack.node.add_validation(_StackLimits(stack))
        setattr(stack, _CHECKED, True)


def watch(construct: IConstruct) -> None:
    """Give ``construct``'s stack the limits check (once per stack)."""
    add_stack_limits(Stack.of(construct))


def claim_patch_groups(baseline: IConstruct, operating_system: OperatingSystem, patch_groups: list[str]) -> None:
    """Refuse a patch group that already has a baseline for ``operating_system`` in the same place."""
    for group in patch_groups:
        if is_unresolved_text(group):
            continue
        _claim(
            baseline,
            ("patch group", operating_system, group),
            f"patch_groups: patch group {group!r} already has a {operating_system.value} baseline",
            "a patch group holds one baseline per operating system",
        )


def claim_default_baseline(baseline: IConstruct, operating_system: OperatingSystem) -> None:
    """Refuse a second default baseline for ``operating_system`` in the same place."""
    _claim(
        baseline,
        ("default baseline", operating_system),
        f"default_baseline: {operating_system.value} already has a default baseline",
        "one default baseline per operating system (the last stack deployed would silently win)",
    )


def claim_document_name(document: IConstruct, document_name: str) -> None:
    """Refuse a document name already used in the same place."""
    if is_unresolved_text(document_name):
        return
    _claim(
        document,
        ("document", document_name),
        f"document_name {document_name!r} is already used",
        "document names are unique per account and region",
    )


_TARGET = "_constructs_lib_deployment_target"


def _claim(construct: IConstruct, what: tuple[Any, ...], conflict: str, rule: str) -> None:
    holders = _holders(construct)
    where, described = _deployment_target(construct)
    key = (*where, *what)
    holder = holders.get(key)
    if holder is not None and holder != construct.node.path and _in_tree(construct.node.root, holder):
        fail(f"{conflict} in {described} ({holder}), so {construct.node.path} can't have it: {rule}")
    holders[key] = construct.node.path


def _in_tree(root: IConstruct, path: str) -> bool:
    """False for a claim whose holder was removed from the tree since (PatchFleet moves a group that does
    not fit into the next stack by removing it and defining it again)."""
    node: IConstruct | None = root
    for part in path.split("/"):
        node = node.node.try_find_child(part) if node is not None else None
    return node is not None


def _holders(construct: IConstruct) -> dict[tuple[Any, ...], str]:
    """Who holds what in each deployment target (account and region, or an environment-agnostic stack),
    kept on the app: one registry per construct tree."""
    root = construct.node.root
    holders: dict[tuple[Any, ...], str] | None = getattr(root, _REGISTRY, None)
    if holders is None:
        holders = {}
        setattr(root, _REGISTRY, holders)
    return holders


def _deployment_target(construct: IConstruct) -> tuple[tuple[str, ...], str]:
    """Where ``construct`` deploys, kept on its stack once known (each lookup is several jsii calls)."""
    stack = Stack.of(construct)
    known: tuple[tuple[str, ...], str] | None = getattr(stack, _TARGET, None)
    if known is None:
        account, region = stack.account, stack.region
        if is_unresolved_text(account) or is_unresolved_text(region):
            known = ("stack", stack.node.path), f"stack {stack.node.path}"
        else:
            known = (account, region), f"account {account} region {region}"
        setattr(stack, _TARGET, known)
    return known
