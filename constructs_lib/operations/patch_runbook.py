"""Off-instance steps around the hooked patch: a per-instance Automation runbook the window runs.

Hooks run *on* the instance; taking it out of its load balancer or its Auto Scaling group's service is not
the instance's job (its role would need the load balancer's API, and it knows nothing of the target group's
deregistration delay). So a window task of type AUTOMATION runs, per target and inside the window's rate
control, a runbook of ours:

1. check, before anything changes, that the instance is in one of the given Auto Scaling groups and in
   service there, and that target groups given by name exist (a failure ends the run, nothing touched);
2. ``before_patch`` steps of yours (a failure ends the run before the instance is touched);
3. read again where it is: still in service (after your steps), which group, which of the given target
   groups it serves in (a failure here goes on to your ``after_patch`` steps, nothing touched);
4. enter standby, deregister from each target group it served in and wait until each reports it ``unused``
   (the deregistration delay drained), each bounded by its timeout;
5. the hooked patch: ``aws:runCommand`` of AWS-RunPatchBaselineWithHooks on that instance, with the task's
   operation, reboot option, hook documents, output and notifications;
6. whatever 4 and 5 did: exit standby, register back in each group it served in and wait until it is
   ``healthy``; an instance that is not healthy in time is deregistered again (it stays out) and the run
   fails;
7. report a failure to the notifications topic, then ``after_patch`` steps of yours.

A failed or timed-out step marks the run Failed (every step but the reports is critical), so the window's
MaxErrors and the brake between waves see it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, ArnFormat, Duration, Stack, Token
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal import automation as auto
from .._internal import defaults
from .._internal.constants import PATCH_DOCUMENT
from .._internal.nag import acknowledge_wildcards
from .._internal.rules import (
    PATCH_STEP_RANGE,
    RESOURCE_NAME,
    check_count,
    check_document_name,
    check_length,
    check_rate_control,
    check_resource_name,
    fail,
    runbook_worst_seconds,
)
from .._internal.typecheck import typed
from .._internal.validation import check_int_range, is_unresolved, whole_seconds
from .._internal.vocabulary import PatchOperation, RebootOption
from ..core.command_output import CommandOutput
from ..core.maintenance_window import MaintenanceWindow
from ..core.notifications import PatchNotifications
from ..core.patch_task import CutoffBehavior, check_targets, window_task
from ..core.protocols import ILifecycleHooks
from ..core.stack_checks import claim_document_name
from ..core.window_role import ANY_INSTANCE, instance_statements, ssm_trust_conditions
from ..core.window_target import TargetResourceType, WindowTarget
from .off_instance import (
    EC2_INSTANCE_PATTERN,
    HEALTHY,
    NOT_REGISTERED,
    NOT_SERVING,
    AutoScalingStandby,
    ExtraStep,
    RunbookStep,
    TargetGroupDrain,
    TargetGroupsFit,
    execution_arn,
    is_target_group_name,
    seconds_of,
)

_UUID_OR_EMPTY = "^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class PatchRunbook(Construct):
    """Defines the per-instance runbook (an Automation document, schema 0.3) and the role it runs with.

    Exposes ``cfn_document``, ``document_name``, ``definition_arn`` (as IAM and EventBridge name it), ``role``,
    ``hooks``, ``step_names`` and ``worst_case_seconds`` (every step at its timeout).
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        targets: Sequence[WindowTarget],
        load_balancer: TargetGroupDrain | None = None,
        auto_scaling: AutoScalingStandby | None = None,
        before_patch: Sequence[ExtraStep] = (),
        after_patch: Sequence[ExtraStep] = (),
        operation: PatchOperation = PatchOperation.INSTALL,
        reboot_option: RebootOption = RebootOption.REBOOT_IF_NEEDED,
        hooks: ILifecycleHooks | None = None,
        patch_timeout: Duration | None = None,
        delivery_timeout: Duration | None = None,
        comment: str | None = None,
        output: CommandOutput | None = None,
        notifications: PatchNotifications | None = None,
        output_path: Construct | None = None,
        document_name: str | None = None,
    ) -> None:
        """Define the runbook.

        Args:
            targets: the window targets the runbook patches; its role may send the patch command to them only.
            load_balancer: the target groups to drain. Default: none.
            auto_scaling: the Auto Scaling groups to use standby in. Default: none.
            before_patch: steps of yours, run once the instance is known to be in service, before it is taken
                out. Default: none.
            after_patch: steps of yours run last, whether or not the instance was patched (not when the checks
                before your before_patch steps fail). Default: none.
            operation: the patch operation; Scan takes nothing out of service, so it is refused. Default: INSTALL.
            reboot_option: as for the patch task. Default: REBOOT_IF_NEEDED.
            hooks: the lifecycle hooks the patch runs. Default: none (AWS-Noop).
            patch_timeout: how long the hooked patch may take on one instance, reboot included (the step's
                timeoutSeconds; Run Command's own TimeoutSeconds only bounds delivery). Default: 2 hours.
            delivery_timeout: how long the command may wait to start. Default: Run Command's 10 minutes.
            comment: the command's comment, up to 100 characters. Default: none.
            output: where the command's output goes. Default: none.
            notifications: Run Command notifications of the patch, and the runbook's own failure reports to
                the same topic. Default: none.
            output_path: the construct whose path names the S3 output prefix. Default: this runbook.
            document_name: the runbook's name (3 to 128 letters, digits, ``_ - .``), e.g. for rules that match
                its Automation events by name. Default: a name CloudFormation generates.
        """
        super().__init__(scope, construct_id)
        if load_balancer is None and auto_scaling is None and not before_patch and not after_patch:
            fail("a patch runbook needs load_balancer, auto_scaling, before_patch or after_patch; else use PatchTask")
        if operation is PatchOperation.SCAN:
            fail("operation must be Install with load_balancer or auto_scaling: a scan takes nothing out of service")
        check_length("comment", comment, 1, 100)
        check_document_name("document_name", document_name)
        if document_name is not None:
            claim_document_name(self, document_name)
        self.load_balancer = load_balancer
        self.auto_scaling = auto_scaling
        self.before_patch = tuple(before_patch)
        self.after_patch = tuple(after_patch)
        self.notifications = notifications
        self.hooks = hooks
        self.patch_seconds = seconds_of(
            "patch_timeout", patch_timeout or Duration.seconds(defaults.PATCH_STEP_SECONDS), PATCH_STEP_RANGE
        )
        delivery_seconds = whole_seconds("delivery_timeout", delivery_timeout, 30, 2_592_000)
        check_count("targets", targets, 1, 50)  # none would let the role send to any instance
        _check_ec2_targets(targets)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com", conditions=ssm_trust_conditions()),
            description="Patch runbook: drains, patches and restores one instance",
        )
        run_settings = _run_settings(
            output, notifications, output.key_prefix_for(output_path or self) if output and output.bucket else None
        )
        if delivery_seconds is not None:
            run_settings["TimeoutSeconds"] = delivery_seconds
        if comment:
            run_settings["Comment"] = comment
        parameters = {"Operation": [operation.value], "RebootOption": [reboot_option.value]}
        parameters.update(hooks.to_task_parameters() if hooks is not None else {})
        steps = _Steps(self, parameters, run_settings).build()
        self.step_names = tuple(step.name for step in steps)
        self.cfn_document = ssm.CfnDocument(
            self,
            "Resource",
            document_type="Automation",
            content=auto.runbook_content(
                description="Patches one instance with lifecycle hooks, out of service: drain or standby, "
                "AWS-RunPatchBaselineWithHooks, back in service once healthy.",
                parameters={
                    "InstanceId": {"type": "String", "allowedPattern": EC2_INSTANCE_PATTERN},
                    "AutomationAssumeRole": {"type": "String", "description": "The role the runbook runs with."},
                    "SnapshotId": {"type": "String", "default": "", "allowedPattern": _UUID_OR_EMPTY},
                },
                steps=steps,
                outputs=[f"{PATCH_STEP}.Status"],
            ),
            update_method="NewVersion",
            name=document_name,
        )
        self._grant(targets)
        if load_balancer is not None:
            _check_same_place(Stack.of(self), load_balancer)
            self.node.add_validation(TargetGroupsFit(load_balancer))
        if auto_scaling is not None and auto_scaling.decrement_desired_capacity:
            self._warn_without_standby_room(auto_scaling)

    @property
    def document_name(self) -> str:
        return self.cfn_document.ref

    @property
    def definition_arn(self) -> str:
        """``automation-definition/<name>:$DEFAULT``, as IAM and EventBridge name the runbook."""
        return Stack.of(self).format_arn(
            service="ssm",
            resource="automation-definition",
            resource_name=f"{self.document_name}:$DEFAULT",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    @property
    def off_instance_seconds(self) -> int:
        """The runbook's worst case beyond the patch itself: drain, standby, health and your steps."""
        lb, asg = self.load_balancer, self.auto_scaling
        return runbook_worst_seconds(
            patch=0,
            target_groups=len(lb.target_groups) if lb else 0,
            drain=lb.drain_seconds if lb else 0,
            health=lb.health_seconds if lb else 0,
            standby=asg.timeout_seconds if asg else None,
            own_steps=sum(step.worst_case_seconds for step in (*self.before_patch, *self.after_patch)),
        )

    @property
    def worst_case_seconds(self) -> int:
        return self.patch_seconds + self.off_instance_seconds

    def _grant(self, targets: Sequence[WindowTarget]) -> None:
        """The role may send the patch document to the targets only, drain and restore only in the given
        groups, publish only to the topic, pass only the notification role, and make the calls of your steps."""
        stack = Stack.of(self)
        role = self.role
        for statement in instance_statements([target.targets for target in targets]):
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            # EC2 instances only: target groups and Auto Scaling groups hold no managed nodes (mi-).
            resources = [resource for resource in resources if "managed-instance/" not in json.dumps(resource)]
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[statement["Action"]],
                    resources=[Token.as_string(resource) for resource in resources],
                    conditions=statement.get("Condition"),
                )
            )
        document = stack.format_arn(service="ssm", account="", resource="document", resource_name=PATCH_DOCUMENT)
        role.add_to_policy(iam.PolicyStatement(actions=["ssm:SendCommand"], resources=[document]))
        follow = ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"]
        role.add_to_policy(iam.PolicyStatement(actions=follow, resources=["*"]))
        wildcards: list[Any] = ["*", ANY_INSTANCE[0]]
        reasons = [
            "Run Command follow-up (ssm:ListCommands, ssm:GetCommandInvocation, ...) supports no resource-level "
            "permission; SendCommand reaches only the targets' instances (by tag condition or ARN; any instance "
            "only for a resource-group target, whose membership IAM can't check)."
        ]
        if self.load_balancer is not None:
            groups = [_target_group_arn(stack, arn) for arn in self.load_balancer.arns]
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                    resources=groups,
                )
            )
            describe = ["elasticloadbalancing:DescribeTargetHealth"]
            if any(self.load_balancer.names):
                describe.append("elasticloadbalancing:DescribeTargetGroups")
                wildcards += [group for group, name in zip(groups, self.load_balancer.names, strict=True) if name]
                reasons.append(
                    "Target groups given by name are found at run time: their ARN's id part is generated, hence "
                    "its wildcard (the name is fixed)."
                )
            role.add_to_policy(iam.PolicyStatement(actions=describe, resources=["*"]))
            reasons.append(f"{' and '.join(describe)} support no resource-level permission.")
        if self.auto_scaling is not None:
            groups = [_group_arn(stack, name) for name in self.auto_scaling.names]
            role.add_to_policy(
                iam.PolicyStatement(actions=["autoscaling:EnterStandby", "autoscaling:ExitStandby"], resources=groups)
            )
            role.add_to_policy(
                iam.PolicyStatement(actions=["autoscaling:DescribeAutoScalingInstances"], resources=["*"])
            )
            wildcards += groups
            reasons.append(
                "autoscaling:DescribeAutoScalingInstances supports no resource-level permission; standby is "
                "allowed in the given groups only (the group ARN's id part is generated, hence its wildcard)."
            )
        wildcard_actions: list[str] = []
        if self.notifications is not None:
            wildcard_actions += self._grant_notifications(self.notifications)
        acknowledge_wildcards(role, resources=wildcards, actions=wildcard_actions, reason=" ".join(reasons))
        self._grant_steps(stack)

    def _grant_steps(self, stack: Stack) -> None:
        """Your steps' statements, in a policy of their own: the acknowledgements above do not cover them, so a
        wildcard of yours is cdk-nag's finding to see (only the execution ARN a RunbookStep follows is ours)."""
        steps = (*self.before_patch, *self.after_patch)
        statements = [granted for step in steps for granted in step.statements(self)]
        if not statements:
            return
        policy = iam.Policy(self, "StepsPolicy", roles=[self.role], statements=statements)
        followed = [step for step in steps if isinstance(step, RunbookStep)]
        if followed:
            # Ours: any version of the runbook named (":*"), and its execution, known by id at run time.
            versions = [statement.resources[0] for step in followed for statement in step.statements(self)[:1]]
            acknowledge_wildcards(
                policy,
                resources=[execution_arn(stack), *versions],
                reason=f"Steps {', '.join(step.name for step in followed)} start any version of their runbook "
                "and follow it by an execution id known at run time.",
            )

    def _warn_without_standby_room(self, auto_scaling: AutoScalingStandby) -> None:
        """EnterStandby with a decrement is refused below the group's minimum (autoscaling API, EnterStandby):
        a CDK group whose desired capacity is its minimum can put no instance in standby."""
        stack = Stack.of(self)
        for group in auto_scaling.groups:
            if not isinstance(group, Construct):
                continue  # a name: nothing to read
            resource = group.node.default_child
            if not isinstance(resource, autoscaling.CfnAutoScalingGroup):
                continue
            # Without a desired capacity the group starts at its minimum.
            low = str(stack.resolve(resource.min_size))
            desired = str(stack.resolve(resource.desired_capacity)) if resource.desired_capacity is not None else low
            if low.isdigit() and desired.isdigit() and int(desired) <= int(low):
                Annotations.of(self).add_warning_v2(
                    "constructs-lib:no-standby-room",
                    f"Auto Scaling group {group.node.path} has desired capacity {desired} and minimum {low}: "
                    "with decrement_desired_capacity no instance can enter standby (the desired capacity "
                    "would fall below the minimum) and every run fails; lower the minimum or set "
                    "decrement_desired_capacity=False (a replacement is launched)",
                )

    def _grant_notifications(self, notifications: PatchNotifications) -> list[str]:
        """Publish the runbook's reports, and pass the Run Command notification role; the wildcard actions."""
        topic = notifications.topic
        self.role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[notifications.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            )
        )
        key = getattr(topic, "master_key", None)
        if isinstance(key, kms.Key):  # a customer managed key of the app: publishing needs its data keys
            key.grant(self.role, "kms:GenerateDataKey*", "kms:Decrypt")
            return ["kms:GenerateDataKey*"]
        return []


