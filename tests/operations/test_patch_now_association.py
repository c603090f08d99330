"""PatchNowAssociation: a one-off hooked patch run as a State Manager association."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Stack

from constructs_lib import (
    CommandOutput,
    LifecycleHooks,
    PatchNowAssociation,
    PatchOperation,
    RebootOption,
    WindowTargets,
)
from tests.builders import hook, logical_id, new_stack, template

FLEET = WindowTargets.from_tags({"PatchGroup": ["web"]})
TODAY = WindowTargets.from_instance_ids(["i-0123456789abcdef0", "mi-0123456789abcdef0"])


def association(stack: Stack) -> dict[str, Any]:
    (resource,) = template(stack).find_resources("AWS::SSM::Association").values()
    props: dict[str, Any] = resource["Properties"]
    return props


def test_runs_the_hooked_document_once_with_a_fixed_snapshot(stack: Stack) -> None:
    pre = hook(stack, "Pre")
    output = CommandOutput(stack, "Output", cloudwatch_output=False)
    PatchNowAssociation(
        stack,
        "PatchNow",
        targets=FLEET,
        include_new_instances=True,
        hooks=LifecycleHooks(pre_install=pre),
        reboot_option=RebootOption.NO_REBOOT,
        max_concurrency="2",
        max_errors="0",
        output=output,
    )
    props = association(stack)
    assert output.bucket is not None
    snapshot = props["Parameters"]["SnapshotId"][0]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", snapshot)
    assert props == {
        "Name": "AWS-RunPatchBaselineWithHooks",
        "AssociationName": "PatchNow",
        "Targets": [{"Key": "tag:PatchGroup", "Values": ["web"]}],
        "Parameters": {
            "Operation": ["Install"],
            "RebootOption": ["NoReboot"],
            "SnapshotId": [snapshot],
            "PreInstallHookDocName": [{"Ref": stack.get_logical_id(pre.cfn_document)}],
        },
        "MaxConcurrency": "2",
        "MaxErrors": "0",
        "OutputLocation": {
            "S3Location": {
                "OutputS3BucketName": {"Ref": logical_id(stack, output.bucket)},
                "OutputS3KeyPrefix": "patching/TestStack/PatchNow",
            }
        },
    }
    assert "ScheduleExpression" not in props  # no schedule: it runs once, when created


def test_snapshot_id_is_stable_across_synths_and_distinct_per_construct() -> None:
    def snapshot(construct_id: str) -> str:
        stack = new_stack()
        PatchNowAssociation(stack, construct_id, targets=TODAY)
        value: str = association(stack)["Parameters"]["SnapshotId"][0]
        return value

    assert snapshot("PatchNow") == snapshot("PatchNow")
    assert snapshot("PatchNow") != snapshot("PatchNowAgain")


def test_a_given_snapshot_id(stack: Stack) -> None:
    PatchNowAssociation(
        stack,
        "PatchNow",
        targets=FLEET,
        snapshot_id="0B3E5A8C-4F2D-4C1E-9A7B-3D2F1E0C9B8A",
        operation=PatchOperation.SCAN,
    )
    assert association(stack)["Parameters"]["SnapshotId"] == ["0B3E5A8C-4F2D-4C1E-9A7B-3D2F1E0C9B8A"]
    assert association(stack)["Parameters"]["Operation"] == ["Scan"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"operation": PatchOperation.SCAN, "hooks": "HOOKS"}, r"hooks must not be set when operation is Scan"),
        (
            {
                "targets": WindowTargets.from_resource_group("web", resource_types=["AWS::EC2::Instance"]),
                "include_new_instances": True,
            },
            r"targets for an association can't filter resource types",
        ),
        ({"snapshot_id": "today"}, r"snapshot_id must be a GUID such as .*; got snapshot_id='today'"),
        ({"max_concurrency": "0"}, r"max_concurrency must be a count"),
        ({"max_errors": "x"}, r"max_errors must be 0, a count"),
        ({"association_name": "patch now"}, r"association_name must be 3 to 128 characters"),
    ],
)
def test_fails_on_invalid_association(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    if overrides.get("hooks") == "HOOKS":
        overrides["hooks"] = LifecycleHooks(on_exit=hook(stack))
    settings: dict[str, Any] = {"targets": TODAY, **overrides}
    with pytest.raises(ValueError, match=message):
        PatchNowAssociation(stack, "PatchNow", **settings)


@pytest.mark.parametrize(
    ("targets", "keys"),
    [(FLEET, "tag:PatchGroup"), (WindowTargets.from_resource_group("web"), "resource-groups:Name")],
)
def test_targets_that_match_later_instances_need_to_be_asked_for_by_name(
    stack: Stack, targets: WindowTargets, keys: str
) -> None:
    # State Manager applies an association to each new instance its targets match, outside any window.
    with pytest.raises(
        ValueError,
        match=r"targets by tag or resource group also patch \(Install\) every instance that matches them later, .* give "
        r"WindowTargets\.from_instance_ids\(\[\.\.\.\]\) to patch today's instances, or "
        rf"include_new_instances=True to patch new ones too; got {keys}",
    ):
        PatchNowAssociation(stack, "PatchNow", targets=targets)


def test_instance_ids_patch_only_todays_instances_by_default(stack: Stack) -> None:
    PatchNowAssociation(stack, "PatchNow", targets=TODAY)
    assert association(stack)["Targets"] == [
        {"Key": "InstanceIds", "Values": ["i-0123456789abcdef0", "mi-0123456789abcdef0"]}
    ]


def test_tags_patch_later_instances_when_asked_for_by_name(stack: Stack) -> None:
    PatchNowAssociation(stack, "PatchNow", targets=FLEET, include_new_instances=True)
    assert association(stack)["Targets"] == [{"Key": "tag:PatchGroup", "Values": ["web"]}]
