"""Just enough of SSM Automation to run the brake's runbooks offline: their steps, in order, on boto3 clients.

Supports what the runbooks of PatchWaves use and nothing else: ``aws:executeAwsApi`` (the call through a boto3
client, outputs by a ``$.a.b`` selector), ``aws:branch`` (``StringEquals`` choices and a default),
``aws:sleep`` (skipped), ``nextStep``/``isEnd``, and ``{{ Name }}`` references to parameters and outputs.
Templates are made concrete first: ``Ref``, ``Fn::GetAtt`` and ``Fn::Join`` resolved from made-up ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore import xform_name

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_.:]+)\s*\}\}")


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


def _render(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value.strip())
        if whole:
            return values[whole.group(1)]
        return _REFERENCE.sub(lambda match: str(values[match.group(1)]), value)
    if isinstance(value, list):
        return [_render(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _render(item, values) for key, item in value.items()}
    return value


def _select(response: Mapping[str, Any], selector: str) -> Any:
    node: Any = response
    for part in selector.removeprefix("$.").split("."):
        node = node[part]
    return node


def _branch(inputs: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    for choice in inputs["Choices"]:
        if _render(choice["Variable"], values) == choice["StringEquals"]:
            return str(choice["NextStep"])
    return str(inputs["Default"])


def run_runbook(
    content: Mapping[str, Any], parameters: Mapping[str, Any], clients: Mapping[str, Any], log: Callable[[str], None]
) -> None:
    """Run the runbook's steps as Automation would, calling AWS through ``clients`` (one per service)."""
    steps = list(content["mainSteps"])
    index_of = {step["name"]: index for index, step in enumerate(steps)}
    values: dict[str, Any] = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in parameters.items()}
    index = 0
    while index < len(steps):
        step = steps[index]
        next_step = step.get("nextStep")
        if step["action"] == "aws:executeAwsApi":
            inputs = _render(dict(step["inputs"]), values)
            service, api = inputs.pop("Service"), inputs.pop("Api")
            response = getattr(clients[service], xform_name(api))(**inputs)
            for output in step.get("outputs", []):
                values[f"{step['name']}.{output['Name']}"] = _select(response, output["Selector"])
            log(f"{step['name']}: {service} {api} {inputs}")
        elif step["action"] == "aws:branch":
            next_step = _branch(step["inputs"], values)
            log(f"{step['name']}: -> {next_step}")
        elif step["action"] == "aws:sleep":
            log(f"{step['name']}: sleep {step['inputs']['Duration']}")
        else:
            raise NotImplementedError(f"{step['action']} is not rehearsed here")
        if step.get("isEnd"):
            return
        index = index_of[next_step] if next_step else index + 1
