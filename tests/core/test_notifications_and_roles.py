"""PatchNotifications, MaintenanceWindowRole, and how tasks use them."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match

from constructs_lib import (
    MaintenanceWindowRole,
    NotificationEvent,
    NotificationType,
    PatchNotifications,
    PatchTask,
    WindowTargets,
)
from tests.builders import logical_id, only_properties, targets, template, window


def policy_statements(stack: Stack, role: iam.IRole) -> list[dict[str, Any]]:
    role_id = logical_id(stack, role)
    for policy in template(stack).find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no policy for {role_id}")


def window_role_statements(stack: Stack, role: MaintenanceWindowRole) -> list[dict[str, Any]]:
    """The statements of the window role's inline policy."""
    props = template(stack).to_json()["Resources"][logical_id(stack, role)]["Properties"]
    (policy,) = props["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def arn(service: str, resource: str, *, account: bool = True) -> dict[str, Any]:
    parts: list[Any] = ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, ":"]
    return {"Fn::Join": ["", [*parts, *([{"Ref": "AWS::AccountId"}] if account else []), f":{resource}"]]}


TRUST_SSM_HERE = {
    "Action": "sts:AssumeRole",
    "Effect": "Allow",
    "Principal": {"Service": "ssm.amazonaws.com"},
    "Condition": {
        "StringEqualsIfExists": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLikeIfExists": {"aws:SourceArn": arn("ssm", "*")},
    },
}
SEND_DOCUMENT = {
    "Sid": "SendPatchDocument",
    "Action": "ssm:SendCommand",
    "Effect": "Allow",
    "Resource": arn("ssm", "document/AWS-RunPatchBaselineWithHooks", account=False),
}
FOLLOW_AND_RESOLVE = [
    {
        "Action": ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"],
        "Effect": "Allow",
        "Resource": "*",
        "Sid": "FollowCommands",
    },
    {
        "Action": ["resource-groups:ListGroupResources", "resource-groups:ListGroups", "tag:GetResources"],
        "Effect": "Allow",
        "Resource": "*",
        "Sid": "ResolveTargets",
    },
]
ANY_INSTANCE = [arn("ec2", "instance/*"), arn("ssm", "managed-instance/*")]


def send_to(resources: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Action": "ssm:SendCommand", "Effect": "Allow", "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def test_window_role_is_least_privilege(stack: Stack) -> None:
    role = MaintenanceWindowRole(stack, "Role")
    (trust,) = only_properties(stack, "AWS::IAM::Role")["AssumeRolePolicyDocument"]["Statement"]
    assert trust == TRUST_SSM_HERE
    template(stack).resource_count_is("AWS::IAM::Policy", 0)  # one role, its policy inline
    # No target registered yet: any instance of the account and region, but only the patch document.
    assert window_role_statements(stack, role) == [SEND_DOCUMENT, *FOLLOW_AND_RESOLVE, send_to(ANY_INSTANCE)]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            WindowTargets.from_tags({"PatchGroup": ["web", "api"], "Env": ["prod"]}),
            send_to(
                ANY_INSTANCE,
                {"StringEquals": {"ssm:resourceTag/PatchGroup": ["web", "api"], "ssm:resourceTag/Env": ["prod"]}},
            ),
        ),
        (
            WindowTargets.from_instance_ids(["i-0123456789abcdef0", "mi-0123456789abcdef0"]),
            send_to([arn("ec2", "instance/i-0123456789abcdef0"), arn("ssm", "managed-instance/mi-0123456789abcdef0")]),
        ),
        (
            WindowTargets.from_tag_keys(["Patchable"]),
            send_to(ANY_INSTANCE, {"Null": {"ssm:resourceTag/Patchable": "false"}}),
        ),
        (WindowTargets.from_resource_group("web-servers"), send_to(ANY_INSTANCE)),
    ],
)
def test_the_window_role_reaches_only_the_instances_its_tasks_target(
    stack: Stack, selection: WindowTargets, expected: dict[str, Any]
) -> None:
    mw = window(stack)
    mw.add_patch_task("Patch", targets=[mw.add_targets("Web", selection)])
    assert window_role_statements(stack, mw.window_role) == [SEND_DOCUMENT, *FOLLOW_AND_RESOLVE, expected]


