"""What the patch runbook does around the hooked patch: the load balancer and Auto Scaling steps (their
timeouts and what synth checks of them), and the typed steps of your own it runs before and after.

Each is a frozen dataclass checked when built (wrong types and values refused naming the field); the runbook
(``patch_runbook``) turns them into Automation steps and IAM statements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsii
from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from .._internal import automation as auto
from .._internal import defaults
from .._internal.constants import CONCURRENT_AUTOMATIONS as CONCURRENT_AUTOMATIONS
from .._internal.rules import (
    AUTO_SCALING_GROUP_NAME_PATTERN,
    AUTO_SCALING_GROUP_NAME_RULE,
    RESERVED_DOCUMENT_PREFIXES,
    RUNBOOK_WAIT_RANGE,
    TARGET_GROUP_NAME_PATTERN,
    TARGET_GROUP_NAME_RULE,
    check_count,
    check_length,
    check_pattern,
    check_resource_name,
    fail,
)
from .._internal.typecheck import check_fields
from .._internal.validation import check_int_range, is_unresolved, whole_seconds

# What DescribeTargetHealth says of an instance that is not (or no longer) registered, and of one in service.
NOT_REGISTERED = "unused"
HEALTHY = "healthy"
# The states of an instance not serving in a target group: not registered, or leaving it (ELB user guide,
# "target-group-health-checks": draining, unhealthy.draining).
NOT_SERVING = (NOT_REGISTERED, "draining", "unhealthy.draining")
# An EC2 instance id: target groups and Auto Scaling groups hold EC2 instances only (no mi- nodes).
EC2_INSTANCE_PATTERN = "^i-[0-9a-f]{8}([0-9a-f]{9})?$"
# The target group attribute that holds the deregistration delay, and its default (ELB user guide).
_DELAY_KEY = "deregistration_delay.timeout_seconds"
DEFAULT_DEREGISTRATION_DELAY = 300
# An aws:executeAwsApi step of yours: 25 s per call, three attempts for throttling.
_API_CALL_SECONDS, _API_ATTEMPTS = 25, 3
_API_SECONDS = _API_ATTEMPTS * _API_CALL_SECONDS


def seconds_of(keyword: str, duration: Duration, allowed: tuple[int, int]) -> int:
    """Whole seconds in ``allowed``; a deploy-time value is refused: the runbook's worst case must be known to
    check it fits the window."""
    if duration.is_unresolved():
        fail(f"{keyword} must be known at synth (the runbook's timeouts must fit the window); got a deploy-time value")
    seconds = whole_seconds(keyword, duration, *allowed)
    assert seconds is not None
    return seconds


@dataclass(frozen=True)
class TargetGroupDrain:
    """Take each instance out of ELBv2 target groups before its patch and back in only when healthy.

    Args:
        target_groups: the target groups (CDK objects, ARNs or names), 1 to 5, of target type ``instance``; an
            instance is drained only from those it is registered in, on the group's own port. A name is looked
            up in the instance's account and region when the runbook runs (``DescribeTargetGroups``), so one
            template serves every account of a fleet; its role may then drain any target group of that name
            there, and its deregistration delay is not checked at synth.
        drain_timeout: how long to wait until the instance is ``unused`` in each group (its deregistration
            delay passed). Default: 6 minutes (the default delay is 300 s).
        health_timeout: how long to wait until it is ``healthy`` again in each group after the patch; an
            instance not healthy by then is deregistered again and the run fails. Default: 10 minutes.
    """

    target_groups: Sequence[elbv2.ITargetGroup | str]
    drain_timeout: Duration = field(default_factory=lambda: Duration.seconds(defaults.DRAIN_WAIT_SECONDS))
    health_timeout: Duration = field(default_factory=lambda: Duration.seconds(defaults.HEALTHY_WAIT_SECONDS))

    def __post_init__(self) -> None:
        check_fields(self)
        object.__setattr__(self, "target_groups", tuple(self.target_groups))
        check_count("load_balancer.target_groups", self.target_groups, 1, 5)
        arns = [arn for arn in self.arns if not is_unresolved(arn)]
        if len(set(arns)) != len(arns):
            fail(f"load_balancer.target_groups must be distinct; got {', '.join(arns)}")
        for arn in arns:
            if not (_TARGET_GROUP_ARN.fullmatch(arn) or re.fullmatch(TARGET_GROUP_NAME_PATTERN, arn)):
                fail(
                    "load_balancer.target_groups must be target group ARNs (…:targetgroup/<name>/<id>) or names "
                    f"({TARGET_GROUP_NAME_RULE}); got {arn!r}"
                )
        self.drain_seconds  # noqa: B018 - checks the range
        self.health_seconds  # noqa: B018

    @property
    def arns(self) -> list[str]:
        """The ARN or name of each target group, as given."""
        return [group if isinstance(group, str) else group.target_group_arn for group in self.target_groups]

    @property
    def names(self) -> list[str | None]:
        """Per target group, the name to look up when it was given by name, else None."""
        return [arn if is_target_group_name(arn) else None for arn in self.arns]

    @property
    def drain_seconds(self) -> int:
        return seconds_of("load_balancer.drain_timeout", self.drain_timeout, RUNBOOK_WAIT_RANGE)

    @property
    def health_seconds(self) -> int:
        return seconds_of("load_balancer.health_timeout", self.health_timeout, RUNBOOK_WAIT_RANGE)


@dataclass(frozen=True)
class AutoScalingStandby:
    """Put each instance of an Auto Scaling group in standby for its patch, so the group neither sends it
    traffic nor replaces it when health checks fail mid-patch.

    Args:
        groups: the Auto Scaling groups (CDK objects or names), 1 to 10; the runbook finds which one holds the
            instance and fails, before touching it, when none does.
        decrement_desired_capacity: lower the desired capacity while the instance is in standby (no
            replacement is launched); False launches a replacement. Default: True.
        timeout: how long to wait for the instance to reach Standby, and InService again. Default: 10 minutes.
    """

    groups: Sequence[autoscaling.IAutoScalingGroup | str]
    decrement_desired_capacity: bool = True
    timeout: Duration = field(default_factory=lambda: Duration.seconds(defaults.STANDBY_WAIT_SECONDS))

    def __post_init__(self) -> None:
        check_fields(self)
        object.__setattr__(self, "groups", tuple(self.groups))
        check_count("auto_scaling.groups", self.groups, 1, 10)
        for name in self.names:
            if not is_unresolved(name) and not re.fullmatch(AUTO_SCALING_GROUP_NAME_PATTERN, name):
                fail(f"auto_scaling.groups must be group names ({AUTO_SCALING_GROUP_NAME_RULE}); got {name!r}")
        known = [name for name in self.names if not is_unresolved(name)]
        if len(set(known)) != len(known):
            fail(f"auto_scaling.groups must be distinct; got {', '.join(known)}")
        self.timeout_seconds  # noqa: B018 - checks the range

    @property
    def names(self) -> list[str]:
        return [group if isinstance(group, str) else group.auto_scaling_group_name for group in self.groups]

    @property
    def timeout_seconds(self) -> int:
        return seconds_of("auto_scaling.timeout", self.timeout, RUNBOOK_WAIT_RANGE)


@dataclass(frozen=True)
class AwsApiStep:
    """A step of yours: one AWS API call (``aws:executeAwsApi``), e.g. a DynamoDB flag set before patching.

    Args:
        name: the step's name in the runbook (letters, digits, underscores).
        service: the boto3 namespace, e.g. ``dynamodb``.
        api: the operation, e.g. ``UpdateItem``.
        resources: the ARNs the call acts on; the runbook's role may call it on these only.
        parameters: the request members; ``{{ InstanceId }}`` names the instance. Default: none.
        actions: the IAM actions the call needs. Default: ``<service>:<api>`` (give them when the IAM prefix
            differs from the boto3 namespace, e.g. ``elasticloadbalancing`` for ``elbv2``).
    """

    name: str
    service: str
    api: str
    resources: Sequence[str]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    actions: Sequence[str] | None = None

    def __post_init__(self) -> None:
        check_fields(self)
        check_count(f"step {self.name} resources", self.resources, 1, 20)
        check_pattern(f"step {self.name} service", self.service, _SERVICE, "a boto3 service name such as dynamodb")
        check_pattern(f"step {self.name} api", self.api, _OPERATION, "an API operation name such as UpdateItem")
        for action in self.actions or ():
            check_pattern(f"step {self.name} actions", action, _ACTION, "IAM actions such as dynamodb:UpdateItem")

    def step(self) -> auto.Step:
        # The timeout written out, so that patch-plan counts from the template what synth counts.
        return auto.ApiCall(
            name=self.name,
            service=self.service,
            api=self.api,
            parameters=dict(self.parameters),
            max_attempts=_API_ATTEMPTS,
            timeout_seconds=_API_CALL_SECONDS,
        )

    def statements(self, scope: Construct) -> list[iam.PolicyStatement]:
        actions = list(self.actions) if self.actions is not None else [f"{self.service}:{self.api}"]
        return [iam.PolicyStatement(actions=actions, resources=list(self.resources))]

    @property
    def worst_case_seconds(self) -> int:
        return _API_SECONDS


@dataclass(frozen=True)
class ApprovalStep:
    """A step of yours: wait for people to approve (``aws:approve``) before the run goes on.

    Args:
        name: the step's name in the runbook.
        approvers: IAM user or role ARNs (or names) that may approve, 1 to 10.
        message: shown to the approvers. Default: none.
        min_required: approvals needed. Default: 1.
        timeout: how long to wait; no answer by then fails the run. Default: 1 hour.
    """

    name: str
    approvers: Sequence[str]
    message: str | None = None
    min_required: int = 1
    timeout: Duration = field(default_factory=lambda: Duration.hours(1))

    def __post_init__(self) -> None:
        check_fields(self)
        check_count(f"step {self.name} approvers", self.approvers, 1, 10)
        check_int_range(f"step {self.name} min_required", self.min_required, 1, len(self.approvers))
        check_length(f"step {self.name} message", self.message, 1, 4096)
        self.worst_case_seconds  # noqa: B018

    def step(self) -> auto.Step:
        return auto.Approve(
            name=self.name,
            approvers=list(self.approvers),
            message=self.message,
            min_required=self.min_required,
            timeout_seconds=self.worst_case_seconds,
        )

    def statements(self, scope: Construct) -> list[iam.PolicyStatement]:
        return []

    @property
    def worst_case_seconds(self) -> int:
        return seconds_of(f"step {self.name} timeout", self.timeout, (60, 7 * 86_400))


@dataclass(frozen=True)
class RunbookStep:
    """A step of yours: run another Automation runbook and wait for it (``aws:executeAutomation``).

    Args:
        name: the step's name in the runbook.
        document_name: the runbook's name: one of this account and region, or AWS's own (AWS-..., AWSSupport-...).
        parameters: its parameters, each a list of strings; ``{{ InstanceId }}`` names the instance.
            Default: none.
        assume_role: the role the runbook runs with, passed as its AutomationAssumeRole (the runbook's role may
            pass it to SSM). Default: none; the runbook then runs with this runbook's role, which holds only
            the permissions of the patch.
        timeout: how long to wait for it. Default: 1 hour.
    """

    name: str
    document_name: str
    parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    assume_role: iam.IRole | None = None
    timeout: Duration = field(default_factory=lambda: Duration.hours(1))

    def __post_init__(self) -> None:
        check_fields(self)
        check_resource_name(f"step {self.name} document_name", self.document_name)
        self.worst_case_seconds  # noqa: B018

    def step(self) -> auto.Step:
        parameters = {key: list(values) for key, values in self.parameters.items()}
        if self.assume_role is not None:
            parameters["AutomationAssumeRole"] = [self.assume_role.role_arn]
        return auto.ExecuteAutomation(
            name=self.name,
            document_name=self.document_name,
            runtime_parameters=parameters,
            timeout_seconds=self.worst_case_seconds,
        )

    def statements(self, scope: Construct) -> list[iam.PolicyStatement]:
        stack = Stack.of(scope)
        # AWS's own runbooks (AWS-..., AWSSupport-...) are named without an account, as AWS's documents are.
        owned_by_aws = self.document_name.lower().startswith(RESERVED_DOCUMENT_PREFIXES)
        statements = [
            iam.PolicyStatement(
                actions=["ssm:StartAutomationExecution"],
                resources=[
                    stack.format_arn(
                        service="ssm",
                        account="" if owned_by_aws else None,
                        resource="automation-definition",
                        resource_name=f"{self.document_name}:*",
                        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                actions=["ssm:GetAutomationExecution"],
                resources=[execution_arn(stack)],
            ),
        ]
        if self.assume_role is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[self.assume_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
                )
            )
        return statements

    @property
    def worst_case_seconds(self) -> int:
        return seconds_of(f"step {self.name} timeout", self.timeout, (60, 86_400))


ExtraStep = AwsApiStep | ApprovalStep | RunbookStep

# A step's call: a boto3 service and an operation as the API names it (no wildcard: the call is one operation),
# and IAM actions (service prefix, then an action name that may end in a wildcard).
_SERVICE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
_OPERATION = re.compile(r"^[A-Z][A-Za-z0-9]{1,127}$")
_ACTION = re.compile(r"^[a-z][a-z0-9-]{1,62}:[A-Za-z][A-Za-z0-9]*\*?$")

_TARGET_GROUP_ARN = re.compile(
    r"arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
)


def is_target_group_name(value: str) -> bool:
    """True for a target group given by name (looked up at run time) rather than by ARN or token."""
    return not is_unresolved(value) and re.fullmatch(TARGET_GROUP_NAME_PATTERN, value) is not None


@jsii.implements(IValidation)
class TargetGroupsFit:
    """Synth check of the target groups defined in the app: of target type ``instance``, and drained within
    ``drain_timeout`` (their deregistration delay fits)."""

    def __init__(self, drain: TargetGroupDrain) -> None:
        self._drain = drain

    def validate(self) -> list[str]:
        problems = []
        for group in self._drain.target_groups:
            resource = group.node.default_child if isinstance(group, Construct) else None
            if not isinstance(group, Construct) or not isinstance(resource, elbv2.CfnTargetGroup):
                continue  # an ARN or an imported group: nothing to read
            stack = Stack.of(resource)
            target_type = stack.resolve(resource.target_type)
            if target_type not in (None, "instance"):
                problems.append(
                    f"target group {group.node.path} has target type {target_type}: the runbook registers "
                    "instances by id, so give target groups of type instance"
                )
            delay = _deregistration_delay(stack.resolve(resource.target_group_attributes))
            if delay is not None and delay > self._drain.drain_seconds:
                problems.append(
                    f"target group {group.node.path} has a deregistration delay of {delay} s, longer than "
                    f"load_balancer.drain_timeout ({self._drain.drain_seconds} s): every drain would time out"
                )
        return problems


def _deregistration_delay(attributes: Any) -> int | None:
    """The delay the target group's attributes set (the L1 property resolved: camelCase keys), else the
    default; None when it is a deploy-time value."""
    for attribute in attributes or []:
        if isinstance(attribute, dict) and attribute.get("key", attribute.get("Key")) == _DELAY_KEY:
            value = attribute.get("value", attribute.get("Value"))
            return int(value) if isinstance(value, str) and value.isdigit() else None
    return DEFAULT_DEREGISTRATION_DELAY


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up."""
    return math.ceil(seconds / 60)


def execution_arn(stack: Stack) -> str:
    """Any automation execution of the stack's account and region (followed by an id known at run time)."""
    return stack.format_arn(service="ssm", resource="automation-execution", resource_name="*")
