"""WindowTargets (which instances) and WindowTarget (their registration with a maintenance window)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal.rules import (
    INSTANCE_ID,
    INSTANCE_ID_RULE,
    RESOURCE_NAME,
    check_count,
    check_length,
    check_pattern,
    check_resource_name,
    check_tag_charset,
    check_unique,
    fail,
)
from .._internal.typecheck import check_fields, typed
from .._internal.validation import is_unresolved
from .protocols import IMaintenanceWindow

_MAX_TARGET_KEYS = 5
_MAX_VALUES = 50
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

    def __post_init__(self) -> None:
        """Hold even targets built with the constructor to the rules the factories check."""
        check_fields(self)
        if _rebuilt(self) != self:
            fail(
                "WindowTargets must be built with its factories (from_tags, from_tag_keys, from_instance_ids, "
                f"from_resource_group); got keys {[key for key, _ in self.targets]}"
            )

    @staticmethod
    def _checked(resource_type: TargetResourceType, targets: tuple[tuple[str, tuple[str, ...]], ...]) -> WindowTargets:
        """Targets a factory has already checked, built without checking them again."""
        made = object.__new__(WindowTargets)
        object.__setattr__(made, "resource_type", resource_type)
        object.__setattr__(made, "targets", targets)
        return made

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
        return WindowTargets._checked(TargetResourceType.INSTANCE, tuple(pairs))

    @staticmethod
    @typed
    def from_tag_keys(keys: Sequence[str]) -> WindowTargets:
        """Instances carrying any of these tag keys, whatever the value (1 to 50 keys)."""
        _check_values("tag_keys", keys)
        for key in keys:
            check_tag_charset("tag_keys", key)
        return WindowTargets._checked(TargetResourceType.INSTANCE, (("tag-key", tuple(keys)),))

    @staticmethod
    @typed
    def from_instance_ids(instance_ids: Sequence[str]) -> WindowTargets:
        """These instances (1 to 50 IDs: ``i-...`` for EC2, ``mi-...`` for hybrid managed nodes)."""
        _check_values("instance_ids", instance_ids)
        for instance_id in instance_ids:
            check_pattern("instance_ids", instance_id, INSTANCE_ID, INSTANCE_ID_RULE)
        return WindowTargets._checked(TargetResourceType.INSTANCE, (("InstanceIds", tuple(instance_ids)),))

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
        return WindowTargets._checked(TargetResourceType.RESOURCE_GROUP, tuple(pairs))

    def to_cfn(self) -> list[ssm.CfnMaintenanceWindowTarget.TargetsProperty]:
        """The CloudFormation ``Targets`` list."""
        return [
            ssm.CfnMaintenanceWindowTarget.TargetsProperty(key=key, values=list(values)) for key, values in self.targets
        ]


def _rebuilt(targets: WindowTargets) -> WindowTargets:
    """The same targets built again by the factory their keys name (which checks them), or a refusal."""
    pairs = dict(targets.targets)
    keys = [key for key, _ in targets.targets]
    if len(pairs) != len(keys):
        fail(f"WindowTargets must not repeat a key; got keys {keys}")
    if set(pairs) == {"InstanceIds"}:
        return WindowTargets.from_instance_ids(list(pairs["InstanceIds"]))
    if set(pairs) == {"tag-key"}:
        return WindowTargets.from_tag_keys(list(pairs["tag-key"]))
    if pairs and all(key.startswith("tag:") for key in pairs):
        return WindowTargets.from_tags({key.removeprefix("tag:"): list(values) for key, values in pairs.items()})
    group = pairs.get("resource-groups:Name", ())
    if len(group) == 1 and set(pairs) <= {"resource-groups:Name", "resource-groups:ResourceTypeFilters"}:
        types = list(pairs.get("resource-groups:ResourceTypeFilters", ()))
        return WindowTargets.from_resource_group(group[0], resource_types=types)
    fail(f"WindowTargets keys must name one kind of target, as the factories build them; got {keys}")


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
