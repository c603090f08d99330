"""PatchWaves: a runtime brake across ordered patch workflows: a failed wave halts every later wave.

For each wave but the last, an EventBridge rule on Systems Manager's maintenance-window execution events
(FAILED or TIMED_OUT, optionally any instance's task invocation failing) starts a halt runbook of
ours (SSM Automation, no code to maintain). The runbook writes each later wave's halt record (an SSM
parameter, "open" until then), disables each later wave's window (UpdateMaintenanceWindow Enabled=false)
and publishes to the topic which wave failed, what it disabled and how to resume.

CloudFormation has no Enabled property on a window and its update handler replaces the whole window on
any change, which may re-enable it. So the halt record is the durable part: every later window runs a
gate first (an Automation task at priority 0, before its patch tasks), which reads the record and, when
halted, cancels that window execution before any patch task starts and disables the window again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsii
from aws_cdk import Annotations, ArnFormat, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IValidation

from .._internal import automation as auto
from .._internal.constants import (
    HALT_GATE_TASK,
    HALT_RECORD_OPEN,
    WINDOW_EXECUTION_EVENT,
    WINDOW_FAILED_STATUSES,
)
from .._internal.event_patterns import window_event_pattern
from .._internal.nag import acknowledge_wildcards, suppress_scanner
from .._internal.rules import check_count, fail
from .._internal.schedule_occurrences import Opening, brake_too_late
from .._internal.typecheck import typed
from ..core.maintenance_window import MaintenanceWindow
from ..core.notifications import PatchNotifications, encrypted_topic
from ..core.window_role import ssm_trust_conditions
from .patch_runbook import PatchRunbook, PatchRunbookTask
from .workflow import PatchWorkflow

OPEN = HALT_RECORD_OPEN
# The windows' execution states that halt the later waves, and the task-invocation ones (optional).
HALTING_STATUSES = WINDOW_FAILED_STATUSES
EXECUTION_EVENT = WINDOW_EXECUTION_EVENT
INVOCATION_EVENT = "Maintenance Window Task Target Invocation State-change Notification"
# A patch runbook task's per-instance outcome: its target invocations report only IN_PROGRESS and COMPLETE,
# so a failed instance shows in its Automation execution's event (Definition is the runbook's name).
AUTOMATION_EVENT = "EC2 Automation Execution Status-change Notification"
RUNBOOK_HALTING_STATUSES = ("Failed", "TimedOut")
GATE_PRIORITY = 0


@dataclass(frozen=True)
class HaltEvent:
    """What a brake trigger's event tells its halt runbook: the parameter naming the failed execution (and
    how the record and message call it), the statuses that halt, and where the event holds both."""

    id_parameter: str
    execution: str
    statuses: tuple[str, ...]
    id_path: str
    status_path: str


WINDOW_FAILED = HaltEvent(
    "WindowExecutionId", "window execution", HALTING_STATUSES, "$.detail.window-execution-id", "$.detail.status"
)
RUNBOOK_FAILED = HaltEvent(
    "AutomationExecutionId",
    "patch runbook execution",
    RUNBOOK_HALTING_STATUSES,
    "$.detail.ExecutionId",
    "$.detail.Status",
)


@jsii.implements(IValidation)
class _GateRunsFirst:
    """Synth check: no task of a gated window may run with the gate (priority 0): the gate cancels only
    tasks that have not started."""

    def __init__(self, brake: WaveBrake) -> None:
        self._brake = brake

    def validate(self) -> list[str]:
        gated = {window.window_id: window for window in self._brake.halt_records}
        problems = []
        for task in self._brake.node.root.node.find_all():  # a task in another stack may point at the window
            if not isinstance(task, ssm.CfnMaintenanceWindowTask) or task in self._brake.gate_tasks:
                continue
            window = gated.get(task.window_id)
            if window is not None and isinstance(task.priority, int) and task.priority <= GATE_PRIORITY:
                problems.append(
                    f"task {task.node.path} of wave {wave_name(window)} has priority {task.priority}: it would run "
                    f"beside the halt gate (priority {GATE_PRIORITY}), which cancels only tasks not yet started; "
                    f"give it priority {GATE_PRIORITY + 1} or more"
                )
        return problems


class WaveBrake(Construct):
    """The halting side of the brake, for windows of one account and region: each window's halt record and
    gate, the automation role, and triggers (``add_trigger``): a rule on a failure event that starts a halt
    runbook for some of the windows. PatchWaves and the organisation rollout build on it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        halted: Sequence[MaintenanceWindow],
        notifications: PatchNotifications | sns.ITopic | None = None,
    ) -> None:
        """Define records and gates for ``halted`` (windows that a failure elsewhere may halt).

        Args:
            halted: the windows this brake can halt, each gated.
            notifications: where halts are announced. Default: an encrypted, SSL-only topic is defined.
        """
        super().__init__(scope, construct_id)
        self.topic = _topic(self, notifications)
        self.automation_role = iam.Role(
            self,
            "AutomationRole",
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com", conditions=ssm_trust_conditions()),
            description="Patch waves: halts and gates later waves (records, windows, notifications)",
        )
        self.halt_records = {window: self._halt_record(window) for window in halted}
        self._events_role = iam.Role(
            self,
            "EventsRole",
            assumed_by=events_principal(self),
            description="Patch waves: starts the halt runbooks on a failed wave",
        )
        self._halt_runbooks: list[ssm.CfnDocument] = []
        self.rules: list[events.CfnRule] = []
        self.gate = self._gate_runbook()
        self.gate_definition_arn = self._definition_arn(self.gate.ref)
        self.gate_tasks = [self._add_gate(window, self.gate) for window in halted]
        self._grant_runbook_permissions(halted)
        self.node.add_validation(_GateRunsFirst(self))

    def add_trigger(
        self,
        trigger_id: str,
        *,
        failed: str,
        pattern: dict[str, Any],
        halts: Sequence[MaintenanceWindow],
        description: str,
        event: HaltEvent = WINDOW_FAILED,
    ) -> events.CfnRule:
        """A rule on ``pattern`` (a failure event) that starts a halt runbook for ``halts``; ``failed`` names
        the failed wave in the record and the notification, ``event`` says where the event holds the failed
        execution and its status (a window execution's by default)."""
        runbook = ssm.CfnDocument(
            self,
            f"HaltAfter{trigger_id}",
            document_type="Automation",
            content=self._halt_content(failed, halts, event),
        )
        # Placeholders quoted in the template: the ids and statuses are plain strings, so the runbook input is
        # the same JSON whether or not a consumer quotes bare placeholders itself.
        template = Stack.of(self).to_json_string(
            {
                "AutomationAssumeRole": [self.automation_role.role_arn],
                event.id_parameter: ["<execution>"],
                "Status": ["<status>"],
                "SourceAccount": ["<account>"],
                "SourceRegion": ["<region>"],
            }
        )
        rule = events.CfnRule(
            self,
            f"Brake{trigger_id}",
            description=description,
            event_pattern=pattern,
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="HaltLaterWaves",
                    arn=self._definition_arn(runbook.ref),
                    role_arn=self._events_role.role_arn,
                    input_transformer=events.CfnRule.InputTransformerProperty(
                        input_paths_map={
                            "execution": event.id_path,
                            "status": event.status_path,
                            "account": "$.account",
                            "region": "$.region",
                        },
                        input_template=template,
                    ),
                )
            ],
        )
        self._events_role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:StartAutomationExecution"], resources=[self._definition_arn(runbook.ref)])
        )
        self._halt_runbooks.append(runbook)
        self.rules.append(rule)
        return rule

    def _halt_record(self, window: MaintenanceWindow) -> ssm.CfnParameter:
        """The durable record of one later wave: "open", or why it was halted (written by the halt runbook)."""
        record = ssm.CfnParameter(
            self,
            f"HaltRecord{_wave_id(window)}",
            type="String",
            value=OPEN,
            description=f"Patch wave {wave_name(window)}: open, or why it is halted (patch-resume re-opens it)",
        )
        # An update of the record's own properties writes the template's value ("open") again: the template
        # gives it no tags, so tagging constructs never updates it (stack-level tags still reach it at deploy;
        # the parameter provider does not rewrite the value for a tag-only change).
        record.add_property_deletion_override("Tags")
        return record

    def _halt_content(self, failed: str, halts: Sequence[MaintenanceWindow], event: HaltEvent) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        origin = f"{failed} (account {{{{ SourceAccount }}}}, {{{{ SourceRegion }}}})"
        execution = f"{event.execution} {{{{ {event.id_parameter} }}}}"
        for window in halts:
            wave = _wave_id(window)
            steps.append(
                _api_step(
                    f"Record{wave}",
                    "ssm",
                    "PutParameter",
                    Name=self.halt_records[window].ref,
                    Value=f"halted after {origin}: {execution} ended {{{{ Status }}}}",
                    Type="String",
                    Overwrite=True,
                )
            )
            steps.append(
                _api_step(f"Disable{wave}", "ssm", "UpdateMaintenanceWindow", WindowId=window.window_id, Enabled=False)
            )
        names = ", ".join(wave_name(window) for window in halts)
        steps.append(
            {
                **_api_step(
                    "Notify",
                    "sns",
                    "Publish",
                    TopicArn=self.topic.topic_arn,
                    Subject="Patching halted: a wave failed",
                    Message=f"Patch wave {origin}, {execution}, ended "
                    f"{{{{ Status }}}}. Halted and disabled: {names}. Find the cause, then resume with "
                    f"patch-resume --stack {Stack.of(self).stack_name} --region {Stack.of(self).region}.",
                ),
                "isEnd": True,
            }
        )
        account_pattern = "^[0-9]{12}$"
        return {
            "schemaVersion": "0.3",
            "description": f"Halts the patch waves after {failed}: records, disables, notifies.",
            "assumeRole": "{{ AutomationAssumeRole }}",
            "parameters": {
                "AutomationAssumeRole": {"type": "String", "description": "The role the halt runs with."},
                event.id_parameter: {"type": "String", "allowedPattern": "^[0-9a-fA-F-]{36}$"},
                "Status": {"type": "String", "allowedValues": list(event.statuses)},
                "SourceAccount": {"type": "String", "allowedPattern": account_pattern},
                "SourceRegion": {"type": "String", "allowedPattern": "^[a-z0-9-]{1,32}$"},
            },
            "mainSteps": steps,
        }

    def _gate_runbook(self) -> ssm.CfnDocument:
        """The gate each later window runs first: cancel this execution when the wave's record says halted."""
        steps = [
            {
                **_api_step("ReadHaltRecord", "ssm", "GetParameter", Name="{{ HaltRecord }}"),
                "outputs": [{"Name": "Value", "Selector": "$.Parameter.Value", "Type": "String"}],
            },
            auto.Branch(
                name="OpenOrHalted",
                choices=[auto.Choice("{{ ReadHaltRecord.Value }}", OPEN, "Open")],
                default="CancelExecution",
            ).to_json(),
            _api_step(
                "CancelExecution",
                "ssm",
                "CancelMaintenanceWindowExecution",
                WindowExecutionId="{{ WindowExecutionId }}",
            ),
            _api_step("DisableWindow", "ssm", "UpdateMaintenanceWindow", WindowId="{{ WindowId }}", Enabled=False),
            {
                **_api_step(
                    "NotifyHalted",
                    "sns",
                    "Publish",
                    TopicArn="{{ TopicArn }}",
                    Subject="Patching halted: a window opened while its wave is halted",
                    Message="Window {{ WindowId }} opened while its wave is halted ({{ ReadHaltRecord.Value }}); "
                    "execution {{ WindowExecutionId }} was cancelled before patching and the window disabled again.",
                ),
                "isEnd": True,
            },
            auto.Sleep(name="Open", duration="PT1S", is_end=True).to_json(),
        ]
        content = {
            "schemaVersion": "0.3",
            "description": "Patch wave gate: lets the window patch only while its wave's halt record is open.",
            "assumeRole": "{{ AutomationAssumeRole }}",
            "parameters": {
                "AutomationAssumeRole": {"type": "String"},
                "HaltRecord": {"type": "String"},
                "WindowId": {"type": "String", "allowedPattern": "^mw-[0-9a-f]{17}$"},
                "WindowExecutionId": {"type": "String", "allowedPattern": "^[0-9a-fA-F-]{36}$"},
                "TopicArn": {"type": "String"},
            },
            "mainSteps": steps,
        }
        return ssm.CfnDocument(self, "Gate", document_type="Automation", content=content)

    def _add_gate(self, window: MaintenanceWindow, gate: ssm.CfnDocument) -> ssm.CfnMaintenanceWindowTask:
        parameters = {
            "AutomationAssumeRole": [self.automation_role.role_arn],
            "HaltRecord": [self.halt_records[window].ref],
            "WindowId": ["{{WINDOW_ID}}"],
            "WindowExecutionId": ["{{WINDOW_EXECUTION_ID}}"],
            "TopicArn": [self.topic.topic_arn],
        }
        task = ssm.CfnMaintenanceWindowTask(
            self,
            f"Gate{_wave_id(window)}",
            window_id=window.window_id,
            task_type="AUTOMATION",
            task_arn=gate.ref,
            priority=GATE_PRIORITY,
            name=HALT_GATE_TASK,
            description="Runs first: cancels this execution when the wave is halted",
            service_role_arn=window.service_role.role_arn,
            task_invocation_parameters=ssm.CfnMaintenanceWindowTask.TaskInvocationParametersProperty(
                maintenance_window_automation_parameters=ssm.CfnMaintenanceWindowTask.MaintenanceWindowAutomationParametersProperty(
                    document_version="$DEFAULT", parameters=parameters
                )
            ),
        )
        if not window.has_own_service_role:
            window.window_role.allow_automation(self._definition_arn(gate.ref), self.automation_role)
        return task

    def _grant_runbook_permissions(self, halted: Sequence[MaintenanceWindow]) -> None:
        stack = Stack.of(self)
        window_arns = [
            stack.format_arn(service="ssm", resource="maintenancewindow", resource_name=w.window_id) for w in halted
        ]
        record_arns = [
            stack.format_arn(service="ssm", resource="parameter", resource_name=record.ref)
            for record in self.halt_records.values()
        ]
        policy = self.automation_role
        policy.add_to_policy(iam.PolicyStatement(actions=["ssm:UpdateMaintenanceWindow"], resources=window_arns))
        policy.add_to_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter", "ssm:PutParameter"], resources=record_arns)
        )
        policy.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))
        key = getattr(self.topic, "master_key", None)
        if isinstance(key, kms.Key):  # a customer managed key of the app: publishing needs its data keys
            key.grant(policy, "kms:GenerateDataKey*", "kms:Decrypt")
        # IAM defines no resource type for CancelMaintenanceWindowExecution (an execution id, not a window).
        policy.add_to_policy(iam.PolicyStatement(actions=["ssm:CancelMaintenanceWindowExecution"], resources=["*"]))
        cancel_reason = (
            "ssm:CancelMaintenanceWindowExecution takes a window execution id and supports no resource-level "
            "permission; the gate calls it only for the execution of the window it runs in."
        )
        acknowledge_wildcards(policy, resources=["*"], reason=cancel_reason)
        suppress_scanner(policy.node.find_child("DefaultPolicy"), "CKV_AWS_111", cancel_reason)
        self._events_role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.automation_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            )
        )

    def _definition_arn(self, document_name: str) -> str:
        """The runbook's ARN as EventBridge and IAM name it: ``automation-definition/<name>:$DEFAULT``."""
        return Stack.of(self).format_arn(
            service="ssm",
            resource="automation-definition",
            resource_name=f"{document_name}:$DEFAULT",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )


