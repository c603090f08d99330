"""The acknowledgments name each cdk-nag finding exactly as cdk-nag does.

``_internal/nag.py`` renders a resolved CloudFormation value the way cdk-nag's own (unexported)
flattenCfnReference does; this test pins that copy to cdk-nag's behaviour for every intrinsic form it
handles, by comparing the names with the findings cdk-nag reports, then acknowledging them away.
"""

from __future__ import annotations

from aws_cdk import Aws, Fn, Stack
from aws_cdk import aws_iam as iam

from constructs_lib._internal.nag import _flatten, acknowledge_wildcards
from tests.builders import new_app, new_stack
from tests.validators.test_nag import nag_findings


def wildcard_role(stack: Stack) -> tuple[iam.Role, list[str]]:
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    bucket = iam.Role(stack, "Other", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    resources = [
        "*",  # plain text
        f"arn:{Aws.PARTITION}:s3:::bucket/*",  # Fn::Join with a Ref
        f"{bucket.role_arn}/*",  # Fn::Join with a Fn::GetAtt
        Fn.sub("arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:patching"),  # Fn::Sub
        Fn.join("", [Fn.import_value("SharedBucketArn"), "/*"]),  # Fn::ImportValue inside a join
    ]
    role.add_to_policy(iam.PolicyStatement(actions=["s3:Get*"], resources=resources))
    return role, resources


def test_each_wildcard_finding_is_named_as_flatten_names_it() -> None:
    app = new_app()
    stack = new_stack(app)
    _, resources = wildcard_role(stack)
    reported = sorted(finding["ruleName"] for finding in nag_findings(app) if "IAM5" in finding["ruleName"])
    expected = [f"AwsSolutions-IAM5[Resource::{_flatten(stack.resolve(resource))}]" for resource in resources]
    assert reported == sorted([*expected, "AwsSolutions-IAM5[Action::s3:Get*]"])


def test_acknowledging_them_leaves_no_finding() -> None:
    app = new_app()
    stack = new_stack(app)
    role, resources = wildcard_role(stack)
    acknowledge_wildcards(role, actions=["s3:Get*"], resources=resources, reason="test: every form is named")
    assert [finding["ruleName"] for finding in nag_findings(app) if "IAM5" in finding["ruleName"]] == []
