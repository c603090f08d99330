"""Reading patching resources back out of a synthesized cloud assembly (cdk.out), without the CDK.

The plan and rehearsal commands work from templates, the artifact reviewers and pipelines have,
never from the Python objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._internal.constants import (
    HALT_GATE_TASK,
    HOOK_PARAMETERS,
    NOOP_DOCUMENT,
    PATCH_DOCUMENT,
    WINDOW_EXECUTION_EVENT,
)
from .._internal.rules import check_time_zone
from .command import CommandError


class AssemblyError(CommandError):
    """The assembly or template does not hold what was asked for."""


def stack_templates(assembly: Path, *, nested: bool = False, _seen: frozenset[Path] = frozenset()) -> dict[str, Path]:
    """Each stack of a cloud assembly and its template file, the stacks of its stages (nested assemblies)
    included, those by their display name (e.g. ``acme-dev/Patching``)."""
    here = assembly.resolve()
    if here in _seen:
        raise AssemblyError(f"{assembly}/manifest.json names an assembly that contains itself")
    try:
        manifest = json.loads((assembly / "manifest.json").read_text())
    except FileNotFoundError as error:
        raise AssemblyError(f"{assembly} is not a cloud assembly (no manifest.json); run make synth first") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{assembly}/manifest.json can't be read: {str(error)[:200]}") from error
    templates: dict[str, Path] = {}
    try:
        for name, artifact in manifest["artifacts"].items():
            if artifact.get("type") == "aws:cloudformation:stack":
                shown = artifact.get("displayName", name) if nested else name
                templates[shown] = assembly / artifact["properties"]["templateFile"]
            elif artifact.get("type") == "cdk:cloud-assembly":
                inner = assembly / artifact["properties"]["directoryName"]
                templates.update(stack_templates(inner, nested=True, _seen=_seen | {here}))
    except (KeyError, TypeError, AttributeError) as error:
        raise AssemblyError(f"{assembly}/manifest.json is not a cloud assembly manifest (missing {error})") from error
    return templates


def load_template(assembly: Path, stack: str | None) -> tuple[str, dict[str, Any]]:
    """The name and template of ``stack`` (the assembly's only stack when none is named)."""
    templates = stack_templates(assembly)
    if stack is None:
        if len(templates) != 1:
            raise AssemblyError(f"name a stack; the assembly has {', '.join(sorted(templates)) or 'none'}")
        stack = next(iter(templates))
    if stack not in templates:
        raise AssemblyError(f"no stack {stack!r} in {assembly}; stacks: {', '.join(sorted(templates))}")
    return stack, read_template(templates[stack], what=f"the template of {stack}")


# CloudFormation takes templates of at most 1 MB; reading more than this is never a template.
_MAX_TEMPLATE_BYTES = 10_000_000


def read_template(path: Path, *, what: str) -> dict[str, Any]:
    """A JSON template from ``path``, or an AssemblyError saying in one line why it isn't one."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_TEMPLATE_BYTES + 1)
        if len(data) > _MAX_TEMPLATE_BYTES:
            raise AssemblyError(f"{what} {path} is over {_MAX_TEMPLATE_BYTES} bytes: not a template")
        template = json.loads(data.decode())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{what} {path} can't be read as a JSON template: {str(error)[:200]}") from None
    if not isinstance(template, dict):
        raise AssemblyError(f"{what} {path} is not a CloudFormation template (a JSON object)")
    return template


def choose_task(resources: dict[str, Any], wanted: str | None, *, runbooks: bool = False) -> tuple[str, dict[str, Any]]:
    """The AWS-RunPatchBaselineWithHooks task named ``wanted`` (name or logical id), or the only one, or the
    only Install task with hooks among several. ``runbooks``: also AUTOMATION tasks whose runbook runs it."""
    tasks = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::SSM::MaintenanceWindowTask"
        and (
            resource.get("Properties", {}).get("TaskArn") == PATCH_DOCUMENT
            or (runbooks and patch_runbook(resources, resource.get("Properties", {})) is not None)
        )
    }
    if not tasks:
        raise AssemblyError(f"the template has no {PATCH_DOCUMENT} task")
    names = ", ".join(sorted(props.get("Name", logical_id) for logical_id, props in tasks.items()))
    if wanted:
        for logical_id, props in tasks.items():
            if wanted in (logical_id, props.get("Name")):
                return logical_id, props
        raise AssemblyError(f"the template has no task named {wanted!r} (tasks: {names})")
    if len(tasks) > 1:
        # The only Install task with hooks is what a patch run means (a scan task beside it is not).
        hooked = {
            logical_id: props
            for logical_id, props in tasks.items()
            if patch_parameters(resources, props).get("Operation") == ["Install"]
            and any(parameter in patch_parameters(resources, props) for _, parameter in HOOK_PARAMETERS)
        }
        if len(hooked) == 1:
            return next(iter(hooked.items()))
        raise AssemblyError(
            f"the template has more than one task and {len(hooked)} hooked Install tasks; pick one with --task "
            f"(tasks: {names})"
        )
    return next(iter(tasks.items()))


def patch_runbook(resources: dict[str, Any], task: dict[str, Any]) -> dict[str, Any] | None:
    """The content of an AUTOMATION task's runbook when the template defines it and it runs the patch document
    (a PatchRunbook), else None."""
    if task.get("TaskType") != "AUTOMATION":
        return None
    reference = task.get("TaskArn")
    document = resources.get(reference["Ref"], {}) if isinstance(reference, dict) and "Ref" in reference else {}
    content = document.get("Properties", {}).get("Content")
    if document.get("Type") != "AWS::SSM::Document" or not isinstance(content, dict):
        return None
    steps = content.get("mainSteps", [])
    runs_patch = any(
        step.get("action") == "aws:runCommand" and step.get("inputs", {}).get("DocumentName") == PATCH_DOCUMENT
        for step in steps
    )
    return content if runs_patch else None


def patch_parameters(resources: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """The AWS-RunPatchBaselineWithHooks parameters a task sends: its own, or its runbook's patch step's."""
    runbook = patch_runbook(resources, task)
    if runbook is not None:
        for step in runbook["mainSteps"]:
            if step.get("action") == "aws:runCommand" and step["inputs"].get("DocumentName") == PATCH_DOCUMENT:
                parameters: dict[str, Any] = step["inputs"].get("Parameters", {})
                return parameters
    return _parameters(task)


def _parameters(task: dict[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = (
        task.get("TaskInvocationParameters", {}).get("MaintenanceWindowRunCommandParameters", {}).get("Parameters", {})
    )
    return parameters


def render(value: Any) -> str:
    """A template value for people: literals as they are, references by what they point at."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            return f"<{inner}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(map(str, inner))}>"
    return json.dumps(value, sort_keys=True)


