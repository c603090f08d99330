"""patch-rehearse for a PatchRunbook task: the runbook's flow on this machine, one made-up instance.

The load balancer and Auto Scaling answer through botocore's Stubber, from a script of the calls a correct
runbook makes, in order, with their exact parameters (``expected_calls``): a runbook that calls out of order,
with other parameters, or too often fails the rehearsal. The waits see the states AWS reports (draining then
unused; initial then healthy, or unhealthy in ``app-unhealthy-after-patch``), the hooked patch step runs the
hook documents for real as the Run Command rehearsal does, and the failure reports go to a stubbed SNS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from .._internal.constants import PATCH_DOCUMENT
from .command import CommandError
from .runbook import EXECUTION_ID, RunbookRun, concrete, run_runbook

INSTANCE = "i-0123456789abcdef0"
ACCOUNT, REGION = "123456789012", "us-east-1"
# How often the rehearsal polls a wait step before it counts as timed out (the step's timeoutSeconds).
POLLS = 3


@dataclass(frozen=True)
class Call:
    """One AWS call the runbook must make: service, boto3 method, the exact request, the response."""

    service: str
    method: str
    request: dict[str, Any]
    response: dict[str, Any]


class RunbookRehearsalError(CommandError):
    """The runbook did not make the calls a correct run makes."""


@dataclass
class RunbookRehearsal:
    run: RunbookRun
    calls: list[Call]
    published: list[dict[str, Any]]


def made_up_ids(template_resources: Mapping[str, Any], content: Any) -> dict[str, str]:
    """A value for every Ref and Fn::GetAtt the runbook holds, shaped like what AWS returns for its type."""
    ids: dict[str, str] = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    for logical_id, kind in _references(content):
        resource_type = template_resources.get(logical_id, {}).get("Type", "")
        name = logical_id[:24]
        if resource_type == "AWS::ElasticLoadBalancingV2::TargetGroup":
            value = _target_group_arn(name)
        elif resource_type == "AWS::SNS::Topic":
            value = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        elif kind == "Arn":
            value = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        else:
            value = name
        ids.setdefault(logical_id if kind is None else f"{logical_id}.{kind}", value)
    return ids


def _references(node: Any) -> Iterator[tuple[str, str | None]]:
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
    elif isinstance(node, dict):
        if set(node) == {"Ref"}:
            yield node["Ref"], None
        elif set(node) == {"Fn::GetAtt"}:
            yield node["Fn::GetAtt"][0], node["Fn::GetAtt"][1]
        else:
            for value in node.values():
                yield from _references(value)


def _step(content: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    return next((step for step in content["mainSteps"] if step["name"] == name), None)


def _health(state: str) -> dict[str, Any]:
    return {"TargetHealthDescriptions": [{"Target": {"Id": INSTANCE, "Port": 80}, "TargetHealth": {"State": state}}]}


def _target_group_arn(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/0123456789abcdef"


def _lifecycle(group: str, state: str) -> dict[str, Any]:
    instance = {
        "InstanceId": INSTANCE,
        "AutoScalingGroupName": group,
        "AvailabilityZone": f"{REGION}a",
        "LifecycleState": state,
        "HealthStatus": "HEALTHY",
        "ProtectedFromScaleIn": False,
    }
    return {"AutoScalingInstances": [instance]}


class CallScript:
    """The load balancer and Auto Scaling calls a correct runbook makes for one instance registered in every
    target group and, with standby, in service in the first of the allowed groups, in order; the responses are
    what AWS would say. Your own API steps are expected where they stand, answered with an empty response. (The
    failure reports depend on how the real hooks end: SNS records them instead, see ``published``.)"""

    def __init__(self, content: Mapping[str, Any]) -> None:
        self.content = content
        reads = [step for step in content["mainSteps"] if step["name"].startswith("ReadTargetGroup")]
        # A group given by name is looked up first: its made-up ARN stands in wherever the runbook uses the lookup.
        self.lookups = [_step(content, read["name"].replace("Read", "Find")) for read in reads]
        self.target_groups = [
            _target_group_arn(lookup["inputs"]["Names"][0]) if lookup else read["inputs"]["TargetGroupArn"]
            for read, lookup in zip(reads, self.lookups, strict=True)
        ]
        check = _step(content, "CheckAutoScalingGroup")
        self.group = check["inputs"]["DesiredValues"][0] if check else None
        self.calls: list[Call] = []

    def _asg(self, method: str, state: str | None, request: dict[str, Any] | None = None) -> None:
        assert self.group is not None
        response = _lifecycle(self.group, state) if state else {"Activities": []}
        self.calls.append(Call("autoscaling", method, request or {"InstanceIds": [INSTANCE]}, response))

    def _elb(self, method: str, arn: str, state: str | None) -> None:
        request = {"TargetGroupArn": arn, "Targets": [{"Id": INSTANCE}]}
        self.calls.append(Call("elbv2", method, request, _health(state) if state else {}))

    def before_patch(self) -> list[Call]:
        """Where the instance is, your steps, and taking it out of service."""
        self.calls = []
        if self.group:
            self._asg("describe_auto_scaling_instances", "InService")  # the group check
            self._asg("describe_auto_scaling_instances", "InService")  # in service, so the run may take it out
        for arn, lookup in zip(self.target_groups, self.lookups, strict=True):
            if lookup:
                found = {"TargetGroups": [{"TargetGroupArn": arn, "TargetType": "instance"}]}
                self.calls.append(Call("elbv2", "describe_target_groups", {"Names": lookup["inputs"]["Names"]}, found))
        self.calls += _own_calls(self.content, before=True)  # once the instance is known to be a target
        if self.group:
            if _step(self.content, "StillInService"):
                self._asg("describe_auto_scaling_instances", "InService")  # still, after your steps
            self._asg("describe_auto_scaling_instances", "InService")  # which group
        for arn in self.target_groups:
            self._elb("describe_target_health", arn, "healthy")
        if self.group:
            decrement = _step(self.content, "EnterStandby")["inputs"]["ShouldDecrementDesiredCapacity"]  # type: ignore[index]
            request = {"InstanceIds": [INSTANCE], "AutoScalingGroupName": self.group}
            self._asg("enter_standby", None, {**request, "ShouldDecrementDesiredCapacity": decrement})
            self._asg("describe_auto_scaling_instances", "EnteringStandby")
            self._asg("describe_auto_scaling_instances", "Standby")
        for arn in self.target_groups:
            self._elb("deregister_targets", arn, None)
            self._elb("describe_target_health", arn, "draining")
            self._elb("describe_target_health", arn, "unused")
        return self.calls

    def after_patch(self, *, healthy: bool) -> list[Call]:
        """Back in service: healthy again in each group, or unhealthy and out again; then your steps."""
        self.calls = []
        if self.group:
            self._asg("describe_auto_scaling_instances", "Standby")
            self._asg("exit_standby", None, {"InstanceIds": [INSTANCE], "AutoScalingGroupName": self.group})
            self._asg("describe_auto_scaling_instances", "Pending")
            self._asg("describe_auto_scaling_instances", "InService")
        for arn in self.target_groups:
            self._elb("register_targets", arn, None)
            if not healthy:
                for state in ["initial", *["unhealthy"] * (POLLS - 1)]:
                    self._elb("describe_target_health", arn, state)
                self._elb("deregister_targets", arn, None)  # out again: it stays out of the group
                break
            self._elb("describe_target_health", arn, "initial")
            self._elb("describe_target_health", arn, "healthy")
        return [*self.calls, *_own_calls(self.content, before=False)]


def expected_calls(content: Mapping[str, Any], *, healthy_after: bool) -> list[Call]:
    """Every call of a run that reaches the patch step (CallScript), the instance healthy after it or not."""
    script = CallScript(content)
    return [*script.before_patch(), *script.after_patch(healthy=healthy_after)]


def _own_calls(content: Mapping[str, Any], *, before: bool) -> Iterator[Call]:
    """Your AwsApiStep calls (any service but the runbook's own), before or after the patch step."""
    from botocore import xform_name

    steps = content["mainSteps"]
    patch = next(index for index, step in enumerate(steps) if step["action"] == "aws:runCommand")
    for index, step in enumerate(steps):
        inputs = step.get("inputs", {})
        own = step["action"] == "aws:executeAwsApi" and inputs.get("Service") not in _RUNBOOK_SERVICES
        if own and (index < patch) == before:
            request = {k: v for k, v in inputs.items() if k not in ("Service", "Api")}
            yield Call(inputs["Service"], xform_name(inputs["Api"]), _substituted(request), {})


_RUNBOOK_SERVICES = frozenset({"elbv2", "autoscaling", "sns"})


def _substituted(value: Any) -> Any:
    """A step's request as the run renders it: the instance and the execution id (outputs of other steps are
    not known before the run)."""
    if isinstance(value, str):
        return value.replace("{{ InstanceId }}", INSTANCE).replace("{{ automation:EXECUTION_ID }}", EXECUTION_ID)
    if isinstance(value, list):
        return [_substituted(item) for item in value]
    if isinstance(value, dict):
        return {key: _substituted(item) for key, item in value.items()}
    return value


@contextmanager
def _stubbed(
    calls: list[Call], services: set[str], published: list[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], Callable[[list[Call]], None]]]:
    """Clients whose Stubber expects ``calls`` in order (and what is enqueued later), and an SNS client that
    records what is published into ``published``; every call is checked against the API model."""
    import boto3
    from botocore.awsrequest import AWSResponse
    from botocore.stub import Stubber

    session = boto3.session.Session(
        aws_access_key_id="rehearsal",
        aws_secret_access_key="rehearsal",  # noqa: S106 - a stand-in: Stubber answers before any request is signed
        region_name=REGION,
    )
    clients = {service: session.client(service) for service in sorted(services | {c.service for c in calls})}

    def record(params: dict[str, Any], **_: Any) -> None:
        published.append(dict(params))

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # Reached only once botocore has checked the request against the model.
        return AWSResponse("", 200, {}, None), {"MessageId": str(len(published))}

    if "sns" in clients:
        clients["sns"].meta.events.register("before-parameter-build.sns.Publish", record)
        clients["sns"].meta.events.register("before-call.sns.Publish", answer)
    with ExitStack() as stack:
        stubbers = {
            service: stack.enter_context(Stubber(client)) for service, client in clients.items() if service != "sns"
        }

        def enqueue(more: list[Call]) -> None:
            for call in more:
                stubbers[call.service].add_response(call.method, call.response, call.request)

        enqueue(calls)
        yield clients, enqueue
        for service, stubber in stubbers.items():
            try:
                stubber.assert_no_pending_responses()
            except AssertionError as error:  # Stubber's own message names the missing call
                raise RunbookRehearsalError(
                    f"the runbook did not make every call a correct run makes ({service}): {error}"
                ) from None


