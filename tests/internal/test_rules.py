"""The rule book on its own: each rule's failing input with its message, and a valid neighbour.

The constructs' and the fleet description's tests check the same rules through their keywords and
fields; these pin the shared functions and the wording both report.
"""

from __future__ import annotations

import re

import pytest

from constructs_lib._internal import defaults, rules
from constructs_lib._internal.schedule_expressions import parse_expression
from constructs_lib._internal.vocabulary import OperatingSystem, PatchFilterKey, PatchOperation, ScheduleKind


def test_cutoff_must_be_shorter_than_duration_in_either_vocabulary() -> None:
    with pytest.raises(ValueError, match=r"^cutoff must be shorter than duration; got cutoff=3h, duration=3h$"):
        rules.check_cutoff_before_duration(3, 3)
    with pytest.raises(ValueError, match=r"^cutoff_hours must be shorter than duration_hours; got cutoff_hours=4, "):
        rules.check_cutoff_before_duration(4, 3, cutoff="cutoff_hours", duration="duration_hours", unit="")
    rules.check_cutoff_before_duration(2, 3)


@pytest.mark.parametrize("expression", ["rate(1 day)", "at(2026-12-24T22:00:00)"])
def test_an_offset_needs_a_cron_schedule(expression: str) -> None:
    _, kind = parse_expression(expression)
    with pytest.raises(
        ValueError, match=rf"^schedule_offset works with cron schedules only; got schedule={re.escape(expression)}$"
    ):
        rules.check_offset_with_cron(2, kind, expression)
    rules.check_offset_with_cron(None, kind, expression)


def test_an_offset_goes_with_cron_and_with_a_schedule_known_only_at_deploy() -> None:
    rules.check_offset_with_cron(2, ScheduleKind.CRON, "cron(0 3 ? * SUN *)")
    rules.check_offset_with_cron(2, ScheduleKind.UNRESOLVED, "${Token[TOKEN.1]}")


def test_hooks_need_linux_or_windows() -> None:
    with pytest.raises(ValueError, match=r"^hooks need Linux or Windows instances: .* does not support macOS"):
        rules.check_hooks_platforms([OperatingSystem.MACOS])
    rules.check_hooks_platforms([OperatingSystem.MACOS, OperatingSystem.AMAZON_LINUX_2023])
    rules.check_hooks_platforms([])


def test_a_health_check_is_required() -> None:
    with pytest.raises(ValueError, match=r"^provide health_url or health_port: the start hook needs a health check; "):
        rules.check_one_health_check(None, None)


def test_only_one_health_check() -> None:
    with pytest.raises(ValueError, match=r"^provide either health_url or health_port, not both; got health_url='h"):
        rules.check_one_health_check("http://127.0.0.1/health", 8080)


def test_no_hooks_with_scan() -> None:
    with pytest.raises(ValueError, match=r"^hooks must not be set when operation is Scan: .* no hook runs"):
        rules.check_no_hooks_with_scan(PatchOperation.SCAN, True)
    rules.check_no_hooks_with_scan(PatchOperation.SCAN, False)
    rules.check_no_hooks_with_scan(PatchOperation.INSTALL, True)


@pytest.mark.parametrize(("url", "port"), [("http://127.0.0.1/health", None), (None, 8080)])
def test_one_health_check_is_enough(url: str | None, port: int | None) -> None:
    rules.check_one_health_check(url, port)


def test_filter_keys_are_checked_per_os_and_named_by_the_caller() -> None:
    with pytest.raises(
        ValueError, match=r"^baseline_filters key SEVERITY is not valid for UBUNTU; allowed: PRIORITY, "
    ):
        rules.check_filter_keys(OperatingSystem.UBUNTU, [PatchFilterKey.SEVERITY], "baseline_filters key")
    rules.check_filter_keys(OperatingSystem.UBUNTU, [PatchFilterKey.PRIORITY], "baseline_filters key")


def test_every_os_has_its_filter_keys() -> None:
    assert set(rules.FILTER_KEYS_BY_OS) == set(OperatingSystem)


def test_the_default_cutoff_fits_a_one_hour_window() -> None:
    assert [defaults.cutoff_hours_for(hours) for hours in (1, 2, 24)] == [0, 1, 1]


@pytest.mark.parametrize("value", ["a\x7fb", "\x00", "a\x85", "\ud800", "\x1b[31m"])
def test_text_with_control_characters_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"description must not hold control characters \(tab and line breaks aside\)"):
        rules.check_length("description", value, 1, 100)


@pytest.mark.parametrize("value", ["tab\there", "two\nlines\r\n", "ünïcödé 𐀀"])
def test_text_with_tabs_line_breaks_and_unicode_passes(value: str) -> None:
    rules.check_length("description", value, 1, 100)