def test_two_tasks_add_their_targets_once_each(stack: Stack) -> None:
    mw = window(stack)
    web = mw.add_targets("Web", WindowTargets.from_tags({"PatchGroup": ["web"]}))
    db = mw.add_targets("Db", WindowTargets.from_tags({"PatchGroup": ["db"]}))
    mw.add_patch_task("Patch", targets=[web, db])
    mw.add_patch_task("Again", targets=[web], priority=2)
    instance_statements = window_role_statements(stack, mw.window_role)[3:]
    # One statement per tag key, values ORed: a role's inline policies may hold 10,240 characters in all.
    assert instance_statements == [
        send_to(ANY_INSTANCE, {"StringEquals": {"ssm:resourceTag/PatchGroup": ["web", "db"]}})
    ]


def test_a_window_role_past_iams_inline_policy_quota_is_refused(stack: Stack) -> None:
    role = MaintenanceWindowRole(stack, "Role")

    def add_keys(first: int, count: int) -> None:  # distinct tag keys can't share a statement
        for index in range(first, first + count):
            role.allow_targets(WindowTargets.from_tags({f"Team{index:03d}": ["x" * 60]}))

    add_keys(0, 20)  # about 7,400 characters: within the quota
    with pytest.raises(ValueError, match=r"would need an inline policy of about \d+ characters .* IAM allows 10240"):
        add_keys(20, 30)


def test_a_fleet_of_groups_on_one_tag_key_fits_one_statement(stack: Stack) -> None:
    mw = window(stack)
    for index in range(60):
        group = mw.add_targets(f"T{index}", WindowTargets.from_tags({"PatchGroup": [f"group-{index:02d}"]}))
        mw.add_patch_task(f"Patch{index}", targets=[group], priority=index)
    (statement,) = window_role_statements(stack, mw.window_role)[3:]
    assert len(statement["Condition"]["StringEquals"]["ssm:resourceTag/PatchGroup"]) == 60


def test_tasks_of_a_window_share_one_defined_role(stack: Stack) -> None:
    mw = window(stack)
    web = targets(mw)
    first = mw.add_patch_task("First", targets=[web])
    second = mw.add_patch_task("Second", targets=[web], priority=2)
    template(stack).resource_count_is("AWS::IAM::Role", 1)
    assert first.service_role is second.service_role is mw.service_role
    role_arn = {"Fn::GetAtt": [logical_id(stack, mw.window_role), "Arn"]}
    template(stack).has_resource_properties("AWS::SSM::MaintenanceWindowTask", {"ServiceRoleArn": role_arn})


def test_a_given_role_is_used_and_none_is_defined(stack: Stack) -> None:
    mine = iam.Role.from_role_arn(stack, "Mine", "arn:aws:iam::123456789012:role/patching")
    mw = window(stack, service_role=mine)
    mw.add_patch_task("Patch", targets=[targets(mw)])
    template(stack).resource_count_is("AWS::IAM::Role", 0)
    template(stack).has_resource_properties(
        "AWS::SSM::MaintenanceWindowTask", {"ServiceRoleArn": "arn:aws:iam::123456789012:role/patching"}
    )


def test_a_task_on_an_existing_window_defines_its_own_role(stack: Stack) -> None:
    mw = window(stack)
    target = targets(mw)

    class Existing:  # an IMaintenanceWindow defined elsewhere
        window_id = mw.window_id

    existing = Existing()
    target.window = existing  # registered with that window
    task = PatchTask(stack, "Patch", window=existing, targets=[target])
    assert task.service_role.node.path.startswith("TestStack/Patch/ServiceRole/")


