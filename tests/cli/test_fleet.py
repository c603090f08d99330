"""patch-fleet: the rollout wave by wave, next starts in order, and wrong files refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from constructs_lib.cli import fleet as cli
from tests.builders import ROOT

EXAMPLE = ROOT / "examples" / "organization" / "fleet.yaml"
AFTER = "2026-12-01T00:00:00+00:00"


def run(*argv: str) -> str:
    out = io.StringIO()
    assert cli.run(cli.parse_args(argv), out) == 0
    return out.getvalue()


def test_the_example_rollout_is_shown_wave_by_wave() -> None:
    text = run(str(EXAMPLE), "--after", AFTER)
    assert text.index("## Wave 1 of 2: dev") < text.index("## Wave 2 of 2: prod")
    assert (
        "accounts 222222222222, 333333333333; OUs ou-ab12-prodprod; regions eu-west-1, us-east-1 "
        "(StackSets: sequential, 25% of accounts at once, 10% may fail)"
    ) in text


def test_a_strict_failure_tolerance_shows_the_real_pace(tmp_path: Path) -> None:
    strict = tmp_path / "fleet.yaml"
    strict.write_text(
        EXAMPLE.read_text().replace(
            "    failure_tolerance_percentage: 10",
            "    failure_tolerance_percentage: 10\n    concurrency_mode: STRICT_FAILURE_TOLERANCE",
        )
    )
    text = run(str(strict), "--after", AFTER)
    assert (
        "(StackSets: sequential, at most 25% of accounts and no more than 10% of them + 1 at once (strict), "
        "10% may fail)"
    ) in text
    # December 2026: Patch Tuesday is the 8th; dev opens a day later, prod five days later.
    dev_web = next(line for line in text.splitlines() if line.startswith("| web |") and "then 1 day(s)" in line)
    prod_web = next(line for line in text.splitlines() if line.startswith("| web |") and "then 5 day(s)" in line)
    assert "| 2026-12-09 03:00 GMT | 0 days | 50% / 1 | RebootIfNeeded |" in dev_web
    assert "| 2026-12-13 03:00 GMT | 7 days | 5% / 1 | RebootIfNeeded |" in prod_web
    assert (
        "stop `web-app`, update: `dnf -y upgrade web-app` (Linux), `C:/web-app/update.exe /quiet` (Windows), "
        "start and check http://127.0.0.1:8080/health" in dev_web
    )
    assert "Order warnings" not in text


def test_a_later_wave_opening_first_is_flagged(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["environments"][1]["overrides"]["schedule_offset"] = 1  # prod on the same day as dev
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    text = run(str(path), "--after", AFTER)
    assert (
        "- group web: prod next opens 2026-12-09 03:00 GMT, not after dev (2026-12-09 03:00 GMT); "
        "give prod a later schedule or a larger schedule_offset"
    ) in text


def test_the_brake_is_shown_and_a_too_late_one_is_an_error(tmp_path: Path) -> None:
    assert "## Brake\n\n- a failed window of dev halts prod (stages)\n" in run(str(EXAMPLE), "--after", AFTER)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["environments"][1]["overrides"]["schedule_offset"] = 1  # prod opens with dev
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    text = run(str(path), "--after", AFTER)
    assert (
        "- ERROR (synth refuses it): wave prod/web opens 2026-12-09 03:00 GMT while the window of wave dev/web" in text
    )
    data["halt_later_waves_on_failure"] = False
    path.write_text(yaml.safe_dump(data))
    assert "- off (halt_later_waves_on_failure: false): a failed wave halts nothing" in run(str(path), "--after", AFTER)


def test_a_region_botocore_does_not_know_is_flagged_with_the_nearest(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["environments"][0]["regions"] = ["eu-west-1", "eu-wset-1"]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    text = run(str(path), "--after", AFTER)
    assert "## Region warnings" in text
    assert "region eu-wset-1 is not a Systems Manager region botocore" in text
    assert "did you mean eu-west-1?" in text
    assert "region eu-west-1 is not" not in text


def test_known_regions_of_every_partition_are_not_flagged(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["environments"][0]["regions"] = ["us-east-1", "cn-north-1", "us-gov-west-1"]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "Region warnings" not in run(str(path), "--after", AFTER)


def test_a_wrong_file_exits_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(EXAMPLE.read_text().replace("duration_hours: 4", "duration_hours: 40"))
    assert cli.main([str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"patch-fleet: {path}: 1 wrong field\n")
    assert "defaults.duration_hours: got 40; Input should be less than or equal to 24" in error


def test_the_example_shows_its_runbook_group_its_brake_and_its_reporting() -> None:
    text = run(str(EXAMPLE), "--after", AFTER)
    web = next(line for line in text.splitlines() if line.startswith("| web |"))
    assert web.endswith(
        "| standby in acme-web (≤ 600 s), then drain from acme-web (≤ 120 s each), then patch (≤ 90 min), then exit "
        "standby, then register and wait until healthy (≤ 600 s each); worst case 122 min per instance |"
    )
    batch = next(line for line in text.splitlines() if line.startswith("| batch |"))
    assert batch.endswith("| nothing (Run Command) |")
    assert "- so does one failed patch runbook run of web in an earlier wave" in text
    reporting = text[text.index("## Reporting") :]
    assert "- every stack syncs its patch state to s3://acme-patch-compliance/patch-compliance (eu-west-1" in reporting
    assert "- the report stack acme-compliance-report (deploy it first)" in reporting
    assert "- instances turning non-compliant: alerts to acme-<environment>-patch-alerts" in reporting


def test_a_fleet_without_reporting_shows_none(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["reporting"]
    data["groups"][0].pop("load_balancer")
    data["groups"][0].pop("auto_scaling")
    data["groups"][0].pop("patch_timeout_seconds")
    plain = tmp_path / "fleet.yaml"
    plain.write_text(yaml.safe_dump(data))
    text = run(str(plain), "--after", AFTER)
    assert "## Reporting" not in text
    assert "patch runbook" not in text