@dataclass
class HookModel:
    slot: str
    name: str
    linux: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    defined_in_template: bool = False
    # The values baked in as parameter defaults, and each platform's step timeout in seconds.
    parameters: dict[str, str] = field(default_factory=dict)
    step_timeouts: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskModel:
    logical_id: str
    name: str
    operation: str
    reboot_option: str
    max_concurrency: str
    max_errors: str
    priority: str
    target_ids: list[str]
    hooks: dict[str, HookModel]
    # Every other property (cutoff behaviour, timeouts, output, notifications, role), rendered for diffs.
    others: dict[str, str] = field(default_factory=dict)
    # A PatchRunbook task: what each instance goes through, and the worst case beyond the patch (seconds).
    runbook: list[str] = field(default_factory=list)
    off_instance_seconds: int = 0


@dataclass
class TargetModel:
    logical_id: str
    name: str
    resource_type: str
    keys: list[tuple[str, list[str]]]
    others: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return "; ".join(f"{key} = {', '.join(values)}" for key, values in self.keys)


@dataclass
class WindowModel:
    logical_id: str
    name: str
    schedule: str
    timezone: str
    offset: int | None
    duration: int
    cutoff: int
    targets: list[TargetModel] = field(default_factory=list)
    tasks: list[TaskModel] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)


@dataclass
class BaselineModel:
    logical_id: str
    name: str
    operating_system: str
    patch_groups: list[str]
    default: bool
    rules: list[str]
    others: dict[str, str] = field(default_factory=dict)


@dataclass
class BrakeModel:
    """A PatchWaves brake: the window whose failure halts the others, on which statuses and events."""

    failed: str
    statuses: list[str]
    events: list[str]
    halts: list[str]