def test_notifications_with_a_created_topic(stack: Stack) -> None:
    notifications = PatchNotifications(stack, "Notify")
    mw = window(stack)
    task = mw.add_patch_task("Patch", targets=[targets(mw)], notifications=notifications)
    t = template(stack)
    t.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.string_like_regexp("alias/aws/sns")})
    t.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    topic = {"Ref": logical_id(stack, notifications.topic)}
    assert policy_statements(stack, notifications.role) == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": topic}
    ]
    notification_role = {"Fn::GetAtt": [logical_id(stack, notifications.role), "Arn"]}
    params = template(stack).to_json()["Resources"][stack.get_logical_id(task.cfn_task)]["Properties"][
        "TaskInvocationParameters"
    ]["MaintenanceWindowRunCommandParameters"]
    assert params["NotificationConfig"] == {
        "NotificationArn": topic,
        "NotificationEvents": ["Failed", "TimedOut", "Cancelled"],
        "NotificationType": "Command",
    }
    assert params["ServiceRoleArn"] == notification_role
    assert {
        "Action": "iam:PassRole",
        "Effect": "Allow",
        "Resource": notification_role,
        "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
    } in window_role_statements(stack, mw.window_role)


def test_notifications_with_your_topic(stack: Stack) -> None:
    topic = sns.Topic.from_topic_arn(stack, "Mine", "arn:aws:sns:us-east-1:123456789012:patching")
    notifications = PatchNotifications(
        stack, "Notify", topic=topic, events=[NotificationEvent.ALL], notification_type=NotificationType.INVOCATION
    )
    mw = window(stack)
    mw.add_patch_task("A", targets=[targets(mw)], notifications=notifications)
    mw.add_patch_task("B", targets=[targets(mw, "Api")], notifications=notifications)
    template(stack).resource_count_is("AWS::SNS::Topic", 0)
    template(stack).has_resource_properties(
        "AWS::SSM::MaintenanceWindowTask",
        {
            "TaskInvocationParameters": {
                "MaintenanceWindowRunCommandParameters": Match.object_like(
                    {
                        "NotificationConfig": {
                            "NotificationArn": "arn:aws:sns:us-east-1:123456789012:patching",
                            "NotificationEvents": ["All"],
                            "NotificationType": "Invocation",
                        }
                    }
                )
            }
        },
    )
    pass_role = [s for s in window_role_statements(stack, mw.window_role) if s["Action"] == "iam:PassRole"]
    assert len(pass_role) == 1  # two tasks, one statement


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], r"events must name at least one NotificationEvent; got events=\[\]"),
        (
            [NotificationEvent.ALL, NotificationEvent.FAILED],
            r"events must be All alone or specific events; got events=\['All', 'Failed'\]",
        ),
        ([NotificationEvent.FAILED, NotificationEvent.FAILED], r"events must not repeat a value; got 'Failed' twice"),
    ],
)
def test_fails_on_invalid_events(stack: Stack, events: list[NotificationEvent], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatchNotifications(stack, "Notify", events=events)


@pytest.mark.parametrize("role_name", ["a", "Patch_Window+ops=1,2.3@x-y", "r" * 64])
def test_a_window_role_name_within_iams_rule_is_used(stack: Stack, role_name: str) -> None:
    MaintenanceWindowRole(stack, "Role", role_name=role_name)
    template(stack).has_resource_properties("AWS::IAM::Role", {"RoleName": role_name})


@pytest.mark.parametrize("role_name", ["", "r" * 65, "$(reboot)", "patch window", "rôle"])
def test_a_window_role_name_outside_iams_rule_is_refused(stack: Stack, role_name: str) -> None:
    # IAM API model, shape roleNameType: [\w+=,.@-]{1,64}
    with pytest.raises(
        ValueError, match=r"role_name must be 1 to 64 characters from a-z, A-Z, 0-9 and _ \+ = , \. @ -; got role_name="
    ):
        MaintenanceWindowRole(stack, "Role", role_name=role_name)


def test_the_notification_role_trusts_only_ssm_held_to_this_account(stack: Stack) -> None:
    PatchNotifications(stack, "Notifications")
    (role,) = template(stack).find_resources("AWS::IAM::Role").values()
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == TRUST_SSM_HERE
