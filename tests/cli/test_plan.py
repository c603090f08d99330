"""patch-plan and patch-plan-diff: schedules against known dates (daylight saving included), rollout
batches, the Markdown report and its Mermaid chart, and the diff wording."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Stack, Stage
from aws_cdk.assertions import Annotations, Match

from constructs_lib import (
    HookDocument,
    LifecycleHooks,
    MaintenanceWindow,
    PatchOperation,
    PatchWorkflow,
    WindowSchedule,
    WindowTargets,
)
from constructs_lib.cli import plan, plan_diff
from constructs_lib.cli.assembly import AssemblyError, read_stack, stack_templates
from constructs_lib.cli.command import CommandError
from constructs_lib.cli.schedule_preview import describe, next_starts
from constructs_lib.operations.estimate import estimate_rollout, instances_at_once
from examples.demo.stack import PatchingDemoStack
from tests import builders
from tests.builders import CDK_CONTEXT, synth_assembly, template

AFTER = datetime(2026, 2, 25, tzinfo=UTC)
NY = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---- schedule occurrences against known dates ----------------------------------------------------


def test_weekly_cron_keeps_local_time_across_spring_forward() -> None:
    starts = next_starts("cron(0 3 ? * SUN *)", NY, AFTER, 3)
    assert [s.astimezone(UTC) for s in starts] == [
        utc("2026-03-01 08:00"),
        utc("2026-03-08 07:00"),
        utc("2026-03-15 07:00"),
    ]
    assert [s.strftime("%H:%M %Z") for s in starts] == ["03:00 EST", "03:00 EDT", "03:00 EDT"]


def test_weekly_cron_across_fall_back() -> None:
    starts = next_starts("cron(0 3 ? * SUN *)", NY, utc("2026-10-20 00:00"), 2)
    assert [s.astimezone(UTC) for s in starts] == [utc("2026-10-25 07:00"), utc("2026-11-01 08:00")]


def test_a_start_in_the_skipped_hour_moves_forward_by_the_gap() -> None:
    starts = next_starts("cron(30 2 ? * SUN *)", NY, utc("2026-03-05 00:00"), 2)
    assert [s.isoformat() for s in starts] == ["2026-03-08T03:30:00-04:00", "2026-03-15T02:30:00-04:00"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(30 23 ? * TUE#3 *)", ["2026-03-17 23:30", "2026-04-21 23:30"]),
        ("cron(0 2 L * ? *)", ["2026-02-28 02:00", "2026-03-31 02:00"]),
        ("cron(15 10 ? * 6L *)", ["2026-02-27 10:15", "2026-03-27 10:15"]),
        ("cron(0 2 15W * ? *)", ["2026-03-16 02:00", "2026-04-15 02:00"]),  # 2026-03-15 is a Sunday
        ("cron(0 0 3 ? * 1#5 *)", ["2026-03-29 03:00", "2026-05-31 03:00"]),  # seven fields, fifth Sunday
        ("cron(0 9 ? JAN-MAR MON-FRI 2026)", ["2026-02-25 09:00", "2026-02-26 09:00"]),
    ],
)
def test_aws_cron_forms(expression: str, expected: list[str]) -> None:
    starts = next_starts(expression, "UTC", AFTER, 2)
    assert [s.strftime("%Y-%m-%d %H:%M") for s in starts] == expected


def test_schedule_offset_adds_days() -> None:
    starts = next_starts("cron(30 23 ? * TUE#3 *)", "UTC", AFTER, 1, offset=2)
    assert starts[0].strftime("%Y-%m-%d %H:%M") == "2026-03-19 23:30"


def test_rate_and_at() -> None:
    assert [s.isoformat() for s in next_starts("rate(12 hours)", "UTC", AFTER, 2)] == [
        "2026-02-25T12:00:00+00:00",
        "2026-02-26T00:00:00+00:00",
    ]
    assert [s.isoformat() for s in next_starts("at(2026-12-24T22:00:00)", "Europe/Berlin", AFTER, 3)] == [
        "2026-12-24T22:00:00+01:00"
    ]
    assert next_starts("at(2025-12-24T22:00:00)", "UTC", AFTER, 3) == []


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("cron(0 3 ? * SUN *)", "At 03:00, only on Sunday (America/New_York)"),
        ("cron(30 23 ? * TUE#3 *)", "At 23:30, on the third Tuesday of the month (America/New_York)"),
        ("rate(1 day)", "Every 1 day(s) (America/New_York)"),
        ("at(2026-12-24T22:00:00)", "Once, at 2026-12-24 22:00:00 (America/New_York)"),
    ],
)
def test_schedule_in_words(expression: str, words: str) -> None:
    assert describe(expression, NY) == words


# ---- rollout arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_concurrency", "fleet", "at_once"),
    [("10%", 200, 20), ("10%", 25, 2), ("10%", 5, 1), ("100%", 7, 7), ("25", 10, 10), ("3", 10, 3)],
)
def test_instances_at_once(max_concurrency: str, fleet: int, at_once: int) -> None:
    assert instances_at_once(max_concurrency, fleet) == at_once


def test_batches_and_the_cutoff() -> None:
    late = estimate_rollout(
        fleet_size=200, max_concurrency="10%", minutes_per_instance=20, duration_hours=3, cutoff_hours=1
    )
    assert (late.at_once, late.batches, late.minutes, late.available_minutes, late.fits) == (20, 10, 200, 120, False)
    assert late.describe() == (
        "200 instances, 20 at a time: 10 batch(es) of 20 min = 3h20, does NOT end before the "
        "cutoff (2h after the window opens)"
    )
    on_time = estimate_rollout(
        fleet_size=25, max_concurrency="5", minutes_per_instance=30, duration_hours=4, cutoff_hours=1
    )
    assert (on_time.batches, on_time.minutes, on_time.fits) == (5, 150, True)
    exact = estimate_rollout(
        fleet_size=4, max_concurrency="2", minutes_per_instance=60, duration_hours=3, cutoff_hours=1
    )
    assert exact.fits  # 2 batches x 60 min = 120 min = the time before the cutoff


@pytest.mark.parametrize("fleet_size", [0, float("inf"), float("nan"), True, 10**9 + 1])
def test_rollout_needs_a_fleet(fleet_size: Any) -> None:
    with pytest.raises(ValueError, match=r"fleet_size must be an integer from 1 to 1000000000; got fleet_size="):
        estimate_rollout(
            fleet_size=fleet_size, max_concurrency="1", minutes_per_instance=1, duration_hours=2, cutoff_hours=1
        )


def workflow(stack: Stack, **overrides: Any) -> PatchWorkflow:
    return builders.workflow(stack, **{"cutoff": Duration.hours(1), **overrides})


def test_workflow_warns_when_the_fleet_cannot_finish_before_the_cutoff(stack: Stack) -> None:
    wf = workflow(stack, expected_fleet_size=200, minutes_per_instance=20)
    assert wf.rollout is not None
    assert not wf.rollout.fits
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Web",
        Match.string_like_regexp(
            r"patch run can't finish before the cutoff: 200 instances, 20 at a time: 10 batch\(es\)"
        ),
    )


def test_workflow_is_quiet_when_the_fleet_fits(stack: Stack) -> None:
    wf = workflow(stack, expected_fleet_size=20, max_concurrency="50%", minutes_per_instance=30)
    assert wf.rollout is not None
    assert wf.rollout.fits
    assert Annotations.from_stack(stack).find_warning("*", Match.any_value()) == []


def test_workflow_without_a_fleet_size_makes_no_estimate(stack: Stack) -> None:
    assert workflow(stack).rollout is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"expected_fleet_size": 0},
            r"expected_fleet_size must be an integer of at least 1; got expected_fleet_size=0",
        ),
        (
            {"expected_fleet_size": 10, "minutes_per_instance": 0},
            r"minutes_per_instance must be an integer from 1 to 1440",
        ),
    ],
)
def test_fails_on_invalid_estimate_settings(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workflow(stack, **overrides)


# ---- the Markdown plan -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> str:
    assembly = synth_assembly(tmp_path_factory.mktemp("plan"), lambda app: PatchingDemoStack(app, "PatchingDemo"))
    out = io.StringIO()
    args = plan.parse_args(
        [
            "--assembly",
            str(assembly),
            "--after",
            "2026-10-20T00:00:00+00:00",
            "--occurrences",
            "3",
            "--weeks",
            "3",
            "--fleet-size",
            "200",
            "--minutes-per-instance",
            "20",
        ]
    )
    assert plan.run(args, out) == 0
    return out.getvalue()


def section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def test_plan_window_section(demo_plan: str) -> None:
    weekly = section(demo_plan, "## Window PatchingDemo-Weekly")
    assert "- Schedule: `cron(0 3 ? * SUN *)`: At 03:00, only on Sunday (America/New_York)" in weekly
    assert "- Next starts: Sun 2026-10-25 03:00 EDT, Sun 2026-11-01 03:00 EST, Sun 2026-11-08 03:00 EST" in weekly
    assert "- Duration 3 h, cutoff 1 h: tasks may start during the first 2 h" in weekly
    assert "- Targets PatchingDemo-Fleet: tag:PatchGroup = PatchingDemo" in weekly
    assert (
        "- Operation **Install**, reboot option **RebootIfNeeded**, max concurrency 10%, max errors 1, priority 1"
    ) in weekly
    assert (
        "- Rollout: 200 instances, 20 at a time: 10 batch(es) of 20 min = 3h20, does NOT end before the cutoff "
        "(2h after the window opens)"
    ) in weekly


def test_plan_lifecycle_is_in_order_with_script_previews(demo_plan: str) -> None:
    weekly = section(demo_plan, "## Window PatchingDemo-Weekly")
    steps = [
        line.strip() for line in weekly if line.startswith("  ") and line.strip()[:2] in {f"{n}." for n in range(1, 7)}
    ]
    assert steps == [
        "1. scan",
        "2. pre-install hook: `PatchingDemo-StopAppGracefully`",
        "3. install approved patches (NoReboot)",
        "4. post-install hook: `PatchingDemo-UpdateApp`",
        "5. reboot if needed",
        "6. on-exit hook: `PatchingDemo-StartAppAndVerify`",
    ]
    assert any(
        line.strip().startswith("- Linux (") and "# Pre-install hook: stop the application gracefully" in line
        for line in weekly
    )
    assert any(
        line.strip().startswith("- Windows (") and "mirrors / # linux/stop_app_gracefully.sh" in line for line in weekly
    )


def test_plan_scan_task_runs_no_hook(demo_plan: str) -> None:
    scan = section(demo_plan, "## Window PatchingDemo-DailyScan")
    assert "- Lifecycle: scan and report compliance only; no hook runs" in scan


def test_plan_baselines_table(demo_plan: str) -> None:
    table = section(demo_plan, "## Baselines")
    assert table[2:4] == ["| patch group | OS | baseline | approval rules |", "|---|---|---|---|"]
    assert (
        "| PatchingDemo | AMAZON_LINUX_2023 | PatchingDemo-AmazonLinux2023 | CLASSIFICATION in Security/Bugfix, "
        "SEVERITY in Critical/Important approved after 7 days (CRITICAL) |"
    ) in table


def test_plan_mermaid_gantt(demo_plan: str) -> None:
    chart = section(demo_plan, "## Schedule, next 3 weeks")
    block = chart[chart.index("```mermaid") :]
    assert block[:5] == [
        "```mermaid",
        "gantt",
        "    title PatchingDemo maintenance windows (each in its own time zone)",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %m-%d",
    ]
    weekly = block[block.index("    section PatchingDemo-Weekly") + 1 : block.index("```", 1)]
    assert weekly == [
        "    Sun 03:00 : 2026-10-25 03:00, 3h",
        "    Sun 03:00 : 2026-11-01 03:00, 3h",
        "    Sun 03:00 : 2026-11-08 03:00, 3h",
    ]
    daily = block[
        block.index("    section PatchingDemo-DailyScan") + 1 : block.index("    section PatchingDemo-Weekly")
    ]
    assert len(daily) == 21  # every day of three weeks
    assert block[-1] == "```"


def test_plan_of_a_small_hand_made_assembly(tmp_path: Path) -> None:
    def build(app: App) -> None:
        stack = Stack(app, "Small")
        window = MaintenanceWindow(
            stack,
            "Window",
            schedule=WindowSchedule.rate(Duration.days(1)),
            duration=Duration.hours(2),
            window_name="Daily",
        )
        target = window.add_targets("Ids", WindowTargets.from_instance_ids(["i-0123456789abcdef0"]))
        window.add_patch_task(
            "Patch",
            targets=[target],
            hooks=LifecycleHooks(on_exit=HookDocument.from_document_name(stack, "Shared", "Team-OnExit")),
        )
        token_window = MaintenanceWindow(
            stack,
            "Param",
            duration=Duration.hours(2),
            window_name="FromParameter",
            schedule=WindowSchedule.expression(CfnParameter(stack, "Cron").value_as_string),
        )
        token_window.add_patch_task(
            "Scan",
            targets=[token_window.add_targets("All", WindowTargets.from_tag_keys(["PatchMe"]))],
            operation=PatchOperation.SCAN,
        )

    assembly = synth_assembly(tmp_path, build)
    out = io.StringIO()
    plan.run(
        plan.parse_args(["--assembly", str(assembly), "--after", "2026-02-25T00:00:00+00:00", "--occurrences", "2"]),
        out,
    )
    text = out.getvalue()
    daily = section(text, "## Window Daily")
    assert "- Next starts: Thu 2026-02-26 00:00 UTC, Fri 2026-02-27 00:00 UTC" in daily
    assert "- Targets Ids: InstanceIds = i-0123456789abcdef0" in daily
    assert "  2. pre-install hook: AWS-Noop (does nothing)" in daily
    assert "  6. on-exit hook: `Team-OnExit` (defined outside this template)" in daily
    from_parameter = section(text, "## Window FromParameter")
    assert "- Schedule: `<Cron>`: a CloudFormation reference, known at deploy time" in from_parameter
    assert not any(line.startswith("- Next starts") for line in from_parameter)


# ---- the diff in words ----------------------------------------------------------------------------


@pytest.fixture
def demo_template() -> dict[str, Any]:
    return dict(template(PatchingDemoStack(App(context=CDK_CONTEXT), "PatchingDemo")).to_json())


def by_name(body: dict[str, Any], resource_type: str, name: str) -> dict[str, Any]:
    for resource in body["Resources"].values():
        if resource["Type"] == resource_type and resource["Properties"].get("Name") == name:
            props: dict[str, Any] = resource["Properties"]
            return props
    raise KeyError(name)


def words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return plan_diff.compare(read_stack("PatchingDemo", old), read_stack("PatchingDemo", new))


def test_no_change_says_nothing(demo_template: dict[str, Any]) -> None:
    assert words(demo_template, copy.deepcopy(demo_template)) == []


def test_diff_wording(demo_template: dict[str, Any]) -> None:
    new = copy.deepcopy(demo_template)
    window = by_name(new, "AWS::SSM::MaintenanceWindow", "PatchingDemo-Weekly")
    window["Schedule"] = "cron(0 22 ? * SAT *)"
    window["Duration"] = 4
    task = by_name(new, "AWS::SSM::MaintenanceWindowTask", "PatchingTask")
    task["MaxConcurrency"] = "20%"
    script = by_name(new, "AWS::SSM::Document", "PatchingDemo-StartAppAndVerify")["Content"]["mainSteps"][0]["inputs"][
        "runCommand"
    ]
    script[5] = "# a changed line"
    script.insert(10, 'log "an added line"')
    del script[20]
    baseline = by_name(new, "AWS::SSM::PatchBaseline", "PatchingDemo-AmazonLinux2023")
    baseline["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] = 3
    assert words(demo_template, new) == [
        "window PatchingDemo-Weekly moves from Sunday 03:00 to Saturday 22:00 America/New_York "
        "(cron(0 3 ? * SUN *) → cron(0 22 ? * SAT *))",
        "window PatchingDemo-Weekly duration changes from 3 h to 4 h",
        "task PatchingTask max concurrency changes from 10% to 20%",
        "on-exit hook PatchingDemo-StartAppAndVerify Linux script changed: 3 lines",
        "baseline PatchingDemo-AmazonLinux2023 approval rules change from CLASSIFICATION in Security/Bugfix, SEVERITY "
        "in Critical/Important approved after 7 days (CRITICAL) to CLASSIFICATION in Security/Bugfix, SEVERITY in "
        "Critical/Important approved after 3 days (CRITICAL)",
    ]


def test_diff_reports_hook_parameters_and_step_timeouts(demo_template: dict[str, Any]) -> None:
    # What a changed stop_timeout does to a StopAppHook: the baked-in value and the derived step timeout.
    new = copy.deepcopy(demo_template)
    content = by_name(new, "AWS::SSM::Document", "PatchingDemo-StopAppGracefully")["Content"]
    content["parameters"]["StopTimeoutSeconds"]["default"] = "90"
    del content["parameters"]["EscalateToKill"]
    content["parameters"]["Verbose"] = {"type": "String", "default": "true"}
    for step in content["mainSteps"]:
        step["inputs"]["timeoutSeconds"] += 30
    before = by_name(demo_template, "AWS::SSM::Document", "PatchingDemo-StopAppGracefully")["Content"]
    seconds = before["mainSteps"][0]["inputs"]["timeoutSeconds"]
    hook = "pre-install hook PatchingDemo-StopAppGracefully"
    assert words(demo_template, new) == [
        f"{hook} parameter StopTimeoutSeconds changes from '60' to '90'",
        f"{hook} parameter Verbose added",
        f"{hook} parameter EscalateToKill removed",
        f"{hook} Linux step timeout changes from {seconds}s to {seconds + 30}s",
        f"{hook} Windows step timeout changes from {seconds}s to {seconds + 30}s",
    ]


def test_diff_reports_a_moved_time_zone_and_a_removed_task(demo_template: dict[str, Any]) -> None:
    new = copy.deepcopy(demo_template)
    by_name(new, "AWS::SSM::MaintenanceWindow", "PatchingDemo-DailyScan")["ScheduleTimezone"] = "Europe/Berlin"
    for logical_id, resource in list(new["Resources"].items()):
        if resource["Properties"].get("Name") == "ScanTask":
            del new["Resources"][logical_id]
    assert words(demo_template, new) == [
        "window PatchingDemo-DailyScan moves from daily 01:00 America/New_York to daily 01:00 Europe/Berlin "
        "(cron(0 1 ? * * *) → cron(0 1 ? * * *))",
        "window PatchingDemo-DailyScan task ScanTask removed",
    ]


def test_plan_diff_command(tmp_path: Path, demo_template: dict[str, Any]) -> None:
    assembly = synth_assembly(tmp_path, lambda app: PatchingDemoStack(app, "PatchingDemo"))
    old = tmp_path / "old.json"
    changed = copy.deepcopy(demo_template)
    by_name(changed, "AWS::SSM::MaintenanceWindow", "PatchingDemo-Weekly")["Cutoff"] = 2
    old.write_text(json.dumps(changed))
    out = io.StringIO()
    assert plan_diff.run(plan_diff.parse_args(["--old", str(old), "--assembly", str(assembly)]), out) == 0
    assert out.getvalue() == "- window PatchingDemo-Weekly cutoff changes from 2 h to 1 h\n"
    # --exit-code: 1 on a patching change (for CI to gate on), 0 without one.
    gate = plan_diff.parse_args(["--old", str(old), "--assembly", str(assembly), "--exit-code"])
    assert plan_diff.run(gate, io.StringIO()) == 1
    old.write_text(json.dumps(demo_template))
    assert plan_diff.run(gate, io.StringIO()) == 0


def test_stacks_inside_stages_are_found_by_their_display_names(tmp_path: Path) -> None:

    def build(app: App) -> None:
        PatchingDemoStack(Stage(app, "Dev"), "PatchingDemo")

    assembly = synth_assembly(tmp_path, build)
    assert sorted(stack_templates(assembly)) == ["Dev/PatchingDemo"]
    out = io.StringIO()
    assert plan.run(plan.parse_args(["--assembly", str(assembly), "--after", "2026-12-01T00:00:00+00:00"]), out) == 0
    assert "PatchingDemo-Weekly" in out.getvalue()


def test_a_broken_manifest_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(AssemblyError, match=r"manifest.json can't be read: Expecting property name"):
        stack_templates(tmp_path)
    (tmp_path / "manifest.json").write_text('{"version": "48.0.0"}')
    with pytest.raises(AssemblyError, match=r"manifest.json is not a cloud assembly manifest \(missing 'artifacts'\)"):
        stack_templates(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"--old .*missing.json can't be read as a JSON template: \[Errno 2\]"),
        ("{broken", r"--old .*missing.json can't be read as a JSON template: Expecting property name"),
        ("[1, 2]", r"--old .*missing.json is not a CloudFormation template \(a JSON object\)"),
        ('{"Resources": 5}', r"Resources must map each logical id to an object, as CloudFormation writes it"),
        (
            '{"Resources": {"T": {"Type": "AWS::SSM::MaintenanceWindowTarget", "Properties": {"WindowId": 5}}}}',
            r"a resource is not shaped as CloudFormation writes it \(AttributeError: 'int' object has no attribute",
        ),
    ],
)
def test_plan_diff_with_an_unreadable_reference(
    tmp_path: Path, demo_template: dict[str, Any], text: str | None, message: str
) -> None:
    assembly = synth_assembly(tmp_path, lambda app: PatchingDemoStack(app, "PatchingDemo"))
    old = tmp_path / "missing.json"
    if text is not None:
        old.write_text(text)
    with pytest.raises(CommandError, match=message):
        plan_diff.run(plan_diff.parse_args(["--old", str(old), "--assembly", str(assembly)]), io.StringIO())


def test_plan_shows_each_hooks_values_and_step_timeouts(demo_plan: str) -> None:
    assert (
        "   - values: ExpectedStatus=`200`, HealthIntervalSeconds=`2`, HealthUrl=`http://127.0.0.1:8080/health`, "
        "LinuxServiceName=`demo-app`, Port=`8080`, ServiceManager=`service`, StartTimeoutSeconds=`120`, "
        "WindowsServiceName=`demo-app`"
    ) in demo_plan
    assert re.search(r"   - Linux \(\d+ lines, step timeout 337 s\): ", demo_plan)


@pytest.fixture(scope="module")
def demo_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_assembly(tmp_path_factory.mktemp("cli"), lambda app: PatchingDemoStack(app, "PatchingDemo"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fleet-size", "-5"], "argument --fleet-size: must be from 1 to 1000000; got -5"),
        (["--fleet-size", "1000001"], "argument --fleet-size: must be from 1 to 1000000; got 1000001"),
        (["--occurrences", "0"], "argument --occurrences: must be from 1 to 100; got 0"),
        (["--occurrences", "101"], "argument --occurrences: must be from 1 to 100; got 101"),
        (["--weeks", "x"], "argument --weeks: must be a whole number from 1 to 104; got 'x'"),
        (["--minutes-per-instance", "1441"], "argument --minutes-per-instance: must be from 1 to 1440; got 1441"),
    ],
)
def test_plan_refuses_numbers_out_of_range_with_exit_2(
    demo_assembly: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        plan.main(["--assembly", str(demo_assembly), *arguments])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"patch-plan: error: {message}"


@pytest.mark.parametrize("arguments", [["--fleet-size", "1"], ["--occurrences", "100"], ["--weeks", "104"]])
def test_plan_takes_numbers_at_the_ends_of_their_range(demo_assembly: Path, arguments: list[str]) -> None:
    assert plan.run(plan.parse_args(["--assembly", str(demo_assembly), *arguments]), io.StringIO()) == 0


@pytest.mark.parametrize(("target", "why"), [("missing/plan.md", "No such file or directory"), (".", "Is a directory")])
def test_plan_into_a_path_it_cannot_write_exits_2_in_one_line(
    demo_assembly: Path, tmp_path: Path, target: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / target
    assert plan.main(["--assembly", str(demo_assembly), "--output", str(output)]) == 2
    assert capsys.readouterr().err == f"patch-plan: cannot write {output}: {why}\n"


def test_a_cron_whose_last_year_has_passed_has_no_next_start() -> None:
    after = utc("2026-12-02T00:00:00")
    assert next_starts("cron(0 3 ? * SUN 2020)", "UTC", after, 5) == []
    assert [start.year for start in next_starts("cron(0 3 ? * SUN 2026-2027)", "UTC", after, 500)][-1] == 2027


def _assembly_with_template(tmp_path: Path, text: str | None, *, directory: bool = False) -> Path:
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "version": "36.0.0",
                "artifacts": {
                    "Stack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Stack.template.json"}}
                },
            }
        )
    )
    if directory:
        (tmp_path / "Stack.template.json").mkdir()
    elif text is not None:
        (tmp_path / "Stack.template.json").write_bytes(text.encode("latin-1"))
    return tmp_path


def _window_template(**properties: Any) -> str:
    window = {"Name": "W", "Schedule": "cron(0 3 ? * SUN *)", "Duration": 3, "Cutoff": 1, **properties}
    return json.dumps({"Resources": {"W": {"Type": "AWS::SSM::MaintenanceWindow", "Properties": window}}})


@pytest.mark.parametrize(
    ("text", "directory", "message"),
    [
        (None, False, r"the template of Stack .* can't be read as a JSON template: \[Errno 2\]"),
        ("{broken", False, r"can't be read as a JSON template: Expecting property name"),
        ("\xff\xfe", False, r"can't be read as a JSON template: 'utf-8' codec can't decode"),
        ("[1, 2]", False, r"is not a CloudFormation template \(a JSON object\)"),
        (None, True, r"can't be read as a JSON template: \[Errno 21\] Is a directory"),
        (_window_template(ScheduleTimezone="Not/AZone"), False, r"schedule_timezone must be an IANA time zone"),
        (_window_template(Duration="3"), False, r"window W Duration must be a number of hours; got '3'"),
    ],
)
def test_plan_of_a_broken_template_is_one_line_and_exit_2(
    tmp_path: Path, text: str | None, directory: bool, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assembly = _assembly_with_template(tmp_path, text, directory=directory)
    assert plan.main(["--assembly", str(assembly)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert re.search(message, error), error


def test_plan_of_a_sound_hand_made_template_works(tmp_path: Path) -> None:
    assembly = _assembly_with_template(tmp_path, _window_template(ScheduleTimezone="Europe/Berlin"))
    assert plan.main(["--assembly", str(assembly), "--after", "2026-12-01T00:00:00+00:00"]) == 0


def test_an_assembly_that_contains_itself_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(
        json.dumps({"artifacts": {"Self": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}}})
    )
    with pytest.raises(AssemblyError, match=r"names an assembly that contains itself"):
        stack_templates(tmp_path)


@pytest.mark.parametrize("after", ["9999-12-31T00:00:00", "0001-01-01T00:00:00", "yesterday"])
def test_plan_refuses_a_moment_outside_the_years_it_can_compute(after: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        plan.parse_args(["--after", after])
    assert exit_info.value.code == 2
    assert "argument --after: must be" in capsys.readouterr().err


def test_a_reference_larger_than_any_template_is_refused_before_it_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from constructs_lib.cli import assembly as assembly_module

    monkeypatch.setattr(assembly_module, "_MAX_TEMPLATE_BYTES", 10)
    big = tmp_path / "big.json"
    big.write_text('{"Resources": {}}')
    with pytest.raises(AssemblyError, match=r"--old .*big.json is over 10 bytes: not a template"):
        assembly_module.read_template(big, what="--old")


def test_diff_reports_every_change_to_a_patching_resource_even_unworded_ones(demo_template: dict[str, Any]) -> None:
    new = copy.deepcopy(demo_template)
    baseline = by_name(new, "AWS::SSM::PatchBaseline", "PatchingDemo-AmazonLinux2023")
    baseline["DefaultBaseline"] = True
    baseline["RejectedPatches"] = ["kernel*"]
    baseline["ApprovedPatches"] = ["openssl"]
    by_name(new, "AWS::SSM::MaintenanceWindow", "PatchingDemo-Weekly")["EndDate"] = "2020-01-01T00:00:00Z"
    task = by_name(new, "AWS::SSM::MaintenanceWindowTask", "PatchingTask")
    task["CutoffBehavior"] = "CANCEL_TASK"
    task["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["TimeoutSeconds"] = 900
    found = words(demo_template, new)
    assert "baseline PatchingDemo-AmazonLinux2023 DefaultBaseline set to true" in found
    assert 'baseline PatchingDemo-AmazonLinux2023 RejectedPatches set to ["kernel*"]' in found
    assert 'baseline PatchingDemo-AmazonLinux2023 ApprovedPatches set to ["openssl"]' in found
    assert 'window PatchingDemo-Weekly EndDate set to "2020-01-01T00:00:00Z"' in found
    assert 'task PatchingTask CutoffBehavior set to "CANCEL_TASK"' in found
    assert "task PatchingTask RunCommand.TimeoutSeconds set to 900" in found or any(
        change.startswith("task PatchingTask RunCommand.TimeoutSeconds changes from") for change in found
    )


def test_the_plan_shows_which_wave_halts_which() -> None:
    from tests.builders import new_app
    from tests.scenarios import canary_waves

    model = read_stack("Waves", dict(template(canary_waves(new_app())).to_json()))
    text = plan.build_plan(model, after=datetime(2026, 12, 1, tzinfo=UTC))
    section = text[text.index("## Waves") : text.index("## Schedule")].splitlines()
    canary, web = sorted(window.name for window in model.windows)
    assert section[2:5] == [
        f"- {canary} ending FAILED or TIMED_OUT halts {web}: record halted, window disabled",
        f"- {web} runs the halt gate first: while its wave is halted, each execution is cancelled",
        "- resume with `patch-resume --stack Waves`",
    ]


def test_a_plan_without_waves_has_no_waves_section() -> None:
    from tests.builders import new_app
    from tests.scenarios import minimal

    model = read_stack("Minimal", dict(template(minimal(new_app())).to_json()))
    assert "## Waves" not in plan.build_plan(model, after=datetime(2026, 12, 1, tzinfo=UTC))


def test_the_plan_says_where_the_morning_after_looks(tmp_path: Path) -> None:
    from tests.scenarios import reporting

    assembly = synth_assembly(tmp_path, reporting)
    out = io.StringIO()
    plan.run(plan.parse_args(["--assembly", str(assembly), "--stack", "Reporting"]), out)
    lines = out.getvalue().splitlines()
    section = lines[lines.index("## Reporting") : lines.index("## Baselines")]
    assert "  - PatchHooks/TimeToHealthySeconds by Service from <OutputLogs060B436B>" in section
    assert "  - PatchHooks/StartFailures from <OutputLogs060B436B>" in section
    assert (
        "  - demo-app took longer than 180 s from start to healthy after patching (threshold 180) -> <PatchAlertsTopic75941536>"
        in section
    )
    assert any(
        line.startswith("  - window <WebWindow") and "run ending FAILED or TIMED_OUT -> <PatchAlerts" in line
        for line in section
    )
    assert any(line.startswith("  - patch compliance turning non-compliant under <WebBaseline") for line in section)
    assert "  - patch-compliance -> s3://<ComplianceBucket665132DA>/patch-compliance (us-east-1)" in section
    assert "  - patch_compliance: failed-in-latest-window" in section
    assert "- Dashboards: 1 (CloudWatch, one per workflow)" in section


def test_a_plan_without_reporting_has_no_reporting_section(tmp_path: Path) -> None:
    from tests.scenarios import minimal

    assembly = synth_assembly(tmp_path, minimal)
    out = io.StringIO()
    plan.run(plan.parse_args(["--assembly", str(assembly)]), out)
    assert "## Reporting" not in out.getvalue()