@dataclass
class ReportingModel:
    """What the stack reports on the morning after patch day, in words (empty lists: nothing)."""

    metrics: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    dashboards: int = 0
    alerts: list[str] = field(default_factory=list)
    syncs: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.metrics or self.alarms or self.dashboards or self.alerts or self.syncs or self.queries)


@dataclass
class StackModel:
    name: str
    windows: list[WindowModel]
    baselines: list[BaselineModel]
    brakes: list[BrakeModel] = field(default_factory=list)
    gated: list[str] = field(default_factory=list)
    reporting: ReportingModel = field(default_factory=ReportingModel)


def read_stack(name: str, template: dict[str, Any]) -> StackModel:
    """The windows (with their targets, tasks and hooks) and baselines of one template.

    A template that is not shaped as CloudFormation writes one (a hand-edited reference, say) is an
    AssemblyError naming what was wrong, not a traceback.
    """
    resources = template.get("Resources", {})
    if not isinstance(resources, dict) or not all(isinstance(r, dict) for r in resources.values()):
        raise AssemblyError(f"{name}: Resources must map each logical id to an object, as CloudFormation writes it")
    try:
        return _read_resources(name, resources)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise AssemblyError(
            f"{name}: a resource is not shaped as CloudFormation writes it ({type(error).__name__}: {error})"
        ) from None


def _read_resources(name: str, resources: dict[str, Any]) -> StackModel:

    def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r.get("Properties", {}) for lid, r in resources.items() if r.get("Type") == resource_type}

    windows = {lid: _window(lid, props) for lid, props in of_type("AWS::SSM::MaintenanceWindow").items()}
    for lid, props in of_type("AWS::SSM::MaintenanceWindowTarget").items():
        window = windows.get(props.get("WindowId", {}).get("Ref", ""))
        if window:
            keys = [(t["Key"], [render(v) for v in t["Values"]]) for t in props.get("Targets", [])]
            others = others_than(props, {"Name", "ResourceType", "Targets", "WindowId"})
            window.targets.append(TargetModel(lid, props.get("Name", lid), props.get("ResourceType", ""), keys, others))
    for lid, props in of_type("AWS::SSM::MaintenanceWindowTask").items():
        window = windows.get(props.get("WindowId", {}).get("Ref", ""))
        if window and (props.get("TaskArn") == PATCH_DOCUMENT or patch_runbook(resources, props) is not None):
            window.tasks.append(_task(lid, props, resources))
    for window in windows.values():
        window.tasks.sort(key=lambda task: (task.priority, task.name))
    baselines = [_baseline(lid, props) for lid, props in of_type("AWS::SSM::PatchBaseline").items()]
    names = {lid: window.name for lid, window in windows.items()}
    brakes = [
        brake
        for props in of_type("AWS::Events::Rule").values()
        if (brake := _brake(props, names, resources)) is not None
    ]
    gated = sorted(
        names.get(props.get("WindowId", {}).get("Ref", ""), "?")
        for props in of_type("AWS::SSM::MaintenanceWindowTask").values()
        if props.get("TaskType") == "AUTOMATION" and props.get("Name") == HALT_GATE_TASK
    )
    return StackModel(name, list(windows.values()), baselines, brakes, gated, _reporting(of_type))


def _is_topic(arn: Any) -> bool:
    """A rule target that is an SNS topic of the template (a Ref to one), not a runbook or a bus."""
    return isinstance(arn, dict) and "Ref" in arn


