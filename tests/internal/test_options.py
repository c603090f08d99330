"""Option sets passed as ``**options``: a misspelt keyword is a TypeError naming it, never ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Duration, Stack

from constructs_lib import (
    MaintenanceWindow,
    PatchNowAssociation,
    PatchWorkflow,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
    WindowSchedule,
    WindowTargets,
)
from constructs_lib._internal.options import check_keywords
from constructs_lib.core.maintenance_window import WindowOptions

WEEKLY = WindowSchedule.cron("0 3 ? * SUN *")
TAGS = WindowTargets.from_tags({"PatchGroup": ["web"]})
# Each construct that takes **options, built with one extra keyword.
BUILDERS: dict[str, Callable[[Stack, dict[str, Any]], object]] = {
    "MaintenanceWindow": lambda s, extra: MaintenanceWindow(
        s, "W", schedule=WEEKLY, duration=Duration.hours(3), **extra
    ),
    "PatchWorkflow": lambda s, extra: PatchWorkflow(
        s, "P", schedule=WEEKLY, duration=Duration.hours(3), patch_groups=["web"], **extra
    ),
    "PatchNowAssociation": lambda s, extra: PatchNowAssociation(
        s, "N", targets=TAGS, include_new_instances=True, **extra
    ),
    "StopAppHook": lambda s, extra: StopAppHook(s, "Stop", service_name="app", **extra),
    "UpdateAppHook": lambda s, extra: UpdateAppHook(s, "Update", service_name="app", **extra),
    "StartAppHook": lambda s, extra: StartAppHook(s, "Start", service_name="app", health_port=8080, **extra),
}
# A keyword each accepts through its option set (the valid neighbour), and a misspelling of it.
VALID = {
    "MaintenanceWindow": {"window_name": "Weekly"},
    "PatchWorkflow": {"max_concurrency": "5"},
    "PatchNowAssociation": {"max_errors": "0"},
    "StopAppHook": {"document_name": "Stop-App"},
    "UpdateAppHook": {"description": "updates"},
    "StartAppHook": {"document_name": "Start-App"},
}


@pytest.mark.parametrize("construct", sorted(BUILDERS))
def test_fails_on_a_misspelt_keyword_naming_it(construct: str, stack: Stack) -> None:
    ((keyword, value),) = VALID[construct].items()
    with pytest.raises(TypeError, match=rf"unexpected keyword argument.*\b{keyword}x\b"):
        BUILDERS[construct](stack, {keyword + "x": value})


@pytest.mark.parametrize("construct", sorted(BUILDERS))
def test_accepts_the_keyword_its_option_set_declares(construct: str, stack: Stack) -> None:
    BUILDERS[construct](stack, VALID[construct])


def window(*, schedule: str, **options: object) -> None:
    """A stand-in constructor: one keyword of its own beside its options."""


def test_the_message_lists_every_keyword_the_constructor_takes() -> None:
    pattern = r"^window got unexpected keyword argument\(s\) cutof; allowed: .*\bcutoff\b.*\bschedule\b"
    with pytest.raises(TypeError, match=pattern):
        check_keywords(window, {"cutof": 1}, WindowOptions)
    check_keywords(window, {"cutoff": 1}, WindowOptions)


@pytest.mark.parametrize("construct", ["StopAppHook", "UpdateAppHook", "StartAppHook"])
@pytest.mark.parametrize("private", ["script", "worst_case_seconds", "default_description"])
def test_an_app_hook_names_itself_and_hides_its_base_s_keywords(construct: str, private: str, stack: Stack) -> None:
    with pytest.raises(
        TypeError, match=rf"^{construct} got unexpected keyword argument\(s\) {private}; allowed: .*service_name"
    ):
        BUILDERS[construct](stack, {private: 1})
