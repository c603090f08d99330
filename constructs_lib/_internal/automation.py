"""SSM Automation runbooks (schema 0.3) from typed steps, and the rules Automation enforces only at run time.

Each step is a frozen dataclass that writes itself as the runbook's JSON; ``runbook_content`` checks what
CreateDocument or a run would refuse: duplicate or malformed step names, a jump to a step that does not
exist, ``onCancel`` into an action it cannot reach, an output of an unknown type. No CDK: the constructs
build runbooks with it.
Sources: ../shared/reference/automation-events-compliance.md section 3.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .rules import fail

# Step names: letters, digits and underscores (what AWS's own runbooks use; "{{ Step.Output }}" references
# need a name without dots or spaces).
STEP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
# onCancel may not jump to these actions (Automation actions reference, "onCancel").
_NOT_CANCEL_TARGETS = frozenset(
    {
        "aws:approve",
        "aws:copyImage",
        "aws:createImage",
        "aws:createStack",
        "aws:createTags",
        "aws:pause",
        "aws:runInstances",
        "aws:sleep",
    }
)
OUTPUT_TYPES = frozenset({"String", "Integer", "Boolean", "StringList", "StringMap", "MapList"})


def jump(step: str) -> str:
    """An onFailure/onCancel value that continues at ``step``."""
    return f"step:{step}"


@dataclass(frozen=True)
class Output:
    """A step output: ``{{ <step>.<name> }}`` in later steps, chosen from the API response by ``selector``."""

    name: str
    selector: str
    type: str = "String"

    def to_json(self) -> dict[str, str]:
        return {"Name": self.name, "Selector": self.selector, "Type": self.type}


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step shares. ``on_failure``/``on_cancel``: "Abort", "Continue" or ``jump(name)``;
    ``is_critical``: None leaves Automation's default (critical unless onFailure is Continue)."""

    action: ClassVar[str]
    name: str
    on_failure: str | None = None
    on_cancel: str | None = None
    next_step: str | None = None
    is_end: bool = False
    is_critical: bool | None = None
    timeout_seconds: int | None = None
    max_attempts: int | None = None

    def inputs(self) -> dict[str, Any]:
        raise NotImplementedError

    def outputs(self) -> Sequence[Output]:
        return ()

    def targets(self) -> Iterator[str]:
        """The steps this one may continue at."""
        for value in (self.on_failure, self.on_cancel):
            if value and value.startswith("step:"):
                yield value.removeprefix("step:")
        if self.next_step:
            yield self.next_step

    def to_json(self) -> dict[str, Any]:
        step: dict[str, Any] = {"name": self.name, "action": self.action}
        optional = {
            "maxAttempts": self.max_attempts,
            "timeoutSeconds": self.timeout_seconds,
            "onFailure": self.on_failure,
            "onCancel": self.on_cancel,
            "isCritical": self.is_critical,
            "nextStep": self.next_step,
        }
        step.update({key: value for key, value in optional.items() if value is not None})
        if self.is_end:
            step["isEnd"] = True
        step["inputs"] = self.inputs()
        if self.outputs():
            step["outputs"] = [output.to_json() for output in self.outputs()]
        return step


@dataclass(frozen=True, kw_only=True)
class ApiCall(Step):
    """``aws:executeAwsApi``: one call (boto3 namespace and operation, then the request members)."""

    action: ClassVar[str] = "aws:executeAwsApi"
    service: str
    api: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    returns: Sequence[Output] = ()

    def inputs(self) -> dict[str, Any]:
        return {"Service": self.service, "Api": self.api, **self.parameters}

    def outputs(self) -> Sequence[Output]:
        return self.returns


@dataclass(frozen=True, kw_only=True)
class WaitForProperty(ApiCall):
    """``aws:waitForAwsResourceProperty``: poll the call until ``selector`` reads one of ``desired``."""

    action: ClassVar[str] = "aws:waitForAwsResourceProperty"
    selector: str
    desired: Sequence[str]

    def inputs(self) -> dict[str, Any]:
        return {**super().inputs(), "PropertySelector": self.selector, "DesiredValues": list(self.desired)}


@dataclass(frozen=True, kw_only=True)
class AssertProperty(WaitForProperty):
    """``aws:assertAwsResourceProperty``: fail at once unless ``selector`` reads one of ``desired``."""

    action: ClassVar[str] = "aws:assertAwsResourceProperty"


@dataclass(frozen=True)
class Choice:
    """One branch choice: continue at ``next_step`` when ``variable`` equals ``equals``."""

    variable: str
    equals: str
    next_step: str


@dataclass(frozen=True, kw_only=True)
class Branch(Step):
    """``aws:branch``: the first matching choice, else ``default``."""

    action: ClassVar[str] = "aws:branch"
    choices: Sequence[Choice]
    default: str

    def inputs(self) -> dict[str, Any]:
        choices = [{"NextStep": c.next_step, "Variable": c.variable, "StringEquals": c.equals} for c in self.choices]
        return {"Choices": choices, "Default": self.default}

    def targets(self) -> Iterator[str]:
        yield from super().targets()
        yield from (choice.next_step for choice in self.choices)
        yield self.default