class PatchWaves(WaveBrake):
    """Defines the brake between ordered patch waves in one account and region.

    ``waves`` are patch workflows (or their windows) in rollout order, e.g. a canary workflow over a small
    tagged subset of a group, scheduled a day before the group's main workflow. When a wave's window
    execution ends FAILED or TIMED_OUT, every later wave is halted before it opens; ``patch-resume``
    re-opens them. A canary is its own earlier window, never a task in the main one: a failed
    higher-priority task does not stop the lower-priority tasks of its window.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        waves: Sequence[PatchWorkflow | MaintenanceWindow],
        notifications: PatchNotifications | sns.ITopic | None = None,
        halt_on_instance_failure: bool = False,
        check_order: bool = True,
    ) -> None:
        """Define the brake.

        Args:
            waves: two or more patch workflows or maintenance windows, earliest first.
            notifications: where the halt is announced: your PatchNotifications (its topic) or topic.
                Default: an encrypted, SSL-only topic is defined.
            halt_on_instance_failure: halt also when any instance's task invocation in a wave ends FAILED or
                TIMED_OUT, or (for a wave patching through a PatchRunbook, whose invocations report only
                COMPLETE) its runbook's execution for an instance ends Failed or TimedOut, though the window
                execution may still succeed. Default: False (the window execution's own status decides).
            check_order: refuse a later wave whose window can open while the last window before it of an
                earlier wave may still run (the brake would come too late), over the later wave's openings
                in the next three years (at most 200); rate() windows are not checked. Default: True.
        """
        windows = [wave.window if isinstance(wave, PatchWorkflow) else wave for wave in waves]
        check_count("waves", windows, 2, 10)
        _check_distinct(windows)
        _check_same_place(scope, windows)
        if check_order:
            check_wave_order(windows, datetime.now(UTC))
        super().__init__(scope, construct_id, halted=windows[1:], notifications=notifications)
        self.windows = tuple(windows)
        for window in windows[1:]:
            if window.has_own_service_role:
                Annotations.of(window).add_warning_v2(
                    "constructs-lib:gate-role",
                    f"wave {wave_name(window)} runs with your service_role: allow it ssm:StartAutomationExecution on "
                    "the halt gate runbook and iam:PassRole of the brake's automation role to ssm.amazonaws.com, "
                    "or the gate fails and the window patches anyway (a failed task never stops the next)",
                )
        for index, window in enumerate(windows[:-1]):
            self.add_trigger(
                _wave_id(window),
                failed=wave_name(window),
                pattern=brake_pattern([window.window_id], halt_on_instance_failure),
                halts=windows[index + 1 :],
                description=f"Patch wave {index + 1} ({wave_name(window)}) failed: halt the later waves",
            )
            runbooks = _runbooks_of(window) if halt_on_instance_failure else []
            if runbooks:
                self.add_trigger(
                    f"{_wave_id(window)}Runbook",
                    failed=wave_name(window),
                    pattern=runbook_failure_pattern([runbook.document_name for runbook in runbooks]),
                    halts=windows[index + 1 :],
                    description=f"Patch wave {index + 1} ({wave_name(window)}): an instance's patch runbook "
                    "failed: halt the later waves",
                    event=RUNBOOK_FAILED,
                )


def events_principal(scope: Construct) -> iam.ServicePrincipal:
    """EventBridge, as the rules of this account assume a role (confused-deputy condition on the account)."""
    return iam.ServicePrincipal(
        "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
    )


def brake_pattern(window_ids: Sequence[str], on_instances: bool = False) -> dict[str, Any]:
    """The event pattern of a failed wave: one of its windows' execution (and optionally a task invocation on
    any instance) ending FAILED or TIMED_OUT, as Systems Manager sends them to the default bus."""
    detail_types = [EXECUTION_EVENT, INVOCATION_EVENT] if on_instances else [EXECUTION_EVENT]
    return window_event_pattern(detail_types, window_ids, HALTING_STATUSES)


def runbook_failure_pattern(document_names: Sequence[str]) -> dict[str, Any]:
    """The event pattern of one instance's failed patch runbook (an AUTOMATION task's target): its Automation
    execution ending Failed or TimedOut. The event names the runbook, not the window: a run of it started
    outside the window halts too."""
    return {
        "source": ["aws.ssm"],
        "detail-type": [AUTOMATION_EVENT],
        "detail": {"Definition": list(document_names), "Status": list(RUNBOOK_HALTING_STATUSES)},
    }


def _runbooks_of(window: MaintenanceWindow) -> list[PatchRunbook]:
    """The patch runbooks the window's AUTOMATION tasks run, wherever in the app they are defined."""
    tasks = window.node.root.node.find_all()
    return [task.runbook for task in tasks if isinstance(task, PatchRunbookTask) and task.window is window]


