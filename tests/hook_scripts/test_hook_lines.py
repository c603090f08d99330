"""The hook line contract (_internal/hook_lines.py): the metric filters the library synthesizes count what the
real hook scripts print, the same whether SSM Agent ships every line as an event of its own or a whole stream
as one event (it ships what each second brought), and miss every other line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import CommandOutput, HookTelemetry
from tests.builders import new_stack, template, workflow
from tests.cloudwatch_patterns import match
from tests.hook_scripts.harness import DemoService, HookRun, run_hook


@pytest.fixture(scope="module")
def filters() -> dict[str, dict[str, Any]]:
    """The synthesized metric filters, by metric name."""
    stack = new_stack()
    output = CommandOutput(stack, "Output", cloudwatch_output=True)
    workflow(stack, output=output, telemetry=HookTelemetry())
    by_name = {}
    for resource in template(stack).find_resources("AWS::Logs::MetricFilter").values():
        (transformation,) = resource["Properties"]["MetricTransformations"]
        by_name[transformation["MetricName"]] = {"pattern": resource["Properties"]["FilterPattern"], **transformation}
    return by_name


def published(filters: dict[str, dict[str, Any]], events: list[str]) -> list[tuple[str, str, str | None]]:
    """(metric, value, service) for every event a filter matches, as CloudWatch would publish it."""
    found = []
    for event in events:
        for name, definition in filters.items():
            values = match(definition["pattern"], event)
            if values is None:
                continue
            value = values.get(definition["MetricValue"], definition["MetricValue"])
            service = next((values[d["Value"]] for d in definition.get("Dimensions", [])), None)
            found.append((name, value, service))
    return sorted(found)


def shipped(runs: list[HookRun], *, together: bool) -> list[str]:
    """Each run's output and error streams as CloudWatch Logs events: a line each, or the whole stream as one."""
    events = []
    for run in runs:
        for stream in (run.stdout, run.stderr):
            lines = [line for line in stream.splitlines() if line]
            events += (["\n".join(lines)] if lines else []) if together else lines
    return events


def test_a_normal_cycle_publishes_the_three_durations_however_the_agent_ships_them(
    filters: dict[str, dict[str, Any]], service: DemoService, tmp_path: Path
) -> None:
    service.start_directly()
    stop = run_hook("stop_app_gracefully", {**service.ssm, "Port": str(service.port)}, tmp_path)
    update = run_hook("update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "true"}, tmp_path)
    start = run_hook(
        "start_app_and_verify", {**service.ssm, "HealthUrl": f"http://127.0.0.1:{service.port}/health"}, tmp_path
    )
    runs = [stop, update, start]
    assert [run.status for run in runs] == [0, 0, 0]
    assert all(len(run.stdout.splitlines()) >= 1 for run in runs)  # the hooks say more than the metrics read
    alone, together = (
        published(filters, shipped(runs, together=False)),
        published(filters, shipped(runs, together=True)),
    )
    assert alone == together
    assert [(name, service_name) for name, _, service_name in alone] == [
        ("StopSeconds", "demo-app"),
        ("TimeToHealthySeconds", "demo-app"),
        ("UpdateSeconds", "demo-app"),
    ]
    # The seconds published are those the human line states (read a moment apart: at most a second more).
    for (_, value, _), run in zip(sorted(alone), (stop, start, update), strict=True):
        stated = int(re.search(r" after (\d+) s ", run.last_log)[1])  # type: ignore[index]
        assert value is not None
        assert stated <= int(value) <= stated + 1


def test_a_failed_hook_counts_once_for_its_own_hook_however_the_agent_ships_it(
    filters: dict[str, dict[str, Any]], service: DemoService, tmp_path: Path
) -> None:
    # Nothing answers the health check: the start hook fails by its timeout; the update command fails.
    start = run_hook(
        "start_app_and_verify",
        {**service.ssm, "LinuxStartCommand": "true", "HealthPort": "1", "StartTimeoutSeconds": "3"},
        tmp_path,
    )
    failing = run_hook(
        "update_app", {"LinuxServiceName": "demo-app", "LinuxUpdateCommand": "sh -c 'echo oops; exit 3'"}, tmp_path
    )
    assert (start.status, failing.status) != (0, 0)
    assert "update output: oops" in failing.stdout  # the command's own output comes before the FAILED line
    expected = [("StartFailures", "1", None), ("UpdateFailures", "1", None)]
    assert published(filters, shipped([start, failing], together=False)) == expected
    assert published(filters, shipped([start, failing], together=True)) == expected


def test_lines_of_other_programs_and_near_misses_are_not_counted(filters: dict[str, dict[str, Any]]) -> None:
    near_misses = [
        "2026-12-02T03:04:05Z stop_app_gracefully: web-app stopped after 3 s (verified: port 8080 closed)",
        "2026-12-02T03:04:05Z start_app_and_verify: web-app is healthy after 9 s (active; HTTP 200)",
        "patch-hook-metric other_hook web-app StopSeconds 3",
        "patch-hook-metric stop_app_gracefully web-app UpdateSeconds 3",  # another hook's name for it
        "note: patch-hook-metric stop_app_gracefully web-app StopSeconds 3",  # not at the start of the event
        "2026-12-02T03:04:05Z other_hook: FAILED: not ours",
        "Installation FAILED: package conflict",
        "stop_app_gracefully FAILED: without the colon after the hook",
        "",
    ]
    assert published(filters, near_misses) == []
