"""WindowSchedule: the maintenance-window cron, rate and at() dialect (pure value objects, no synth)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aws_cdk import Duration, Fn, Token

from constructs_lib import ScheduleKind, WindowSchedule


@pytest.mark.parametrize(
    "fields",
    [
        "0 3 ? * SUN *",
        "30 23 ? * TUE#3 *",
        "0 2 L * ? *",
        "0 2 LW * ? *",
        "0 2 15W * ? *",
        "15 10 ? * 6L *",
        "15 10 ? * L *",
        "0 9 ? JAN-MAR MON-FRI 2026-2030",
        "0/15 * * * ? *",
        "0 8 1 * ? *",
        "5,35 */2 ? * sat *",
        "0 0 3 ? * 1#5 *",  # seven fields: a leading seconds field
        "59 23 31 12 ? 2199",
        "0 0 1 1 ? 1970",
    ],
)
def test_cron_accepts_the_maintenance_window_dialect(fields: str) -> None:
    schedule = WindowSchedule.cron(fields)
    assert schedule.expression_string == f"cron({fields})"
    assert schedule.kind is ScheduleKind.CRON
    assert schedule.is_cron


def test_cron_normalizes_whitespace() -> None:
    assert WindowSchedule.cron("  0  3 ? *   SUN * ").expression_string == "cron(0 3 ? * SUN *)"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("0 3 ? * SUN", r"must have 6 fields .* got 5"),
        ("0 0 0 3 ? * SUN *", r"must have 6 fields .* got 8"),
        ("0 3 * * * *", r"must use \? in exactly one of day-of-month and day-of-week"),
        ("0 3 ? * ? *", r"must use \? in exactly one of day-of-month and day-of-week"),
        ("60 3 ? * SUN *", r"schedule minutes field must use values 0-59; got '60'"),
        ("0 24 ? * SUN *", r"schedule hours field must use values 0-23; got '24'"),
        ("0 3 32 * ? *", r"schedule day-of-month field must use values 1-31; got '32'"),
        ("0 3 0 * ? *", r"day-of-month field must use values 1-31; got '0'"),
        ("0 3 ? 13 SUN *", r"schedule month field must use values 1-12 or .*; got '13'"),
        ("0 3 ? FOO SUN *", r"month field must use values 1-12.*; got 'FOO'"),
        ("0 3 ? * SUNDAY *", r"day-of-week field must use values 1-7.*; got 'SUNDAY'"),
        ("0 3 ? * 8 *", r"day-of-week field must use values 1-7.*; got '8'"),
        ("0 3 ? * SUN 1969", r"schedule year field must use values 1970-2199; got '1969'"),
        ("0 3 ? * SUN 2200", r"year field must use values 1970-2199; got '2200'"),
        ("0/0 3 ? * SUN *", r"minutes field has an invalid increment '0/0'"),
        ("0/x 3 ? * SUN *", r"minutes field has an invalid increment '0/x'"),
        ("0 20-4 ? * SUN *", r"hours field range '20-4' runs backwards"),
        ("0 3 L,15 * ? *", r"day-of-month field may use L, LW or nW only on their own; got 'L,15'"),
        ("0 3 32W * ? *", r"day-of-month field must use values 1-31; got '32'"),
        ("0 3 ? * MON#6 *", r"1st to 5th weekday of a month with #; got 'MON#6'"),
        ("0 3 ? * MON#2,TUE#3 *", r"may use nL or n#k only on their own; got 'MON#2,TUE#3'"),
        ("0 3 ? * 9L *", r"day-of-week field must use values 1-7.*; got '9'"),
        ("0/1 * * * ? *", r"must not run more often than every 5 minutes"),
        ("0,3 * * * ? *", r"must not run more often than every 5 minutes"),
        ("0/30 0 3 ? * SUN *", r"must not run more often than every 5 minutes"),
    ],
)
def test_fails_on_invalid_cron(fields: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WindowSchedule.cron(fields)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (Duration.hours(1), "rate(1 hour)"),
        (Duration.hours(5), "rate(5 hours)"),
        (Duration.days(1), "rate(1 day)"),
        (Duration.days(7), "rate(7 days)"),
        (Duration.minutes(1), "rate(1 minute)"),
        (Duration.minutes(90), "rate(90 minutes)"),
        (Duration.hours(48), "rate(2 days)"),
    ],
)
def test_rate_picks_the_largest_whole_unit(duration: Duration, expected: str) -> None:
    schedule = WindowSchedule.rate(duration)
    assert schedule.expression_string == expected
    assert schedule.kind is ScheduleKind.RATE
    assert not schedule.is_cron


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (Duration.seconds(30), r"whole number of minutes, at least 1; got 30 seconds"),
        (Duration.seconds(90), r"whole number of minutes, at least 1; got 1 minute 30 seconds"),
        (Duration.seconds(0), r"whole number of minutes, at least 1"),
    ],
)
def test_fails_on_rate_below_one_minute_or_fractional(duration: Duration, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WindowSchedule.rate(duration)


def test_at_formats_a_naive_datetime() -> None:
    schedule = WindowSchedule.at(datetime(2026, 12, 24, 22, 0, 5))
    assert schedule.expression_string == "at(2026-12-24T22:00:05)"
    assert schedule.kind is ScheduleKind.AT


def test_fails_on_at_with_an_offset() -> None:
    with pytest.raises(ValueError, match=r"at\(\) takes a naive datetime .* got 2026-12-24T22:00:00\+00:00"):
        WindowSchedule.at(datetime(2026, 12, 24, 22, tzinfo=UTC))


def test_fails_on_at_with_microseconds() -> None:
    with pytest.raises(ValueError, match=r"resolution of one second; got 2026-12-24T22:00:00.500000"):
        WindowSchedule.at(datetime(2026, 12, 24, 22, 0, 0, 500000))


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("cron(0 3 ? * SUN *)", ScheduleKind.CRON),
        ("rate(1 hour)", ScheduleKind.RATE),
        ("rate(30 minutes)", ScheduleKind.RATE),
        ("rate(1 day)", ScheduleKind.RATE),
        ("at(2026-02-28T23:59:59)", ScheduleKind.AT),
    ],
)
def test_expression_accepts_each_form(expression: str, kind: ScheduleKind) -> None:
    schedule = WindowSchedule.expression(expression)
    assert schedule.expression_string == expression
    assert schedule.kind is kind


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 3 * * * *)", r"\? in exactly one"),
        ("rate(1 hours)", r"singular for 1 and plural otherwise; got 'rate\(1 hours\)', use rate\(1 hour\)"),
        ("rate(5 hour)", r"singular for 1 and plural otherwise; got 'rate\(5 hour\)', use rate\(5 hours\)"),
        ("rate(0 minutes)", r"rate value must be at least 1"),
        ("rate(2 weeks)", r"must look like rate\(1 hour\)"),
        ("rate(1.5 hours)", r"must look like rate\(1 hour\)"),
        ("at(2026-02-30T00:00:00)", r"at\(\) expression names no real date and time"),
        ("at(2026-02-01 00:00:00)", r"must look like at\(2026-12-24T22:00:00\)"),
        ("every sunday", r"must be a cron\(...\), rate\(...\) or at\(...\) expression; got 'every sunday'"),
    ],
)
def test_fails_on_invalid_expression(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WindowSchedule.expression(expression)


def test_unresolved_tokens_are_not_checked() -> None:
    token = Fn.import_value("Schedule")
    assert WindowSchedule.expression(token).kind is ScheduleKind.UNRESOLVED
    assert WindowSchedule.cron(token).kind is ScheduleKind.UNRESOLVED


def test_fails_on_rate_with_token_duration() -> None:
    token_minutes = Token.as_number(Fn.import_value("Minutes"))
    with pytest.raises(ValueError, match=r"rate duration must be a concrete value"):
        WindowSchedule.rate(Duration.minutes(token_minutes))
