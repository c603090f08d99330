"""PatchFleet: many patch groups spread over as many stacks as CloudFormation's limits require."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Environment, IStackSynthesizer, Stack
from constructs import Construct

from .._internal.rules import RESOURCE_NAME, RESOURCE_NAME_RULE, check_pattern, fail
from .._internal.typecheck import typed
from .._internal.validation import check_int_range
from ..core.stack_checks import MAX_RESOURCES, MAX_TEMPLATE_BYTES, Footprint, add_stack_limits, footprint
from ..operations.workflow import PatchWorkflow

# Room left in each stack for what CDK adds (CDKMetadata, outputs) and later growth.
DEFAULT_RESOURCES_PER_STACK = 450


class PatchFleet(Construct):
    """Defines many patch groups (one PatchWorkflow each) in as few stacks as CloudFormation's limits allow.

    Groups are placed in the order they are added: each goes into the current stack while that stack
    stays at or under ``resources_per_stack`` and its estimated template size under 1 MB (hook documents
    of groups that bring their own count with their whole scripts), else into a new one, so the same code
    always yields the same stacks and logical ids. Things every group shares (hook documents, output,
    notifications) live in ``shared_stack``; a group stack refers to them by cross-stack reference (with
    the recommended ``@aws-cdk/core:defaultCrossStackReferences: weak``, ``Fn::GetStackOutput``, which
    never locks the shared stack), the only references made.
    Every stack fails synth, naming itself and the count, if it would exceed 500 resources or 200 outputs,
    or if its hook documents alone would pass the 1 MB template limit.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_name_prefix: str,
        env: Environment | None = None,
        resources_per_stack: int = DEFAULT_RESOURCES_PER_STACK,
        synthesizer: IStackSynthesizer | None = None,
    ) -> None:
        """Define the fleet.

        Args:
            stack_name_prefix: stacks are named <prefix>-Shared, <prefix>-Groups1, <prefix>-Groups2, ...
            env: the account and region of every stack. Default: environment-agnostic stacks.
            resources_per_stack: the most resources a group stack takes before a new one starts, up to 500.
                Default: 450, leaving room for CDK metadata and later growth.
            synthesizer: the stack synthesizer. Default: the CDK default synthesizer.
        """
        super().__init__(scope, construct_id)
        check_pattern(
            "stack_name_prefix", stack_name_prefix, RESOURCE_NAME, "3 to 128 characters from a-z, A-Z, 0-9, _, - and ."
        )
        check_int_range("resources_per_stack", resources_per_stack, 10, MAX_RESOURCES)
        self._prefix = stack_name_prefix
        self._env = env
        self._synthesizer = synthesizer
        self._limit = resources_per_stack
        self._shared_stack: Stack | None = None
        self.group_stacks: list[Stack] = []
        self.workflows: dict[str, PatchWorkflow] = {}
        self._in_last_stack = Footprint()

    @property
    def shared_stack(self) -> Stack:
        """The stack for what all groups share (hook documents, output, notifications), made on first use.

        Group stacks refer to its resources with CDK's cross-stack references, which also order the deploys.
        """
        if self._shared_stack is None:
            self._shared_stack = self._new_stack("Shared")
        return self._shared_stack

    def _new_stack(self, suffix: str) -> Stack:
        stack = Stack(self, suffix, stack_name=f"{self._prefix}-{suffix}", env=self._env, synthesizer=self._synthesizer)
        add_stack_limits(stack)
        return stack

    @typed
    def add_group(
        self, group_id: str, build: Callable[[Stack, str], PatchWorkflow] | None = None, **workflow_options: Any
    ) -> PatchWorkflow:
        """Add one patch group: a PatchWorkflow with ``workflow_options`` (or made by ``build(stack, id)``).

        ``build`` defines the group under the id it is given (hook documents of its own included), so the
        group is counted, and moved to a new stack when it does not fit, as a whole.
        Default: ``PatchWorkflow(stack, group_id, **workflow_options)``.
        """
        check_pattern("group_id", group_id, RESOURCE_NAME, RESOURCE_NAME_RULE)
        if group_id in self.workflows:
            fail(f"group_id must be unique in the fleet; got {group_id!r} twice")

        def make(stack: Stack) -> PatchWorkflow:
            return build(stack, group_id) if build else PatchWorkflow(stack, group_id, **workflow_options)

        stack = self.group_stacks[-1] if self.group_stacks else self._start_group_stack()
        workflow = make(stack)
        added = footprint(stack.node.try_find_child(group_id) or workflow)
        if not self._fits(self._in_last_stack + added) and self._in_last_stack.resources > 0:
            # The group does not fit: take it out and start the next stack with it.
            stack.node.try_remove_child(group_id)
            workflow = make(self._start_group_stack())
        self._in_last_stack += added
        self.workflows[group_id] = workflow
        return workflow

    def _fits(self, used: Footprint) -> bool:
        return used.resources <= self._limit and used.estimated_template_bytes <= MAX_TEMPLATE_BYTES

    def _start_group_stack(self) -> Stack:
        stack = self._new_stack(f"Groups{len(self.group_stacks) + 1}")
        self.group_stacks.append(stack)
        self._in_last_stack = Footprint()
        return stack
