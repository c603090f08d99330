"""Just enough of SSM Automation to run this library's runbooks offline: their steps, in order, on boto3 clients.

What the runbooks of PatchWaves and PatchRunbook use, and nothing else:

- ``aws:executeAwsApi`` (the call through a boto3 client, outputs by a ``$.a[0].b`` selector);
- ``aws:waitForAwsResourceProperty`` (polled until the property reads a desired value, at most ``polls``
  times: the rehearsal's stand-in for the step's timeout) and ``aws:assertAwsResourceProperty`` (once);
- ``aws:branch`` (``StringEquals`` choices, a default; a variable that does not resolve fails the step);
- ``aws:runCommand`` (handed to a callback that returns the command's status);
- ``aws:sleep`` (skipped); ``aws:approve`` and ``aws:executeAutomation`` (not rehearsable: reported so);
- ``nextStep``, ``isEnd``, ``onFailure`` (Abort, Continue, ``step:<name>``) and ``isCritical``: a failed
  critical step makes the run Failed, wherever the run goes next.

Templates are made concrete first (``concrete``): ``Ref``, ``Fn::GetAtt`` and ``Fn::Join`` resolved from
made-up ids. Clients are boto3 clients with botocore's Stubber, so every call is checked against the API model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_.:]+)\s*\}\}")
_PART = re.compile(r"([A-Za-z0-9_]+)((?:\[\d+\])*)")

SUCCESS, FAILED, TIMED_OUT, NOT_REHEARSABLE = "Success", "Failed", "TimedOut", "NotRehearsable"
# The execution id a rehearsed run reports as {{ automation:EXECUTION_ID }}.
EXECUTION_ID = "00000000-0000-4000-8000-000000000000"


class StepFailedError(Exception):
    """A step did not succeed: its status (Failed or TimedOut) and why."""

    def __init__(self, status: str, why: str) -> None:
        super().__init__(why)
        self.status = status


@dataclass
class StepRun:
    name: str
    action: str
    status: str
    note: str = ""


@dataclass
class RunbookRun:
    """What a run did: each step as it ran, and the run's status as Automation would report it."""

    steps: list[StepRun] = field(default_factory=list)
    status: str = SUCCESS

    def step(self, name: str) -> StepRun | None:
        return next((step for step in self.steps if step.name == name), None)