def _reporting(of_type: Callable[[str], dict[str, dict[str, Any]]]) -> ReportingModel:
    """Hook metrics, alarms, dashboards, compliance alerts, syncs and queries, as the template holds them."""
    model = ReportingModel(dashboards=len(of_type("AWS::CloudWatch::Dashboard")))
    for props in of_type("AWS::Logs::MetricFilter").values():
        (transformation,) = props.get("MetricTransformations", [{}])
        by = " by Service" if transformation.get("Dimensions") else ""
        model.metrics.append(
            f"{transformation.get('MetricNamespace')}/{transformation.get('MetricName')}{by} "
            f"from {render(props.get('LogGroupName'))}"
        )
    for props in of_type("AWS::CloudWatch::Alarm").values():
        actions = ", ".join(render(action) for action in props.get("AlarmActions", [])) or "no action"
        model.alarms.append(f"{props.get('AlarmDescription', '?')} (threshold {props.get('Threshold')}) -> {actions}")
    for props in of_type("AWS::Events::Rule").values():
        pattern = props.get("EventPattern", {})
        detail = pattern.get("detail", {}) if isinstance(pattern, dict) else {}
        topics = ", ".join(render(t.get("Arn")) for t in props.get("Targets", []) if _is_topic(t.get("Arn")))
        if pattern.get("detail-type") == ["Configuration Compliance State Change"]:
            baselines = ", ".join(render(b) for b in detail.get("patch-baseline-id", [])) or "any baseline"
            model.alerts.append(f"patch compliance turning non-compliant under {baselines} -> {topics}")
        elif pattern.get("detail-type") == [WINDOW_EXECUTION_EVENT] and topics:
            windows = ", ".join(render(w) for w in detail.get("window-id", []))
            model.alerts.append(f"window {windows} run ending {' or '.join(detail.get('status', []))} -> {topics}")
    for props in of_type("AWS::SSM::ResourceDataSync").values():
        destination = props.get("S3Destination", {})
        model.syncs.append(
            f"{render(props.get('SyncName'))} -> s3://{render(destination.get('BucketName'))}/"
            f"{render(destination.get('BucketPrefix', ''))} ({render(destination.get('BucketRegion'))})"
        )
    model.queries = sorted(render(props.get("Name")) for props in of_type("AWS::Athena::NamedQuery").values())
    return model


def _brake(props: dict[str, Any], names: dict[str, str], resources: dict[str, Any]) -> BrakeModel | None:
    """A rule on a window's execution events that starts a runbook disabling windows, or None."""
    pattern = props.get("EventPattern", {})
    refs = pattern.get("detail", {}).get("window-id", []) if isinstance(pattern, dict) else []
    if pattern.get("source") != ["aws.ssm"] or len(refs) != 1 or not isinstance(refs[0], dict):
        return None
    halts = []
    for target in props.get("Targets", []):
        parts = target.get("Arn", {}).get("Fn::Join", ["", []])[1] if isinstance(target.get("Arn"), dict) else []
        for part in parts:
            document = resources.get(part.get("Ref", ""), {}) if isinstance(part, dict) else {}
            for step in document.get("Properties", {}).get("Content", {}).get("mainSteps", []):
                inputs = step.get("inputs", {})
                if inputs.get("Api") == "UpdateMaintenanceWindow" and isinstance(inputs.get("WindowId"), dict):
                    halts.append(names.get(inputs["WindowId"].get("Ref", ""), "?"))
    if not halts:
        return None
    failed = names.get(refs[0].get("Ref", ""), "?")
    return BrakeModel(failed, list(pattern["detail"].get("status", [])), list(pattern.get("detail-type", [])), halts)


def _window(logical_id: str, props: dict[str, Any]) -> WindowModel:
    zone = props.get("ScheduleTimezone", "UTC")
    if isinstance(zone, str):
        check_time_zone(zone)
    for key in ("Duration", "Cutoff"):
        if not isinstance(props.get(key, 0), int):
            raise ValueError(f"window {logical_id} {key} must be a number of hours; got {props[key]!r}")
    return WindowModel(
        logical_id,
        render(props.get("Name", logical_id)),
        render(props.get("Schedule", "")),
        render(props.get("ScheduleTimezone", "UTC")),
        props.get("ScheduleOffset"),
        props.get("Duration", 0),
        props.get("Cutoff", 0),
        others=others_than(props, {"Name", "Schedule", "ScheduleTimezone", "ScheduleOffset", "Duration", "Cutoff"}),
    )


_TASK_WORDED = {
    "Name",
    "MaxConcurrency",
    "MaxErrors",
    "Priority",
    "Targets",
    "WindowId",
    "TaskArn",
    "TaskInvocationParameters",
}


def others_than(props: dict[str, Any], worded: set[str], *, prefix: str = "") -> dict[str, str]:
    """The properties a plan does not put in words, each rendered compactly so any change shows."""
    return {
        f"{prefix}{key}": json.dumps(value, sort_keys=True, separators=(",", ":"))
        for key, value in props.items()
        if key not in worded
    }


