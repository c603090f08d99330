"""Every IAM policy in every scenario: a wildcard resource needs a condition or a written reason.

The reason is the cdk-nag acknowledgment (``AwsSolutions-IAM5[Resource::<value>]``) recorded on the construct
that holds the policy or one of its parents, the one place the library writes why a permission is broad.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import CfnResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from constructs import IConstruct

from constructs_lib import WindowTargets
from constructs_lib._internal.nag import _flatten
from tests.builders import new_app, new_stack, window
from tests.scenarios import SCENARIOS

_POLICY_HOLDERS = {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}


def _statements(resource_type: str, properties: dict[str, Any]) -> list[dict[str, Any]]:
    if resource_type == "AWS::IAM::Role":
        return [s for policy in properties.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    return list(properties["PolicyDocument"]["Statement"])


def _reasons(construct: IConstruct) -> dict[str, str]:
    """Acknowledged rule ids and their reasons on ``construct`` and its parents."""
    reasons: dict[str, str] = {}
    node: IConstruct | None = construct
    while node is not None:
        for entry in node.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                reasons.update(entry.data)
        node = node.node.scope
    return reasons


def unexplained_wildcards(stack: Stack) -> list[str]:
    """One line per Allow statement resource holding '*' with neither a condition nor a written reason."""
    resources_in_template = Template.from_stack(stack).to_json()["Resources"]
    problems = []
    for child in stack.node.find_all():
        if not isinstance(child, CfnResource) or child.cfn_resource_type not in _POLICY_HOLDERS:
            continue
        properties = resources_in_template[stack.get_logical_id(child)]
        reasons = _reasons(child)
        for statement in _statements(child.cfn_resource_type, properties["Properties"]):
            if statement["Effect"] != "Allow" or "Condition" in statement:
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                flat = _flatten(resource)
                rule = f"AwsSolutions::AwsSolutions-IAM5[Resource::{flat}]"
                if "*" in flat and not reasons.get(rule, "").strip():
                    problems.append(f"{child.node.path}: {statement.get('Action')} on {flat} without a reason")
    return problems


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_wildcard_resource_has_a_condition_or_a_reason(name: str) -> None:
    stack = SCENARIOS[name](new_app())
    assert unexplained_wildcards(stack) == []


def test_a_wildcard_without_a_reason_is_found() -> None:
    # Negative control: the check above really reads the policies.
    stack = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    (problem,) = unexplained_wildcards(stack)
    assert problem.endswith("s3:GetObject on * without a reason")


def test_a_condition_or_a_reason_explains_a_wildcard() -> None:
    stack = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"], resources=["*"], conditions={"StringEquals": {"aws:ResourceAccount": "1"}}
        )
    )
    assert unexplained_wildcards(stack) == []


def test_a_window_role_reaching_any_instance_says_why() -> None:
    # A resource-group target: IAM can't condition on group membership, so instance/* stands unconditioned.
    stack = new_stack()
    mw = window(stack)
    mw.add_patch_task("Patch", targets=[mw.add_targets("Group", WindowTargets.from_resource_group("web-servers"))])
    assert unexplained_wildcards(stack) == []


# Resource policies: their resources are the resource itself ("*" in a key policy is this key); the
# broad part would be the principal. An Allow to anyone needs a condition.
_RESOURCE_POLICIES = {"AWS::S3::BucketPolicy": "PolicyDocument", "AWS::SNS::TopicPolicy": "PolicyDocument"}
_KEY_POLICY = "KeyPolicy"


def open_resource_policies(stack: Stack) -> list[str]:
    """One line per resource-policy Allow to any principal ("*") without a condition."""
    problems = []
    for logical_id, resource in Template.from_stack(stack).to_json()["Resources"].items():
        key = _RESOURCE_POLICIES.get(resource["Type"]) or (_KEY_POLICY if resource["Type"] == "AWS::KMS::Key" else None)
        if key is None:
            continue
        for statement in resource["Properties"][key]["Statement"]:
            principal = statement.get("Principal")
            anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
            if statement["Effect"] == "Allow" and anyone and "Condition" not in statement:
                problems.append(f"{logical_id}: {statement.get('Action')} allowed to anyone without a condition")
    return problems


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_resource_policy_allows_anyone_without_a_condition(name: str) -> None:
    assert open_resource_policies(SCENARIOS[name](new_app())) == []


def test_a_resource_policy_open_to_anyone_is_found() -> None:
    from aws_cdk import aws_sns as sns

    stack = new_stack()
    topic = sns.Topic(stack, "Topic")
    topic.add_to_resource_policy(
        iam.PolicyStatement(actions=["sns:Publish"], principals=[iam.AnyPrincipal()], resources=[topic.topic_arn])
    )
    (problem,) = open_resource_policies(stack)
    assert problem.endswith("sns:Publish allowed to anyone without a condition")


@pytest.mark.parametrize(("environment", "account"), [("dev", "111111111111"), ("prod", "222222222222")])
def test_the_fleet_brakes_policies_explain_their_wildcards(environment: str, account: str) -> None:
    from aws_cdk import Environment

    from constructs_lib import FleetDescription, FleetPatchingStack
    from examples.organization.app import FLEET_FILE

    stack = FleetPatchingStack(
        new_app(),
        "Patching",
        fleet=FleetDescription.from_file(FLEET_FILE),
        environment=environment,
        env=Environment(account=account, region="eu-west-1"),
    )
    assert unexplained_wildcards(stack) == []
    assert open_resource_policies(stack) == []
