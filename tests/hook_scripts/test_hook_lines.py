"""The hook line contract (_internal/hook_lines.py): the metric filters the library synthesizes match the lines
the real hook scripts print, extract the right seconds and service, and miss every other line they print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration

from constructs_lib import CommandOutput, HookTelemetry, PatchWorkflow, WindowSchedule
from tests.builders import new_stack, template
from tests.cloudwatch_patterns import match
from tests.hook_scripts.harness import DemoService, run_hook


@pytest.fixture(scope="module")
def filters() -> dict[str, dict[str, Any]]:
    """The synthesized metric filters, by metric name."""
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    PatchWorkflow(
        stack,
        "Web",
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(3),
        patch_groups=["web"],
        output=output,
        telemetry=HookTelemetry(),
    )
    found = template(stack).find_resources("AWS::Logs::MetricFilter")
    by_name = {}
    for resource in found.values():
        (transformation,) = resource["Properties"]["MetricTransformations"]
        by_name[transformation["MetricName"]] = {
            "pattern": resource["Properties"]["FilterPattern"],
            **transformation,
        }
    return by_name


def matching(filters: dict[str, dict[str, Any]], lines: list[str]) -> list[tuple[str, str, str | None, str | None]]:
    """(metric, line, value, service) for every filter that matches a line, as CloudWatch would publish it."""
    found = []
    for line in lines:
        for name, definition in filters.items():
            values = match(definition["pattern"], line)
            if values is None:
                continue
            value = values.get(definition["MetricValue"], definition["MetricValue"])
            service = next((values[d["Value"]] for d in definition.get("Dimensions", [])), None)
            found.append((name, line, value, service))
    return found


def test_a_normal_cycle_gives_the_three_durations_and_nothing_else(
    filters: dict[str, dict[str, Any]], service: DemoService, tmp_path: Path
) -> None:
    service.start_directly()
    ssm = {**service.ssm, "Port": str(service.port)}
    stop = run_hook("stop_app_gracefully", ssm, tmp_path)
    update = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "true"}, tmp_path)
    start = run_hook(
        "start_app_and_verify", {**service.ssm, "HealthUrl": f"http://127.0.0.1:{service.port}/health"}, tmp_path
    )
    assert (stop.status, update.status, start.status) == (0, 0, 0)
    lines = [*stop.stdout.splitlines(), *update.stdout.splitlines(), *start.stdout.splitlines()]
    assert len(lines) > 3  # the hooks say more than the three lines the metrics read
    found = matching(filters, lines)
    assert [(name, line) for name, line, _, _ in found] == [
        ("StopSeconds", stop.last_log),
        ("UpdateSeconds", update.last_log),
        ("TimeToHealthySeconds", start.last_log),
    ]
    for _, line, value, service_name in found:
        assert service_name == "demo-app"
        assert value is not None
        assert value.isdigit()
        assert f" after {value} s " in line  # the seconds the line states, not another number


def test_a_failed_hook_counts_once_for_its_own_hook(
    filters: dict[str, dict[str, Any]], service: DemoService, tmp_path: Path
) -> None:
    # Nothing is listening and no health check answers: the start hook fails by its timeout.
    ssm = {**service.ssm, "LinuxStartCommand": "true", "HealthPort": "1", "StartTimeoutSeconds": "3"}
    start = run_hook("start_app_and_verify", ssm, tmp_path)
    assert start.status != 0
    failing = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "false"}, tmp_path)
    assert failing.status != 0
    found = matching(filters, [*start.stdout.splitlines(), *failing.stdout.splitlines()])
    assert [(name, line, value) for name, line, value, _ in found] == [
        ("StartFailures", start.last_log, "1"),
        ("UpdateFailures", failing.last_log, "1"),
    ]


def test_lines_of_other_programs_and_near_misses_are_not_counted(filters: dict[str, dict[str, Any]]) -> None:
    near_misses = [
        "2026-12-02T03:04:05Z stop_app_gracefully: stopping web-app (up to 60s)",
        "2026-12-02T03:04:05Z stop_app_gracefully: web-app stopped after 3s (verified: port closed)",  # old form
        "2026-12-02T03:04:05Z stop_app_gracefully: web-app is already stopped (verified: port 8080 closed)",
        "2026-12-02T03:04:05Z start_app_and_verify: web-app is running but not healthy yet (active; HTTP 503)",
        "2026-12-02T03:04:05Z other_hook: web-app stopped after 3 s (verified: mine)",
        "2026-12-02T03:04:05Z other_hook: FAILED: not ours",
        "Installation FAILED: package conflict",
        "FAILED:",
        "",
    ]
    assert matching(filters, near_misses) == []
