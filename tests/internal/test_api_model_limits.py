"""Every limit the library enforces, probed on both sides of the boundary the SSM API model sets.

The numbers are read from botocore's model (``ssm/2014-11-06/service-2.json``), not from the library: widen a
limit in the code (a name of 256 characters, 6 patch filters) and the value just past the API's maximum is
accepted, so these tests fail; narrow one and the value at the maximum is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from aws_cdk import Duration, Stack

from constructs_lib import (
    ApprovalRule,
    HookDocument,
    HookScript,
    OperatingSystem,
    PatchBaseline,
    PatchFilter,
    PatchFilterKey,
    PatchNowAssociation,
    PatchSource,
    WindowTargets,
)
from tests.builders import new_stack, targets, window

TAGS = WindowTargets.from_tags({"PatchGroup": ["web"]})
IDS = WindowTargets.from_instance_ids(["i-0123456789abcdef0"])
MODEL = botocore.session.get_session().get_service_model("ssm")
DEFAULT_RULE = [ApprovalRule(approve_after=Duration.days(7))]


def _baseline(stack: Stack, **settings: Any) -> PatchBaseline:
    settings.setdefault("approval_rules", DEFAULT_RULE)
    return PatchBaseline(stack, "Baseline", operating_system=OperatingSystem.AMAZON_LINUX_2023, **settings)


def _task(stack: Stack, **settings: Any) -> Any:
    mw = window(stack)
    return mw.add_patch_task("Patch", targets=[targets(mw)], **settings)


def _product_filter(values: list[str]) -> PatchFilter:
    return PatchFilter(key=PatchFilterKey.PRODUCT, values=values)


def _filters(count: int) -> list[PatchFilter]:
    keys = [PatchFilterKey.PRODUCT, PatchFilterKey.CLASSIFICATION, PatchFilterKey.SEVERITY, PatchFilterKey.PRODUCT]
    return [PatchFilter(key=keys[index % len(keys)], values=["*"]) for index in range(count)]


@dataclass(frozen=True)
class Limit:
    """One keyword, the API shape that bounds it, and how to build with a value of a given size."""

    keyword: str
    shape: str
    build: Callable[[Stack, int], Any]
    test_min: bool = True

    def bounds(self) -> tuple[int, int]:
        metadata = MODEL.shape_for(self.shape).metadata
        return int(metadata.get("min", 0)), int(metadata["max"])


LIMITS = [
    Limit("window_name", "MaintenanceWindowName", lambda s, n: window(s, window_name="w" * n)),
    Limit("description", "MaintenanceWindowDescription", lambda s, n: window(s, description="d" * n)),
    Limit("task_name", "MaintenanceWindowName", lambda s, n: _task(s, task_name="t" * n)),
    Limit("description", "MaintenanceWindowDescription", lambda s, n: _task(s, description="d" * n)),
    # The API allows an empty comment; the library refuses it (stricter is fine), so only the top is probed.
    Limit("comment", "Comment", lambda s, n: _task(s, comment="c" * n), test_min=False),
    Limit("target_name", "MaintenanceWindowName", lambda s, n: window(s).add_targets("T", TAGS, target_name="t" * n)),
    Limit(
        "description",
        "MaintenanceWindowDescription",
        lambda s, n: window(s).add_targets("T", TAGS, description="d" * n),
    ),
    Limit(
        "owner_information",
        "OwnerInformation",
        lambda s, n: window(s).add_targets("T", TAGS, owner_information="o" * n),
    ),
    Limit(
        "duration",
        "MaintenanceWindowDurationHours",
        lambda s, n: window(s, duration=Duration.hours(n), cutoff=Duration.hours(0)),
    ),
    Limit(
        "cutoff",
        "MaintenanceWindowCutoff",
        lambda s, n: window(s, duration=Duration.hours(24), cutoff=Duration.hours(n)),
    ),
    Limit("schedule_offset", "MaintenanceWindowOffset", lambda s, n: window(s, schedule_offset=n)),
    Limit("max_concurrency", "MaxConcurrency", lambda s, n: _task(s, max_concurrency="9" * n)),
    Limit("max_errors", "MaxErrors", lambda s, n: _task(s, max_errors="9" * n)),
    Limit("baseline_name", "BaselineName", lambda s, n: _baseline(s, baseline_name="b" * n)),
    Limit("description", "BaselineDescription", lambda s, n: _baseline(s, description="d" * n)),
    Limit("approved_patches", "PatchIdList", lambda s, n: _baseline(s, approved_patches=[f"p{i}" for i in range(n)])),
    Limit("approved_patches", "PatchId", lambda s, n: _baseline(s, approved_patches=["p" * n])),
    Limit("rejected_patches", "PatchIdList", lambda s, n: _baseline(s, rejected_patches=[f"p{i}" for i in range(n)])),
    Limit("rejected_patches", "PatchId", lambda s, n: _baseline(s, rejected_patches=["p" * n])),
    Limit("patch_groups", "PatchGroup", lambda s, n: _baseline(s, patch_groups=["g" * n])),
    Limit("approval_rules", "PatchRuleList", lambda s, n: _baseline(s, approval_rules=DEFAULT_RULE * n)),
    Limit("global_filters", "PatchFilterList", lambda s, n: _baseline(s, global_filters=_filters(n))),
    Limit("filters", "PatchFilterList", lambda s, n: ApprovalRule(approve_after=Duration.days(7), filters=_filters(n))),
    Limit("values", "PatchFilterValueList", lambda s, n: _product_filter([f"v{i}" for i in range(n)])),
    Limit("values", "PatchFilterValue", lambda s, n: _product_filter(["v" * n])),
    Limit("sources", "PatchSourceList", lambda s, n: _baseline(s, sources=[_source(f"repo{i}") for i in range(n)])),
    Limit(
        "products",
        "PatchSourceProductList",
        lambda s, n: PatchSource(name="repo", products=["p"] * n, configuration="c"),
    ),
    Limit(
        "configuration",
        "PatchSourceConfiguration",
        lambda s, n: PatchSource(name="repo", products=["p"], configuration="c" * n),
    ),
    Limit("approve_after", "ApproveAfterDays", lambda s, n: ApprovalRule(approve_after=Duration.days(n))),
    # The API takes no targets or values at all; a window target with none is refused here (it would match nothing).
    Limit("tags", "Targets", lambda s, n: WindowTargets.from_tags({f"k{i}": ["v"] for i in range(n)}), test_min=False),
    Limit(
        "tags['PatchGroup']",
        "TargetValues",
        lambda s, n: WindowTargets.from_tags({"PatchGroup": [f"v{i}" for i in range(n)]}),
        test_min=False,
    ),
]


def _source(name: str) -> PatchSource:
    return PatchSource(name=name, products=["AmazonLinux2023"], configuration="[repo]")


def _ids(limits: list[Limit]) -> list[str]:
    return [f"{limit.keyword}:{limit.shape}" for limit in limits]


@pytest.mark.parametrize("limit", LIMITS, ids=_ids(LIMITS))
def test_the_api_maximum_is_accepted(limit: Limit) -> None:
    limit.build(new_stack(), limit.bounds()[1])


@pytest.mark.parametrize("limit", LIMITS, ids=_ids(LIMITS))
def test_one_past_the_api_maximum_is_refused_naming_the_keyword(limit: Limit) -> None:
    with pytest.raises(ValueError, match=limit.keyword.replace("[", r"\[").replace("]", r"\]")):
        limit.build(new_stack(), limit.bounds()[1] + 1)


BOUNDED_BELOW = [limit for limit in LIMITS if limit.test_min]


@pytest.mark.parametrize("limit", BOUNDED_BELOW, ids=_ids(BOUNDED_BELOW))
def test_the_api_minimum_is_accepted_and_one_below_refused(limit: Limit) -> None:
    low = limit.bounds()[0]
    limit.build(new_stack(), low)
    if low > 0:
        with pytest.raises(ValueError, match=limit.keyword.replace("[", r"\[").replace("]", r"\]")):
            limit.build(new_stack(), low - 1)


@pytest.mark.parametrize(
    ("shape", "build"),
    [
        ("AssociationName", lambda s, name: PatchNowAssociation(s, "N", targets=IDS, association_name=name)),
        ("DocumentName", lambda s, name: HookDocument(s, "H", linux=HookScript.inline("echo"), document_name=name)),
        ("MaintenanceWindowName", lambda s, name: window(s, window_name=name)),
    ],
)
def test_name_patterns_match_the_api_at_both_ends(shape: str, build: Callable[[Stack, str], Any]) -> None:
    pattern = MODEL.shape_for(shape).metadata["pattern"]
    assert pattern == r"^[a-zA-Z0-9_\-.]{3,128}$"  # the model's own rule; a change there should be seen
    build(new_stack(), "abc")
    build(new_stack(), "n" * 128)
    for name in ("ab", "n" * 129, "has space", "dollar$", "back`tick"):
        with pytest.raises(ValueError, match="name"):
            build(new_stack(), name)
