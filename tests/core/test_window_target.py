"""WindowTargets factories and the WindowTarget construct."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from aws_cdk import CfnParameter, Stack

from constructs_lib import TargetResourceType, WindowTarget, WindowTargets
from tests.builders import template, window

TARGET = "AWS::SSM::MaintenanceWindowTarget"


def test_from_tags_prefixes_keys_and_keeps_order() -> None:
    targets = WindowTargets.from_tags({"PatchGroup": ["web", "api"], "Environment": ["prod"]})
    assert targets.resource_type is TargetResourceType.INSTANCE
    assert targets.targets == (("tag:PatchGroup", ("web", "api")), ("tag:Environment", ("prod",)))


def test_from_tags_accepts_the_spaced_patch_group_key_and_unicode() -> None:
    targets = WindowTargets.from_tags({"Patch Group": ["web"], "Équipe": ["ops"]})
    assert targets.targets[0] == ("tag:Patch Group", ("web",))


def test_a_plus_is_fine_in_a_tag_value() -> None:
    assert WindowTargets.from_tags({"team": ["dev+ops"]}).targets == (("tag:team", ("dev+ops",)),)


def test_from_tags_accepts_five_keys_of_fifty_values() -> None:
    tags = {f"Key{i}": [f"v{j}" for j in range(50)] for i in range(5)}
    assert len(WindowTargets.from_tags(tags).targets) == 5


def test_from_instance_ids() -> None:
    ids = ["i-0123456789abcdef0", "i-01234567", "mi-0123456789abcdef0"]
    assert WindowTargets.from_instance_ids(ids).targets == (("InstanceIds", tuple(ids)),)


def test_from_tag_keys() -> None:
    assert WindowTargets.from_tag_keys(["PatchMe"]).targets == (("tag-key", ("PatchMe",)),)


def test_from_resource_group() -> None:
    targets = WindowTargets.from_resource_group("web-servers", resource_types=["AWS::EC2::Instance"])
    assert targets.resource_type is TargetResourceType.RESOURCE_GROUP
    assert targets.targets == (
        ("resource-groups:Name", ("web-servers",)),
        ("resource-groups:ResourceTypeFilters", ("AWS::EC2::Instance",)),
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: WindowTargets.from_tags({}), r"tags must hold 1 to 5 items; got 0"),
        (lambda: WindowTargets.from_tags({f"K{i}": ["v"] for i in range(6)}), r"tags must hold 1 to 5 items; got 6"),
        (lambda: WindowTargets.from_tags({"": ["v"]}), r"tags key must be 1 to 128 characters long; got 0"),
        (lambda: WindowTargets.from_tags({"k" * 129: ["v"]}), r"tags key must be 1 to 128 characters long; got 129"),
        (lambda: WindowTargets.from_tags({"Patch*Group": ["v"]}), r"tags key may contain only letters, .* with '\*'"),
        # API model shape TargetKey has no "+" (a tag value or patch group may hold one).
        (
            lambda: WindowTargets.from_tags({"team+ops": ["v"]}),
            r"tags key may contain only letters, digits, spaces and _ \. : / = - @ \(no \+: it becomes a target "
            r"key\); got tags key='team\+ops' with '\+'",
        ),
        (lambda: WindowTargets.from_tags({"PatchGroup": []}), r"tags\['PatchGroup'\] must hold 1 to 50 items; got 0"),
        (
            lambda: WindowTargets.from_tags({"PatchGroup": [str(i) for i in range(51)]}),
            r"must hold 1 to 50 items; got 51",
        ),
        (lambda: WindowTargets.from_tags({"PatchGroup": ["web", "web"]}), r"must not repeat a value; got 'web' twice"),
        (
            lambda: WindowTargets.from_tags({"PatchGroup": [""]}),
            r"tags\['PatchGroup'\] must be 1 to 256 characters long",
        ),
        (lambda: WindowTargets.from_instance_ids([]), r"instance_ids must hold 1 to 50 items; got 0"),
        (
            lambda: WindowTargets.from_instance_ids(["i-123"]),
            r"instance_ids must be an EC2 instance ID .*; got instance_ids='i-123'",
        ),
        (lambda: WindowTargets.from_instance_ids(["I-0123456789ABCDEF0"]), r"instance_ids must be an EC2 instance ID"),
        (lambda: WindowTargets.from_tag_keys(["bad|key"]), r"tag_keys may contain only letters"),
        (
            lambda: WindowTargets.from_resource_group("web servers"),
            r"resource_group must be 1 to 300 characters .*; got resource_group='web servers'",
        ),
        (
            lambda: WindowTargets.from_resource_group("web", resource_types=["EC2::Instance"]),
            r"resource_types must be a type such as AWS::EC2::Instance",
        ),
    ],
)
def test_fails_on_invalid_targets(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: WindowTargets.from_tags(cast(Any, {"PatchGroup": "web"})),
            r"tags must be a mapping of strings to lists of strings; got the string 'web' for key 'PatchGroup'",
        ),
        (
            lambda: WindowTargets.from_instance_ids(cast(Any, "i-0123456789abcdef0")),
            r"instance_ids must be a list of strings; got the string 'i-0123456789abcdef0'",
        ),
        (
            lambda: WindowTargets.from_tags(cast(Any, {3: ["web"]})),
            r"tags must be a mapping of strings to lists of strings; got 3 as a key",
        ),
    ],
)
def test_wrong_types_are_type_errors_naming_the_keyword(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        build()


def test_tokens_are_passed_through_unchecked(stack: Stack) -> None:
    ids = CfnParameter(stack, "Ids", type="List<AWS::EC2::Instance::Id>").value_as_list
    group = CfnParameter(stack, "Group").value_as_string
    window(stack).add_targets("ById", WindowTargets.from_instance_ids(ids))
    window(stack, "Other").add_targets("ByTag", WindowTargets.from_tags({"PatchGroup": [group]}))
    template(stack).has_resource_properties(TARGET, {"Targets": [{"Key": "InstanceIds", "Values": {"Ref": "Ids"}}]})
    template(stack).has_resource_properties(
        TARGET, {"Targets": [{"Key": "tag:PatchGroup", "Values": [{"Ref": "Group"}]}]}
    )


def test_defines_the_target(stack: Stack) -> None:
    mw = window(stack)
    target = WindowTarget(
        stack,
        "Db",
        window=mw,
        targets=WindowTargets.from_resource_group("db"),
        target_name="Databases",
        description="DB hosts",
        owner_information="team-db",
    )
    template(stack).has_resource_properties(
        TARGET,
        {
            "WindowId": {"Ref": stack.get_logical_id(mw.cfn_window)},
            "ResourceType": "RESOURCE_GROUP",
            "Targets": [{"Key": "resource-groups:Name", "Values": ["db"]}],
            "Name": "Databases",
            "Description": "DB hosts",
            "OwnerInformation": "team-db",
        },
    )
    assert stack.resolve(target.window_target_id) == {"Ref": stack.get_logical_id(target.cfn_target)}
    assert target.node.default_child is target.cfn_target


def test_short_construct_id_gives_no_name(stack: Stack) -> None:
    window(stack).add_targets("A", WindowTargets.from_tag_keys(["PatchMe"]))
    props = next(iter(template(stack).find_resources(TARGET).values()))["Properties"]
    assert "Name" not in props


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("target_name", "no spaces", r"target_name must be 3 to 128 characters"),
        ("description", "x" * 129, r"description must be 1 to 128 characters long"),
        ("owner_information", "", r"owner_information must be 1 to 128 characters long"),
    ],
)
def test_fails_on_invalid_target_settings(stack: Stack, keyword: str, value: str, message: str) -> None:
    targets = WindowTargets.from_tag_keys(["PatchMe"])
    with pytest.raises(ValueError, match=message):
        window(stack).add_targets("Web", targets, **{keyword: value})
