"""Which managed nodes a Run Command target list reaches now, asked of Systems Manager (and Resource Groups).

Run Command reaches only managed nodes, and ANDs the keys of one target list; DescribeInstanceInformation
lists managed nodes and ANDs its filters, so one filter per key gives the same set. A resource group is
resolved to its instances first (Resource Groups' ListGroupResources), then described.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .command import CommandError

# DescribeInstanceInformation takes at most 100 values per filter (API model: InstanceInformationFilterValueSet).
_FILTER_VALUES_MAX = 100
_GROUP_KEYS = ("resource-groups:Name", "resource-groups:ResourceTypeFilters")
_GROUP_TYPES = ("AWS::EC2::Instance", "AWS::SSM::ManagedInstance")


@dataclass(frozen=True)
class ManagedNode:
    """One managed node as Systems Manager sees it now."""

    instance_id: str
    name: str
    platform: str
    ping_status: str

    @property
    def online(self) -> bool:
        return self.ping_status == "Online"


def resolve(ssm: Any, resource_groups: Any, targets: Sequence[dict[str, Any]]) -> list[ManagedNode]:
    """The managed nodes ``targets`` (Run Command's Targets) reach now, sorted by instance id."""
    keys = {target["Key"]: list(target["Values"]) for target in targets}
    if "resource-groups:Name" in keys:
        ids = _group_instance_ids(resource_groups, keys)
        filters = [{"Key": "InstanceIds", "Values": ids}] if ids else []
        if not ids:
            return []
    else:
        unknown = sorted(key for key in keys if not _describable(key))
        if unknown:
            raise CommandError(f"patch-now can't resolve target keys {unknown} through Systems Manager")
        filters = [{"Key": key, "Values": values} for key, values in keys.items()]
    return sorted(_describe(ssm, filters), key=lambda node: node.instance_id)


def _describable(key: str) -> bool:
    return key in ("InstanceIds", "tag-key") or (key.startswith("tag:") and len(key) > len("tag:"))


def _describe(ssm: Any, filters: list[dict[str, Any]]) -> Iterable[ManagedNode]:
    """DescribeInstanceInformation over ``filters``; a filter of more than 100 values is asked in chunks."""
    long = next((f for f in filters if len(f["Values"]) > _FILTER_VALUES_MAX), None)
    chunks = (
        [filters]
        if long is None
        else [
            [f if f is not long else {**f, "Values": long["Values"][i : i + _FILTER_VALUES_MAX]} for f in filters]
            for i in range(0, len(long["Values"]), _FILTER_VALUES_MAX)
        ]
    )
    seen: set[str] = set()
    for chunk in chunks:
        for page in ssm.get_paginator("describe_instance_information").paginate(Filters=chunk):
            for info in page["InstanceInformationList"]:
                if info["InstanceId"] not in seen:
                    seen.add(info["InstanceId"])
                    yield ManagedNode(
                        instance_id=info["InstanceId"],
                        name=info.get("ComputerName") or info.get("Name", ""),
                        platform=info.get("PlatformName") or info.get("PlatformType", ""),
                        ping_status=info.get("PingStatus", ""),
                    )


def _group_instance_ids(resource_groups: Any, keys: dict[str, list[str]]) -> list[str]:
    extra = sorted(set(keys) - set(_GROUP_KEYS))
    if extra:
        raise CommandError(f"patch-now can't resolve a resource group ANDed with {extra}")
    types = keys.get("resource-groups:ResourceTypeFilters") or list(_GROUP_TYPES)
    ids: list[str] = []
    for page in resource_groups.get_paginator("list_group_resources").paginate(
        Group=keys["resource-groups:Name"][0], Filters=[{"Name": "resource-type", "Values": types}]
    ):
        for item in page["Resources"]:
            arn = item["Identifier"]["ResourceArn"]
            ids.append(arn.rsplit("/", 1)[-1])
    return ids