@dataclass(frozen=True, kw_only=True)
class RunCommand(Step):
    """``aws:runCommand``: a Command document on instances; ``settings`` are the other request members
    (output, notifications, delivery timeout, comment)."""

    action: ClassVar[str] = "aws:runCommand"
    document_name: str
    instance_ids: Sequence[str]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        return {
            "DocumentName": self.document_name,
            "InstanceIds": list(self.instance_ids),
            "Parameters": dict(self.parameters),
            **self.settings,
        }


@dataclass(frozen=True, kw_only=True)
class Sleep(Step):
    """``aws:sleep`` for an ISO 8601 duration such as ``PT1S``."""

    action: ClassVar[str] = "aws:sleep"
    duration: str

    def inputs(self) -> dict[str, Any]:
        return {"Duration": self.duration}


@dataclass(frozen=True, kw_only=True)
class Approve(Step):
    """``aws:approve``: wait for ``min_required`` of ``approvers`` (IAM ARNs) to approve."""

    action: ClassVar[str] = "aws:approve"
    approvers: Sequence[str]
    message: str | None = None
    min_required: int = 1
    notification_arn: str | None = None

    def inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {"Approvers": list(self.approvers), "MinRequiredApprovals": self.min_required}
        if self.message:
            inputs["Message"] = self.message
        if self.notification_arn:
            inputs["NotificationArn"] = self.notification_arn
        return inputs


@dataclass(frozen=True, kw_only=True)
class ExecuteAutomation(Step):
    """``aws:executeAutomation``: run another runbook and wait for it."""

    action: ClassVar[str] = "aws:executeAutomation"
    document_name: str
    runtime_parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {"DocumentName": self.document_name}
        if self.runtime_parameters:
            inputs["RuntimeParameters"] = {key: list(values) for key, values in self.runtime_parameters.items()}
        return inputs


def runbook_content(
    *,
    description: str,
    parameters: Mapping[str, Mapping[str, Any]],
    steps: Sequence[Step],
    outputs: Sequence[str] = (),
) -> dict[str, Any]:
    """The runbook's content (schema 0.3, assuming the ``AutomationAssumeRole`` parameter), after the checks."""
    check_steps(steps)
    check_variables(steps, parameters)
    content: dict[str, Any] = {
        "schemaVersion": "0.3",
        "description": description,
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {name: dict(spec) for name, spec in parameters.items()},
        "mainSteps": [step.to_json() for step in steps],
    }
    if outputs:
        content["outputs"] = list(outputs)
    return content


def check_steps(steps: Sequence[Step]) -> None:
    """Names unique and well formed, every jump to a step that exists (onCancel not into an action it cannot
    reach), outputs of a known type."""
    if not steps:
        fail("a runbook needs at least one step")
    actions: dict[str, str] = {}
    for step in steps:
        if not STEP_NAME.fullmatch(step.name):
            fail(f"step names must be 1 to 100 letters, digits and underscores, a letter first; got {step.name!r}")
        if step.name in actions:
            fail(f"step names must be unique in a runbook; {step.name!r} is used twice")
        actions[step.name] = step.action
        for output in step.outputs():
            if output.type not in OUTPUT_TYPES:
                allowed = ", ".join(sorted(OUTPUT_TYPES))
                fail(f"step {step.name} output {output.name}: type must be one of {allowed}; got {output.type}")
    for step in steps:
        for target in step.targets():
            if target not in actions:
                fail(f"step {step.name} continues at {target!r}, which is not a step of the runbook")
        cancel = (step.on_cancel or "").removeprefix("step:")
        if step.on_cancel and step.on_cancel.startswith("step:") and actions[cancel] in _NOT_CANCEL_TARGETS:
            fail(f"step {step.name}: onCancel can't continue at {cancel} ({actions[cancel]}); Automation refuses it")


# The outputs each action has without declaring them (Automation actions reference, per action's "Output").
_BUILT_IN_OUTPUTS = {
    "aws:runCommand": ("CommandId", "Status", "ResponseCode", "Output"),
    "aws:executeAutomation": ("ExecutionId", "Status", "Output"),
    "aws:approve": ("ApprovalStatus", "ApproverDecisions", "Approvers"),
}
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_SYSTEM_VARIABLE = re.compile(r"^(automation|global):[A-Z_]+$")


def check_variables(steps: Sequence[Step], parameters: Mapping[str, Any]) -> None:
    """Every ``{{ name }}`` a step uses names a parameter, an output of a step before it (declared, or built
    into its action) or a system variable (``automation:EXECUTION_ID``, ``global:DATE``, ...): Automation
    finds a misspelt one only when the step runs."""
    known = set(parameters)
    for step in steps:
        for name in _VARIABLE.findall(repr(step.inputs())):
            if name not in known and not _SYSTEM_VARIABLE.fullmatch(name):
                fail(
                    f"step {step.name} uses {{{{ {name} }}}}, which is no parameter ({', '.join(sorted(parameters))}), "
                    "output of an earlier step or system variable"
                )
        known.update(f"{step.name}.{output.name}" for output in step.outputs())
        known.update(f"{step.name}.{name}" for name in _BUILT_IN_OUTPUTS.get(step.action, ()))