def _target_group_arn(stack: Stack, arn_or_name: str) -> str:
    """The target group's ARN, or for a name every target group of that name in the stack's account and region."""
    if not is_target_group_name(arn_or_name):
        return arn_or_name
    return stack.format_arn(
        service="elasticloadbalancing",
        resource="targetgroup",
        resource_name=f"{arn_or_name}/*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def _group_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(
        service="autoscaling",
        resource="autoScalingGroup",
        resource_name=f"*:autoScalingGroupName/{name}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


PATCH_STEP = "PatchInstance"
_GROUP = "{{ FindAutoScalingGroup.Name }}"
_TARGET_STATE = "$.TargetHealthDescriptions[0].TargetHealth.State"
_FINISHED = "Finished"
_REPORT_PATCH = "ReportNotPatched"
_REPORT_OUT = "ReportOutOfService"


class _Steps:
    """The runbook's steps in order, with every failure path leading to the restore steps."""

    def __init__(self, runbook: PatchRunbook, parameters: dict[str, list[str]], settings: dict[str, Any]) -> None:
        self.runbook = runbook
        self.parameters = parameters
        self.settings = settings
        self.lb = runbook.load_balancer
        self.groups = _group_references(runbook.load_balancer)
        self.asg = runbook.auto_scaling
        self.topic = runbook.notifications.topic.topic_arn if runbook.notifications else None
        self.after_first = runbook.after_patch[0].name if runbook.after_patch else _FINISHED

    def build(self) -> list[auto.Step]:
        restore = self._restore()
        take_out = self._take_out(restore[0].name)
        patch = auto.RunCommand(
            name=PATCH_STEP,
            document_name=PATCH_DOCUMENT,
            instance_ids=["{{ InstanceId }}"],
            parameters={**self.parameters, "SnapshotId": "{{ SnapshotId }}"},
            settings=self.settings,
            timeout_seconds=self.runbook.patch_seconds,
            on_failure=auto.jump(restore[0].name),
            on_cancel=auto.jump(restore[0].name),
            is_critical=True,
        )
        before = [extra.step() for extra in self.runbook.before_patch]
        # Once your steps ran (an approval may wait days), where the instance is is read again; a failure then
        # goes on to your after_patch steps, as nothing of the instance has changed.
        located = self._locate(
            still_in_service=bool(before), on_failure=auto.jump(self.after_first) if before else None
        )
        return [
            *self._check(),
            *before,
            *located,
            *take_out,
            patch,
            *restore,
            *self._report(),
            *self._after(),
            auto.Sleep(name=_FINISHED, duration="PT1S", is_end=True),
        ]

    def _instance(self) -> list[dict[str, str]]:
        return [{"Id": "{{ InstanceId }}"}]

    def _health_wait(self, name: str, arn: str, state: str, timeout: int, **paths: Any) -> auto.Step:
        """Wait until one target group reports the instance in ``state`` (unused: drained; healthy: back)."""
        return auto.WaitForProperty(
            name=name,
            service="elbv2",
            api="DescribeTargetHealth",
            parameters={"TargetGroupArn": arn, "Targets": self._instance()},
            selector=_TARGET_STATE,
            desired=[state],
            timeout_seconds=timeout,
            **paths,
        )

    def _targets_call(self, name: str, api: str, arn: str, **paths: Any) -> auto.Step:
        """Deregister or register the instance in one target group (three attempts for throttling)."""
        return auto.ApiCall(
            name=name,
            service="elbv2",
            api=api,
            parameters={"TargetGroupArn": arn, "Targets": self._instance()},
            max_attempts=3,
            **paths,
        )

    def _check(self) -> list[auto.Step]:
        """Before anything (your steps included): the instance is in one of the groups and in service there, and
        a target group given by name exists; a failure ends the run, nothing touched."""
        steps: list[auto.Step] = []
        if self.asg is not None:
            steps.append(self._asg_assert("CheckAutoScalingGroup", "AutoScalingGroupName", self.asg.names))
            # Only an instance in service is taken out (and so put back): one already in Standby, Pending or
            # Terminating is someone else's, and the run fails without touching it.
            steps.append(self._asg_assert("CheckInService", "LifecycleState", ["InService"]))
        if self.lb is not None:
            for index, name in enumerate(self.lb.names, 1):
                if name:
                    steps.append(
                        auto.ApiCall(
                            name=f"FindTargetGroup{index}",
                            service="elbv2",
                            api="DescribeTargetGroups",
                            parameters={"Names": [name]},
                            returns=[auto.Output("Arn", "$.TargetGroups[0].TargetGroupArn")],
                            max_attempts=3,
                        )
                    )
        return steps

    def _locate(self, *, still_in_service: bool, on_failure: str | None) -> list[auto.Step]:
        """Right before taking it out: still in service, in which group, and which target groups it serves in."""
        steps: list[auto.Step] = []
        if self.asg is not None:
            if still_in_service:
                steps.append(self._asg_assert("StillInService", "LifecycleState", ["InService"], on_failure))
            steps.append(self._asg_read("FindAutoScalingGroup", "Name", "AutoScalingGroupName", on_failure))
        for index, arn in enumerate(self.groups, 1):
            steps.append(
                auto.ApiCall(
                    name=f"ReadTargetGroup{index}",
                    service="elbv2",
                    api="DescribeTargetHealth",
                    parameters={"TargetGroupArn": arn, "Targets": self._instance()},
                    returns=[auto.Output("State", _TARGET_STATE)],
                    max_attempts=3,
                    on_failure=on_failure,
                )
            )
        return steps

    def _asg_read(self, name: str, output: str, field: str, on_failure: str | None) -> auto.Step:
        """Read one field of the instance's Auto Scaling record into ``{{ <name>.<output> }}``."""
        return auto.ApiCall(
            name=name,
            service="autoscaling",
            api="DescribeAutoScalingInstances",
            parameters={"InstanceIds": ["{{ InstanceId }}"]},
            returns=[auto.Output(output, f"$.AutoScalingInstances[0].{field}")],
            max_attempts=3,
            on_failure=on_failure,
        )

    def _asg_assert(self, name: str, field: str, desired: Sequence[str], on_failure: str | None = None) -> auto.Step:
        return auto.AssertProperty(
            name=name,
            service="autoscaling",
            api="DescribeAutoScalingInstances",
            parameters={"InstanceIds": ["{{ InstanceId }}"]},
            selector=f"$.AutoScalingInstances[0].{field}",
            desired=list(desired),
            max_attempts=3,
            on_failure=on_failure,
        )

    def _take_out(self, restore: str) -> list[auto.Step]:
        back = auto.jump(restore)
        steps: list[auto.Step] = []
        if self.asg is not None:
            steps.append(
                auto.ApiCall(
                    name="EnterStandby",
                    service="autoscaling",
                    api="EnterStandby",
                    parameters={
                        "AutoScalingGroupName": _GROUP,
                        "InstanceIds": ["{{ InstanceId }}"],
                        "ShouldDecrementDesiredCapacity": self.asg.decrement_desired_capacity,
                    },
                    max_attempts=3,
                    on_failure=back,
                    on_cancel=back,
                )
            )
            steps.append(self._asg_wait("WaitForStandby", "Standby", back, back))
        if self.lb is not None:
            count = len(self.groups)
            for index, arn in enumerate(self.groups, 1):
                following = _skip(index, count, "InTargetGroup", PATCH_STEP)
                steps.append(
                    auto.Branch(
                        name=f"InTargetGroup{index}",
                        choices=_not_serving(index, following),
                        default=f"Deregister{index}",
                    )
                )
                steps.append(
                    self._targets_call(f"Deregister{index}", "DeregisterTargets", arn, on_failure=back, on_cancel=back)
                )
                steps.append(
                    self._health_wait(
                        f"WaitForDrain{index}",
                        arn,
                        NOT_REGISTERED,
                        self.lb.drain_seconds,
                        next_step=following,
                        on_failure=back,
                        on_cancel=back,
                    )
                )
        return steps

    def _asg_wait(self, name: str, state: str, on_failure: str, on_cancel: str | None = None) -> auto.Step:
        assert self.asg is not None
        return auto.WaitForProperty(
            name=name,
            service="autoscaling",
            api="DescribeAutoScalingInstances",
            parameters={"InstanceIds": ["{{ InstanceId }}"]},
            selector="$.AutoScalingInstances[0].LifecycleState",
            desired=[state],
            timeout_seconds=self.asg.timeout_seconds,
            on_failure=on_failure,
            on_cancel=on_cancel,
        )

    def _restore(self) -> list[auto.Step]:
        """Back in service, whatever happened before: exit standby, then register and wait for health in
        each group the instance was in; not healthy in time: out again and reported."""
        # Restoring is the clean-up already: a cancel here ends the run (onCancel gets two minutes at most).
        out = auto.jump(_REPORT_OUT)
        steps: list[auto.Step] = []
        first_group = "InTargetGroupAgain1" if self.lb is not None else "PatchOutcome"
        if self.asg is not None:
            steps.append(self._asg_read("ReadLifecycleState", "State", "LifecycleState", out))
            steps.append(
                auto.Branch(
                    name="InStandby",
                    choices=[auto.Choice("{{ ReadLifecycleState.State }}", "Standby", "ExitStandby")],
                    default=first_group,
                )
            )
            steps.append(
                auto.ApiCall(
                    name="ExitStandby",
                    service="autoscaling",
                    api="ExitStandby",
                    parameters={"AutoScalingGroupName": _GROUP, "InstanceIds": ["{{ InstanceId }}"]},
                    max_attempts=3,
                    on_failure=out,
                )
            )
            steps.append(self._asg_wait("WaitForInService", "InService", out))
        if self.lb is not None:
            count = len(self.groups)
            for index, arn in enumerate(self.groups, 1):
                following = _skip(index, count, "InTargetGroupAgain", "PatchOutcome")
                steps.append(
                    auto.Branch(
                        name=f"InTargetGroupAgain{index}",
                        choices=_not_serving(index, following),
                        default=f"Register{index}",
                    )
                )
                steps.append(self._targets_call(f"Register{index}", "RegisterTargets", arn, on_failure=out))
                evict = auto.jump(f"Evict{index}")
                steps.append(
                    self._health_wait(
                        f"WaitForHealthy{index}",
                        arn,
                        HEALTHY,
                        self.lb.health_seconds,
                        next_step=following,
                        on_failure=evict,
                    )
                )
                steps.append(
                    self._targets_call(f"Evict{index}", "DeregisterTargets", arn, next_step=_REPORT_OUT, on_failure=out)
                )
        outcome = _REPORT_PATCH if self.topic else self.after_first
        steps.append(
            auto.Branch(
                name="PatchOutcome",
                choices=[auto.Choice(f"{{{{ {PATCH_STEP}.Status }}}}", "Success", self.after_first)],
                default=outcome,
                on_failure=auto.jump(outcome),
            )
        )
        return steps

    def _report(self) -> list[auto.Step]:
        """The failure reports (to the notifications topic): not patched, or out of service."""
        if self.topic is None:
            # Without a topic the out-of-service path still needs a step to land on.
            return [auto.Sleep(name=_REPORT_OUT, duration="PT1S", next_step=self.after_first)]
        execution = "execution {{ automation:EXECUTION_ID }}"
        return [
            _publish(
                _REPORT_PATCH,
                self.topic,
                "Patch runbook: instance not patched",
                f"The hooked patch of {{{{ InstanceId }}}} did not succeed (the drain, the standby or "
                f"AWS-RunPatchBaselineWithHooks failed); the instance was put back in service. See {execution}.",
                self.after_first,
            ),
            _publish(
                _REPORT_OUT,
                self.topic,
                "Patch runbook: instance out of service",
                f"{{{{ InstanceId }}}} is out of service after patching: it did not become healthy in a target "
                f"group (it was deregistered again) or did not leave standby. See {execution}.",
                self.after_first,
            ),
        ]

    def _after(self) -> list[auto.Step]:
        steps = [extra.step() for extra in self.runbook.after_patch]
        return steps


def _group_references(drain: TargetGroupDrain | None) -> list[str]:
    """Each target group as the steps name it: its ARN, or the ARN its lookup by name found."""
    if drain is None:
        return []
    names = enumerate(zip(drain.arns, drain.names, strict=True), 1)
    return [f"{{{{ FindTargetGroup{index}.Arn }}}}" if name else arn for index, (arn, name) in names]


def _not_serving(index: int, following: str) -> list[auto.Choice]:
    """Skip a target group the instance was not serving in when read: not registered, or already leaving
    (someone deregistering it, or Auto Scaling terminating it): it is neither drained nor registered again."""
    state = f"{{{{ ReadTargetGroup{index}.State }}}}"
    return [auto.Choice(state, skipped, following) for skipped in NOT_SERVING]


def _skip(index: int, count: int, prefix: str, last: str) -> str:
    """The next group's first step, or ``last`` after the last group."""
    return f"{prefix}{index + 1}" if index < count else last


def _publish(name: str, topic: str, subject: str, message: str, next_step: str) -> auto.Step:
    return auto.ApiCall(
        name=name,
        service="sns",
        api="Publish",
        parameters={"TopicArn": topic, "Subject": subject, "Message": message},
        max_attempts=3,
        next_step=next_step,
        # A report that can't be sent must not fail the run, nor fall through to the next report.
        on_failure=auto.jump(next_step),
        is_critical=False,
    )


def _run_settings(
    output: CommandOutput | None, notifications: PatchNotifications | None, key_prefix: str | None
) -> dict[str, Any]:
    """The aws:runCommand members for output and notifications, as the Run Command task sets them."""
    settings: dict[str, Any] = {}
    if output is not None and output.bucket is not None:
        settings["OutputS3BucketName"] = output.bucket.bucket_name
        settings["OutputS3KeyPrefix"] = key_prefix
    if output is not None and output.log_group is not None:
        settings["CloudWatchOutputConfig"] = {
            "CloudWatchLogGroupName": output.log_group.log_group_name,
            "CloudWatchOutputEnabled": True,
        }
    if notifications is not None:
        settings["NotificationConfig"] = {
            "NotificationArn": notifications.topic.topic_arn,
            "NotificationEvents": [event.value for event in notifications.events],
            "NotificationType": notifications.notification_type.value,
        }
        settings["ServiceRoleArn"] = notifications.role.role_arn
    return settings


def _check_same_place(stack: Stack, drain: TargetGroupDrain) -> None:
    """A target group ARN names its account and region: the runbook's role acts in its own only."""
    for arn in drain.arns:
        if is_unresolved(arn) or is_target_group_name(arn):
            continue
        region, account = arn.split(":")[3:5]
        for what, given, here in (("region", region, stack.region), ("account", account, stack.account)):
            if not is_unresolved(here) and given != here:
                fail(
                    f"load_balancer.target_groups {arn} is in {what} {given}; the runbook runs in {here} and can "
                    "drain target groups of its own account and region only"
                )


def _check_ec2_targets(targets: Sequence[WindowTarget]) -> None:
    for target in targets:
        for key, values in target.targets.targets:
            managed = [value for value in values if key == "InstanceIds" and value.startswith("mi-")]
            if managed:
                fail(
                    f"targets must be EC2 instances with load_balancer or auto_scaling: target groups and Auto "
                    f"Scaling groups hold no managed nodes; got {', '.join(managed)}"
                )


class PatchRunbookTask(Construct):
    """Registers the per-instance runbook with a window as an AUTOMATION task over the window targets:
    one automation per instance, governed by max_concurrency and max_errors like the Run Command task.

    Exposes ``cfn_task``, ``task_id``, ``runbook``, ``window``, ``targets``, ``operation``, ``hooks``,
    ``max_concurrency`` and ``max_errors``.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        window: MaintenanceWindow,
        targets: Sequence[WindowTarget],
        runbook: PatchRunbook,
        max_concurrency: str = "10%",
        max_errors: str = "1",
        priority: int = 1,
        task_name: str | None = None,
        description: str | None = None,
        cutoff_behavior: CutoffBehavior | None = None,
        service_role: iam.IRole | None = None,
    ) -> None:
        """Register the task.

        Args:
            window: the window that runs it; its own role (MaintenanceWindowRole) is allowed to start the
                runbook and pass its role.
            targets: the window targets, 1 to 50, each registered with ``window``.
            runbook: the PatchRunbook to run per target.
            max_concurrency: instances patched at once (Automation runs at most 100 per account; more
                queue). Default: "10%".
            max_errors: failed instances before no more start. Default: "1".
            priority: 0 or more; lower runs first. Default: 1.
            task_name: the task's name. Default: the construct id when it is a valid name.
            description: 1 to 128 characters. Default: none.
            cutoff_behavior: CONTINUE_TASK lets running automations finish at the cutoff (no new ones start
                either way); CANCEL_TASK is refused (a cancelled runbook can't put its instance back).
                Default: CONTINUE_TASK, the service default.
            service_role: the role the window assumes to start the runbook. Default: the window's service_role
                (its MaintenanceWindowRole is allowed to start this runbook and pass its role).
        """
        super().__init__(scope, construct_id)
        check_targets(window, targets)
        check_rate_control(max_concurrency, max_errors)
        if cutoff_behavior is CutoffBehavior.CANCEL_TASK:
            fail(
                "cutoff_behavior CANCEL_TASK can't go with the patch runbook (load_balancer, auto_scaling or steps): "
                "at the cutoff it cancels each running runbook, whose clean-up gets two minutes, less than putting "
                "an instance back in service takes, so instances would stay out; use CONTINUE_TASK (the default)"
            )
        check_int_range("priority", priority, 0)
        if task_name is None and RESOURCE_NAME.fullmatch(construct_id):
            task_name = construct_id
        check_resource_name("task_name", task_name)
        check_length("description", description, 1, 128)
        self.window = window
        self.targets = tuple(targets)
        self.runbook = runbook
        self.max_concurrency = max_concurrency
        self.max_errors = max_errors
        self.task_name = task_name
        self.operation = PatchOperation.INSTALL
        self.hooks = runbook.hooks
        by_resource_group = any(t.targets.resource_type is TargetResourceType.RESOURCE_GROUP for t in targets)
        if service_role is not None or window.has_own_service_role:
            Annotations.of(self).add_warning_v2(
                "constructs-lib:runbook-role",
                "the task runs with your service_role: allow it ssm:StartAutomationExecution on the patch "
                "runbook, ssm:GetAutomationExecution, and iam:PassRole of the runbook's role to ssm.amazonaws.com",
            )
        else:
            # The window's own role starts the runbook; the runbook's role sends the patch command, so this one
            # sends none unless a Run Command task of the window registers targets with it.
            window.window_role.allow_automation(runbook.definition_arn, runbook.role)
            window.window_role.runbooks_only()
        self.cfn_task = window_task(
            self,
            window=window,
            targets=targets,
            task_type="AUTOMATION",
            task_arn=runbook.document_name,
            service_role=service_role or window.service_role,
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            priority=priority,
            task_name=task_name,
            description=description,
            cutoff_behavior=cutoff_behavior,
            invocation=ssm.CfnMaintenanceWindowTask.TaskInvocationParametersProperty(
                maintenance_window_automation_parameters=ssm.CfnMaintenanceWindowTask.MaintenanceWindowAutomationParametersProperty(
                    document_version="$DEFAULT",
                    parameters={
                        # TARGET_ID is an ARN for resource-group targets; RESOURCE_ID is always the short id.
                        "InstanceId": ["{{RESOURCE_ID}}" if by_resource_group else "{{TARGET_ID}}"],
                        "AutomationAssumeRole": [runbook.role.role_arn],
                        # One snapshot per window execution, as the Run Command task gets it.
                        "SnapshotId": ["{{WINDOW_EXECUTION_ID}}"],
                    },
                )
            ),
        )

    @property
    def task_id(self) -> str:
        return self.cfn_task.ref