def rehearse_runbook(
    resources: Mapping[str, Any],
    content: Mapping[str, Any],
    run_patch: Callable[[Mapping[str, Any]], tuple[str, str]],
    *,
    healthy_after: Callable[[], bool],
    log: Callable[[str], None] = lambda _: None,
) -> RunbookRehearsal:
    """Run the runbook for one made-up instance: the off-instance calls stubbed, the patch step through
    ``run_patch`` (the Run Command rehearsal, for real). Once it ran, ``healthy_after`` says whether the app
    is healthy (the target groups answer so from then on)."""
    made_up = concrete(content, made_up_ids(resources, content))
    script = CallScript(made_up)
    calls = script.before_patch()
    published: list[dict[str, Any]] = []
    services = {step["inputs"]["Service"] for step in made_up["mainSteps"] if "Service" in step.get("inputs", {})}
    parameters = {"InstanceId": INSTANCE, "AutomationAssumeRole": f"arn:aws:iam::{ACCOUNT}:role/rehearsal"}
    with _stubbed(calls, services, published) as (clients, enqueue):

        def patch_then_restore(step: Mapping[str, Any]) -> tuple[str, str]:
            result = run_patch(step)
            restore = script.after_patch(healthy=healthy_after())
            calls.extend(restore)
            enqueue(restore)
            return result

        parameters_run = {**parameters, "SnapshotId": ""}
        run = run_runbook(made_up, parameters_run, clients, log, run_command=patch_then_restore, polls=POLLS)
    return RunbookRehearsal(run, calls, published)


def patch_step(content: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook's hooked patch step."""
    return next(
        step
        for step in content["mainSteps"]
        if step["action"] == "aws:runCommand" and step["inputs"].get("DocumentName") == PATCH_DOCUMENT
    )
