"""WindowTargets (which instances) and WindowTarget (their registration with a maintenance window)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal.rules import (
    RESOURCE_NAME,
    check_count,
    check_length,
    check_pattern,
    check_resource_name,
    check_tag_charset,
    check_unique,
)
from .._internal.typecheck import typed
from .._internal.validation import is_unresolved
from .protocols import IMaintenanceWindow

_MAX_TARGET_KEYS = 5
_MAX_VALUES = 50
# EC2 instances (i-, 8 or 17 hex digits) and hybrid managed nodes (mi-, 17 hex digits).
_INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")
_RESOURCE_GROUP = re.compile(r"^[a-zA-Z0-9_.-]{1,300}$")
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")


class TargetResourceType(StrEnum):
    """What a window target names: instances (by ID or tag) or a resource group."""

    INSTANCE = "INSTANCE"
    RESOURCE_GROUP = "RESOURCE_GROUP"


@dataclass(frozen=True)
class WindowTargets:
    """The instances a maintenance window acts on. Build with the static factories.

    ``WindowTargets.from_tags({"PatchGroup": ["web"]})``, ``WindowTargets.from_instance_ids([...])``,
    ``WindowTargets.from_tag_keys([...])`` or ``WindowTargets.from_resource_group("name")``.
    """

    resource_type: TargetResourceType
    targets: tuple[tuple[str, tuple[str, ...]], ...]

    @staticmethod
    @typed
    def from_tags(tags: Mapping[str, Sequence[str]]) -> WindowTargets:
        """Instances carrying any of the values for every tag key (up to 5 keys, 1 to 50 values each).

        Patch groups use the tag key ``PatchGroup`` (or ``Patch Group``, which instance-metadata tags
        forbid); both are case-sensitive.
        """
        check_count("tags", list(tags), 1, _MAX_TARGET_KEYS)
        pairs = []
        for key, values in tags.items():
            check_length("tags key", key, 1, 128)
            check_tag_charset("tags key", key, target_key=True)
            _check_values(f"tags[{key!r}]", values)
            pairs.append((f"tag:{key}", tuple(values)))
        return WindowTargets(TargetResourceType.INSTANCE, tuple(pairs))

    @staticmethod
    @typed
    def from_tag_keys(keys: Sequence[str]) -> WindowTargets:
        """Instances carrying any of these tag keys, whatever the value (1 to 50 keys)."""
        _check_values("tag_keys", keys)
        for key in keys:
            check_tag_charset("tag_keys", key)
        return WindowTargets(TargetResourceType.INSTANCE, (("tag-key", tuple(keys)),))

    @staticmethod
    @typed
    def from_instance_ids(instance_ids: Sequence[str]) -> WindowTargets:
        """These instances (1 to 50 IDs: ``i-...`` for EC2, ``mi-...`` for hybrid managed nodes)."""
        _check_values("instance_ids", instance_ids)
        for instance_id in instance_ids:
            check_pattern(
                "instance_ids",
                instance_id,
                _INSTANCE_ID,
                "an EC2 instance ID (i- and 8 or 17 hex digits) or a managed node ID (mi- and 17)",
            )
        return WindowTargets(TargetResourceType.INSTANCE, (("InstanceIds", tuple(instance_ids)),))

    @staticmethod
    @typed
    def from_resource_group(name: str, *, resource_types: Sequence[str] = ()) -> WindowTargets:
        """The members of an AWS Resource Groups group.

        Default: ``resource_types`` empty, every supported member type; pass ``["AWS::EC2::Instance"]``
        to limit the group to instances.
        """
        check_pattern("resource_group", name, _RESOURCE_GROUP, "1 to 300 characters from a-z, A-Z, 0-9, _, . and -")
        pairs: list[tuple[str, tuple[str, ...]]] = [("resource-groups:Name", (name,))]
        if resource_types:
            _check_values("resource_types", resource_types)
            for resource_type in resource_types:
                check_pattern("resource_types", resource_type, _RESOURCE_TYPE, "a type such as AWS::EC2::Instance")
            pairs.append(("resource-groups:ResourceTypeFilters", tuple(resource_types)))
        return WindowTargets(TargetResourceType.RESOURCE_GROUP, tuple(pairs))

    def to_cfn(self) -> list[ssm.CfnMaintenanceWindowTarget.TargetsProperty]:
        """The CloudFormation ``Targets`` list."""
        return [
            ssm.CfnMaintenanceWindowTarget.TargetsProperty(key=key, values=list(values)) for key, values in self.targets
        ]


def _check_values(keyword: str, values: Sequence[str]) -> None:
    if is_unresolved(values):
        return
    check_count(keyword, values, 1, _MAX_VALUES)
    check_unique(keyword, values)
    for value in values:
        check_length(keyword, value, 1, 256)


class WindowTarget(Construct):
    """Registers a set of instances with a maintenance window; tasks then name it in ``targets``.

    Usually created through ``MaintenanceWindow.add_targets()``.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        window: IMaintenanceWindow,
        targets: WindowTargets,
        target_name: str | None = None,
        description: str | None = None,
        owner_information: str | None = None,
    ) -> None:
        """Register the targets.

        Args:
            window: the maintenance window the targets belong to.
            targets: which instances, from the WindowTargets factories.
            target_name: the target's name. Default: the construct id when it is a valid name, else none.
            description: 1 to 128 characters. Default: no description.
            owner_information: 1 to 128 characters, sent with the window's EventBridge events for these
                targets. Default: none.
        """
        super().__init__(scope, construct_id)
        if target_name is None and RESOURCE_NAME.fullmatch(construct_id):
            target_name = construct_id
        check_resource_name("target_name", target_name)
        check_length("description", description, 1, 128)
        check_length("owner_information", owner_information, 1, 128)
        self.window = window
        self.targets = targets
        self.target_name = target_name
        self.cfn_target = ssm.CfnMaintenanceWindowTarget(
            self,
            "Resource",
            window_id=window.window_id,
            resource_type=targets.resource_type.value,
            targets=targets.to_cfn(),
            name=target_name,
            description=description,
            owner_information=owner_information,
        )

    @property
    def window_target_id(self) -> str:
        """The window target ID (a CloudFormation Ref)."""
        return self.cfn_target.ref
