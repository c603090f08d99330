"""MaintenanceWindow: template properties, defaults, validation and tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk.assertions import Annotations, Match

from constructs_lib import MaintenanceWindow, WindowSchedule, WindowTargets
from tests.builders import template, window

WINDOW = "AWS::SSM::MaintenanceWindow"


def test_defines_the_window_with_every_setting(stack: Stack) -> None:
    window(
        stack,
        schedule=WindowSchedule.cron("0 3 ? * TUE#2 *"),
        duration=Duration.hours(4),
        cutoff=Duration.hours(2),
        schedule_timezone="America/New_York",
        schedule_offset=2,
        start_date=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        end_date="2027-01-01T00:00:00-05:00",
        allow_unassociated_targets=True,
        window_name="Web-Weekly",
        description="Weekly web patching",
    )
    template(stack).has_resource_properties(
        WINDOW,
        {
            "Name": "Web-Weekly",
            "Schedule": "cron(0 3 ? * TUE#2 *)",
            "Duration": 4,
            "Cutoff": 2,
            "ScheduleTimezone": "America/New_York",
            "ScheduleOffset": 2,
            "StartDate": "2026-01-01T00:00:00-05:00",
            "EndDate": "2027-01-01T00:00:00-05:00",
            "AllowUnassociatedTargets": True,
            "Description": "Weekly web patching",
        },
    )


def test_defaults(stack: Stack) -> None:
    MaintenanceWindow(stack, "Window", schedule=WindowSchedule.rate(Duration.days(1)), duration=Duration.hours(3))
    props = next(iter(template(stack).find_resources(WINDOW).values()))["Properties"]
    assert props["Cutoff"] == 1
    assert props["AllowUnassociatedTargets"] is False
    assert re.fullmatch(r"TestStackWindow[0-9A-F]{8}", props["Name"])  # unique, derived from the construct path
    for absent in ("ScheduleTimezone", "ScheduleOffset", "StartDate", "EndDate", "Description"):
        assert absent not in props


def test_default_cutoff_is_zero_for_a_one_hour_window(stack: Stack) -> None:
    MaintenanceWindow(stack, "Window", schedule=WindowSchedule.rate(Duration.days(1)), duration=Duration.hours(1))
    template(stack).has_resource_properties(WINDOW, {"Duration": 1, "Cutoff": 0})


@pytest.mark.parametrize(
    "overrides",
    [
        {"duration": Duration.hours(24), "cutoff": Duration.hours(23)},
        {"duration": Duration.hours(1), "cutoff": Duration.hours(0)},
        {"duration": Duration.minutes(120), "cutoff": Duration.minutes(60)},
        {"schedule_offset": 6},
        {"schedule_offset": 1},
        {"schedule": WindowSchedule.expression("rate(1 hour)")},
        {"schedule": WindowSchedule.at(datetime(2026, 12, 24, 22))},
        {"schedule_timezone": "US/Eastern"},
        {"schedule_timezone": "UTC"},
    ],
)
def test_accepts_boundary_values(stack: Stack, overrides: dict[str, Any]) -> None:
    window(stack, **overrides)
    template(stack).resource_count_is(WINDOW, 1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"duration": Duration.hours(25), "cutoff": Duration.hours(1)},
            r"duration must be 1 to 24 hours; got duration=25h",
        ),
        (
            {"duration": Duration.hours(0), "cutoff": Duration.hours(0)},
            r"duration must be 1 to 24 hours; got duration=0h",
        ),
        ({"duration": Duration.minutes(90)}, r"duration must be a whole number of hours; got duration=90m"),
        ({"cutoff": Duration.minutes(30)}, r"cutoff must be a whole number of hours; got cutoff=30m"),
        (
            {"duration": Duration.hours(24), "cutoff": Duration.hours(24)},
            r"cutoff must be 0 to 23 hours; got cutoff=24h",
        ),
        (
            {"duration": Duration.hours(3), "cutoff": Duration.hours(3)},
            r"cutoff must be shorter than duration; got cutoff=3h, duration=3h",
        ),
        (
            {"duration": Duration.hours(2), "cutoff": Duration.hours(5)},
            r"cutoff must be shorter than duration; got cutoff=5h, duration=2h",
        ),
        ({"schedule_offset": 7}, r"schedule_offset must be an integer from 1 to 6; got schedule_offset=7"),
        ({"schedule_offset": 0}, r"schedule_offset must be an integer from 1 to 6; got schedule_offset=0"),
        (
            {"schedule": WindowSchedule.rate(Duration.days(1)), "schedule_offset": 2},
            r"schedule_offset works with cron schedules only; got schedule=rate\(1 day\)",
        ),
        (
            {"schedule_timezone": "Mars/Olympus_Mons"},
            r"schedule_timezone must be an IANA time zone name .*; got schedule_timezone='Mars/Olympus_Mons'",
        ),
        ({"schedule_timezone": "EST+5"}, r"schedule_timezone must be an IANA time zone name"),
        ({"start_date": "next monday"}, r"start_date must be an ISO-8601 timestamp .*; got start_date='next monday'"),
        ({"end_date": "2026-13-01"}, r"end_date must be an ISO-8601 timestamp"),
        (
            {"start_date": "2027-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            r"start_date must be before end_date; got start_date=2027-01-01T00:00:00Z, end_date=2026-01-01T00:00:00Z",
        ),
        (
            {"start_date": "2026-01-01T05:00:00+00:00", "end_date": "2026-01-01T00:00:00-05:00"},
            r"start_date must be before end_date",
        ),
        ({"window_name": "ab"}, r"window_name must be 3 to 128 characters from .*; got window_name='ab'"),
        ({"window_name": "web weekly"}, r"window_name must be 3 to 128 characters"),
        ({"description": ""}, r"description must be 1 to 128 characters long; got 0 characters"),
        ({"description": "x" * 129}, r"description must be 1 to 128 characters long; got 129 characters"),
    ],
)
def test_fails_on_invalid_settings(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window(stack, **overrides)


def test_tokens_are_passed_through_unchecked(stack: Stack) -> None:
    hours = CfnParameter(stack, "Hours", type="Number").value_as_number
    cutoff = CfnParameter(stack, "Cutoff", type="Number").value_as_number
    zone = CfnParameter(stack, "Zone").value_as_string
    name = CfnParameter(stack, "Name").value_as_string
    schedule = CfnParameter(stack, "Schedule").value_as_string
    start = CfnParameter(stack, "Start").value_as_string
    window(
        stack,
        schedule=WindowSchedule.expression(schedule),
        duration=Duration.hours(hours),
        cutoff=Duration.hours(cutoff),
        schedule_timezone=zone,
        schedule_offset=2,
        window_name=name,
        start_date=start,
        end_date="2020-01-01T00:00:00Z",
    )
    template(stack).has_resource_properties(
        WINDOW,
        {
            "Duration": {"Ref": "Hours"},
            "Cutoff": {"Ref": "Cutoff"},
            "ScheduleTimezone": {"Ref": "Zone"},
            "Name": {"Ref": "Name"},
            "Schedule": {"Ref": "Schedule"},
            "StartDate": {"Ref": "Start"},
        },
    )


def test_window_id_is_a_reference(stack: Stack) -> None:
    mw = window(stack)
    assert stack.resolve(mw.window_id) == {"Ref": stack.get_logical_id(mw.cfn_window)}
    assert mw.node.default_child is mw.cfn_window


def test_add_targets_registers_with_this_window(stack: Stack) -> None:
    mw = window(stack)
    target = mw.add_targets("Web", WindowTargets.from_tags({"PatchGroup": ["web"]}), description="Web servers")
    assert target.window is mw
    template(stack).has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget",
        {
            "WindowId": {"Ref": stack.get_logical_id(mw.cfn_window)},
            "Name": "Web",
            "Description": "Web servers",
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "tag:PatchGroup", "Values": ["web"]}],
        },
    )


def test_add_patch_task_registers_with_this_window(stack: Stack) -> None:
    mw = window(stack)
    target = mw.add_targets("Web", WindowTargets.from_tags({"PatchGroup": ["web"]}))
    task = mw.add_patch_task("Patch", targets=[target], priority=0)
    assert task.window is mw
    template(stack).has_resource_properties(
        "AWS::SSM::MaintenanceWindowTask",
        {
            "WindowId": {"Ref": stack.get_logical_id(mw.cfn_window)},
            "Priority": 0,
            "Name": "Patch",
            "Targets": [{"Key": "WindowTargetIds", "Values": [{"Ref": stack.get_logical_id(target.cfn_target)}]}],
            "TaskArn": "AWS-RunPatchBaselineWithHooks",
            "TaskType": "RUN_COMMAND",
            "MaxConcurrency": Match.any_value(),
        },
    )


def never_opens(stack: Stack) -> list[Any]:
    found: list[Any] = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(r"will never open"))
    return found


def test_a_window_whose_end_date_has_passed_is_a_warning_not_an_error(stack: Stack) -> None:
    window(stack, end_date="2020-01-01T00:00:00Z")
    (warning,) = never_opens(stack)
    assert re.search(
        r"maintenance window \S+/Window will never open: its end_date 2020-01-01T00:00:00Z has passed \(as of \d{4}",
        warning.entry.data,
    )
    template(stack).resource_count_is("AWS::SSM::MaintenanceWindow", 1)  # still synthesized


def test_a_one_off_schedule_in_the_past_is_a_warning(stack: Stack) -> None:
    window(
        stack, schedule=WindowSchedule.at(datetime(2020, 5, 1, 3, 0)), schedule_timezone="Europe/Berlin", cutoff=None
    )
    (warning,) = never_opens(stack)
    assert "its one-off schedule at(2020-05-01T03:00:00) has passed" in warning.entry.data


def test_a_window_that_opens_again_is_quiet(stack: Stack) -> None:
    later = datetime.now() + timedelta(days=30)
    window(stack, "Once", schedule=WindowSchedule.at(later.replace(microsecond=0)), cutoff=None)
    window(stack, "Ends", end_date=(datetime.now(tz=UTC) + timedelta(days=30)).isoformat())
    assert never_opens(stack) == []