def concrete(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with Ref, Fn::GetAtt (``<id>.<attribute>`` in ``ids``) and Fn::Join resolved."""
    if isinstance(value, list):
        return [concrete(item, ids) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return ids[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        return ids[f"{logical_id}.{attribute}"]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(concrete(part, ids)) for part in parts)
    return {key: concrete(item, ids) for key, item in value.items()}


def render(value: Any, values: Mapping[str, Any]) -> Any:
    """``{{ Name }}`` references replaced (a whole-string reference keeps the value's type)."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value.strip())
        if whole:
            return _lookup(values, whole.group(1))
        return _REFERENCE.sub(lambda match: str(_lookup(values, match.group(1))), value)
    if isinstance(value, list):
        return [render(item, values) for item in value]
    if isinstance(value, dict):
        return {key: render(item, values) for key, item in value.items()}
    return value


def _lookup(values: Mapping[str, Any], name: str) -> Any:
    if name not in values:
        raise StepFailedError(FAILED, f"{{{{ {name} }}}} does not resolve (its step did not run or did not return it)")
    return values[name]


def select(response: Any, selector: str) -> Any:
    """The value at a ``$.A[0].B`` selector; missing is a step failure, as in Automation."""
    node = response
    for part in selector.removeprefix("$.").split("."):
        match = _PART.fullmatch(part)
        if match is None:
            raise StepFailedError(FAILED, f"selector {selector} is not supported here")
        try:
            node = node[match.group(1)]
            for index in re.findall(r"\[(\d+)\]", match.group(2)):
                node = node[int(index)]
        except (KeyError, IndexError, TypeError) as error:
            raise StepFailedError(FAILED, f"{selector} is not in the response") from error
    return node


def _call(step: Mapping[str, Any], values: Mapping[str, Any], clients: Mapping[str, Any]) -> tuple[Any, str]:
    inputs = render(dict(step["inputs"]), values)
    service, api = inputs.pop("Service"), inputs.pop("Api")
    for key in ("PropertySelector", "DesiredValues"):
        inputs.pop(key, None)
    try:
        response = getattr(clients[service], xform_name(api))(**inputs)
    except (ClientError, BotoCoreError) as error:
        raise StepFailedError(FAILED, f"{service} {api}: {error}") from error
    return response, f"{service} {api} {inputs}"


def _run_step(
    step: Mapping[str, Any],
    values: dict[str, Any],
    clients: Mapping[str, Any],
    run_command: Callable[[Mapping[str, Any]], tuple[str, str]],
    polls: int,
) -> tuple[str, str, str | None]:
    """Run one step: (status, note, the branch's next step)."""
    action = step["action"]
    if action == "aws:executeAwsApi":
        response, what = _call(step, values, clients)
        for output in step.get("outputs", []):
            values[f"{step['name']}.{output['Name']}"] = select(response, output["Selector"])
        return SUCCESS, what, None
    if action in ("aws:waitForAwsResourceProperty", "aws:assertAwsResourceProperty"):
        desired = [str(value) for value in step["inputs"]["DesiredValues"]]
        tries = polls if action == "aws:waitForAwsResourceProperty" else 1
        seen = []
        for _ in range(tries):
            response, what = _call(step, values, clients)
            seen.append(str(select(response, step["inputs"]["PropertySelector"])))
            if seen[-1] in desired:
                return SUCCESS, f"{what}: {' -> '.join(seen)}", None
        status = TIMED_OUT if action == "aws:waitForAwsResourceProperty" else FAILED
        raise StepFailedError(status, f"{what}: {' -> '.join(seen)}, never {' or '.join(desired)}")
    if action == "aws:branch":
        for choice in step["inputs"]["Choices"]:
            if str(render(choice["Variable"], values)) == choice["StringEquals"]:
                return SUCCESS, f"-> {choice['NextStep']}", str(choice["NextStep"])
        return SUCCESS, f"-> {step['inputs']['Default']}", str(step["inputs"]["Default"])
    if action == "aws:runCommand":
        status, note = run_command(render(dict(step["inputs"]), values))
        values[f"{step['name']}.Status"] = status
        if status != SUCCESS:
            raise StepFailedError(status, note)
        return SUCCESS, note, None
    if action == "aws:sleep":
        return SUCCESS, f"sleep {step['inputs']['Duration']}", None
    if action in ("aws:approve", "aws:executeAutomation"):
        # Taken as approved / succeeded: their built-in outputs say so to later steps.
        name = step["name"]
        values.update(
            {f"{name}.ApprovalStatus": "Approved", f"{name}.Status": SUCCESS, f"{name}.ExecutionId": EXECUTION_ID}
        )
        return NOT_REHEARSABLE, f"{action} is not rehearsed (taken as approved / succeeded)", None
    raise StepFailedError(FAILED, f"{action} is not rehearsed here")


def _record(run: RunbookRun, step: Mapping[str, Any], status: str, note: str, log: Callable[[str], None]) -> None:
    run.steps.append(StepRun(step["name"], step["action"], status, note))
    log(f"{step['name']}: {note}" if status == SUCCESS else f"{step['name']}: {status}: {note}")


def run_runbook(
    content: Mapping[str, Any],
    parameters: Mapping[str, Any],
    clients: Mapping[str, Any],
    log: Callable[[str], None] = lambda _: None,
    *,
    run_command: Callable[[Mapping[str, Any]], tuple[str, str]] | None = None,
    polls: int = 3,
) -> RunbookRun:
    """Run the runbook's steps as Automation would, calling AWS through ``clients`` (one per service)."""
    steps = list(content["mainSteps"])
    index_of = {step["name"]: index for index, step in enumerate(steps)}
    values: dict[str, Any] = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in parameters.items()}
    values.setdefault("automation:EXECUTION_ID", EXECUTION_ID)
    run = RunbookRun()
    index: int | None = 0

    def no_command(_: Mapping[str, Any]) -> tuple[str, str]:
        raise StepFailedError(FAILED, "aws:runCommand is not rehearsed here")

    while index is not None and index < len(steps):
        step = steps[index]
        next_step = step.get("nextStep")
        try:
            status, note, branch_to = _run_step(step, values, clients, run_command or no_command, polls)
            next_step = branch_to or next_step
        except StepFailedError as failure:
            status, note = failure.status, str(failure)
            on_failure = step.get("onFailure", "Abort")
            if step.get("isCritical", on_failure != "Continue"):
                run.status = FAILED
            next_step = on_failure.removeprefix("step:") if on_failure.startswith("step:") else None
            if on_failure == "Abort":
                _record(run, step, status, note, log)
                return run
        _record(run, step, status, note, log)
        if step.get("isEnd"):
            return run
        index = index_of[next_step] if next_step else index + 1
    return run