def check_wave_order(windows: Sequence[MaintenanceWindow], now: datetime) -> None:
    """Refuse a wave that can open while the last window before it of any earlier wave may still run: every
    earlier wave halts every later one, so every pair is checked, not only neighbours."""
    for earlier, later in itertools.combinations(windows, 2):
        problem = brake_too_late(_opening(earlier), _opening(later), now)
        if problem:
            fail(f"{problem}; open the later wave after the earlier one ends, or pass check_order=False")


def _opening(window: MaintenanceWindow) -> Opening:
    offset = window.cfn_window.schedule_offset
    return Opening(
        wave_name(window),
        window.schedule.expression_string,
        window.schedule_timezone or "UTC",
        offset if isinstance(offset, int) else None,
        window.duration_hours or 0,
    )


def _check_distinct(windows: list[MaintenanceWindow]) -> None:
    for earlier, later in itertools.combinations(windows, 2):
        if earlier is later:
            fail(f"waves must be distinct: {wave_name(earlier)} is given twice, so it would halt itself")
        if _wave_id(earlier) == _wave_id(later):
            fail(
                f"waves {wave_name(earlier)} and {wave_name(later)} differ only in punctuation, so their brake "
                f"resources would share the id {_wave_id(earlier)}: rename one"
            )


def _check_same_place(scope: Construct, windows: list[MaintenanceWindow]) -> None:
    """One account and region: events and Automation stay there (the fleet's stages brake across them)."""
    here = Stack.of(scope)
    for window in windows:
        there = Stack.of(window)
        if there.account != here.account or there.region != here.region:
            fail(
                f"waves must be in the account and region of {here.node.path}; {wave_name(window)} is in "
                f"{there.account}/{there.region}: brake across accounts with the fleet's stages"
            )


def _topic(scope: Construct, notifications: PatchNotifications | sns.ITopic | None) -> sns.ITopic:
    if isinstance(notifications, PatchNotifications):
        return notifications.topic
    if notifications is not None:
        return notifications
    return encrypted_topic(scope, "Topic", display_name="Patch waves halted")


def _wave(window: MaintenanceWindow) -> Construct:
    """The construct a wave is named after: its workflow, or the window given alone."""
    return window.node.scope if isinstance(window.node.scope, PatchWorkflow) else window


def wave_name(window: MaintenanceWindow) -> str:
    """A wave's name in messages: its workflow's (or window's) construct path."""
    return _wave(window).node.path


def _wave_id(window: MaintenanceWindow) -> str:
    """A wave's name in ids: its workflow's (or window's) path within its stack, letters and digits only."""
    owner = _wave(window)
    within = owner.node.path.removeprefix(Stack.of(owner).node.path)
    return "".join(c for c in within if c.isalnum())


def _api_step(name: str, service: str, api: str, **inputs: Any) -> dict[str, Any]:
    """An aws:executeAwsApi step (boto3 namespace and operation, then the request members), retried on throttling."""
    return auto.ApiCall(name=name, service=service, api=api, parameters=inputs, max_attempts=3).to_json()