def _task(logical_id: str, props: dict[str, Any], resources: dict[str, Any]) -> TaskModel:
    run = props.get("TaskInvocationParameters", {}).get("MaintenanceWindowRunCommandParameters", {})
    parameters = patch_parameters(resources, props)
    runbook = patch_runbook(resources, props)
    targets = [v["Ref"] for t in props.get("Targets", []) for v in t.get("Values", []) if isinstance(v, dict)]
    hooks = {slot: _hook(slot, parameters.get(key, [NOOP_DOCUMENT])[0], resources) for slot, key in HOOK_PARAMETERS}
    return TaskModel(
        logical_id,
        render(props.get("Name", logical_id)),
        render(parameters["Operation"][0]),
        render(parameters.get("RebootOption", ["RebootIfNeeded"])[0]),
        render(props.get("MaxConcurrency", "")),
        render(props.get("MaxErrors", "")),
        render(props.get("Priority", "")),
        targets,
        hooks,
        others_than(props, _TASK_WORDED) | others_than(run, {"Parameters"}, prefix="RunCommand."),
        *(_runbook(runbook) if runbook is not None else ([], 0)),
    )


def _runbook(content: dict[str, Any]) -> tuple[list[str], int]:
    """A PatchRunbook's steps in words (branches and pauses left out), and its worst case beyond the patch."""
    lines, seconds = [], 0
    for step in content.get("mainSteps", []):
        inputs, action = step.get("inputs", {}), step.get("action")
        timeout = step.get("timeoutSeconds")
        if action == "aws:runCommand":
            lines.append(f"{step['name']}: the hooked patch ({inputs.get('DocumentName')}), up to {timeout} s")
            continue
        if isinstance(timeout, int):
            seconds += timeout * step.get("maxAttempts", 1)  # each attempt may take the whole timeout
        if action == "aws:waitForAwsResourceProperty":
            what = f"{inputs.get('Service')} {inputs.get('Api')} until {' or '.join(inputs.get('DesiredValues', []))}"
            lines.append(f"{step['name']}: wait, {what}, up to {timeout} s")
        elif action in ("aws:executeAwsApi", "aws:assertAwsResourceProperty"):
            lines.append(f"{step['name']}: {inputs.get('Service')} {inputs.get('Api')}")
        elif action in ("aws:approve", "aws:executeAutomation"):
            lines.append(f"{step['name']}: {action.removeprefix('aws:')}, up to {timeout} s")
    return lines, seconds


def _hook(slot: str, reference: Any, resources: dict[str, Any]) -> HookModel:
    if isinstance(reference, dict) and "Ref" in reference:
        resource = resources.get(reference["Ref"], {})
        if resource.get("Type") == "AWS::SSM::Document":
            props = resource["Properties"]
            hook = HookModel(slot, render(props.get("Name", reference["Ref"])), defined_in_template=True)
            content = props["Content"]
            hook.parameters = {
                name: render(declared.get("default", "")) for name, declared in content.get("parameters", {}).items()
            }
            for step in content.get("mainSteps", []):
                inputs = step.get("inputs", {})
                lines = list(inputs.get("runCommand", []))
                platform = {"aws:runShellScript": "Linux", "aws:runPowerShellScript": "Windows"}.get(step.get("action"))
                if platform == "Linux":
                    hook.linux = lines
                elif platform == "Windows":
                    hook.windows = lines
                if platform and "timeoutSeconds" in inputs:
                    hook.step_timeouts[platform] = render(inputs["timeoutSeconds"])
            return hook
    return HookModel(slot, render(reference))


def _baseline(logical_id: str, props: dict[str, Any]) -> BaselineModel:
    rules = []
    for rule in props.get("ApprovalRules", {}).get("PatchRules", []):
        when = (
            f"after {render(rule['ApproveAfterDays'])} days"
            if "ApproveAfterDays" in rule
            else f"until {render(rule.get('ApproveUntilDate'))}"
        )
        filters = ", ".join(
            f"{f['Key']} in {'/'.join(map(render, f['Values']))}"
            for f in rule.get("PatchFilterGroup", {}).get("PatchFilters", [])
        )
        level = f" ({rule['ComplianceLevel']})" if "ComplianceLevel" in rule else ""
        rules.append(f"{filters or 'every patch'} approved {when}{level}")
    return BaselineModel(
        logical_id,
        render(props.get("Name", logical_id)),
        props.get("OperatingSystem", "WINDOWS"),
        [render(group) for group in props.get("PatchGroups", [])],
        bool(props.get("DefaultBaseline", False)),
        rules,
        others_than(props, {"Name", "OperatingSystem", "PatchGroups", "ApprovalRules"}),
    )
