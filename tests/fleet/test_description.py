"""FleetDescription: files are read, settings resolve by level, and every wrong field is named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib import (
    ComplianceLevel,
    EnvironmentSpec,
    FleetDescription,
    FleetFileError,
    HookSpec,
    OperatingSystem,
    PatchGroupSpec,
    RebootOption,
)
from tests.builders import ROOT

EXAMPLE = ROOT / "examples" / "organization" / "fleet.yaml"


def valid() -> dict[str, Any]:
    """A small valid description; tests change one field at a time."""
    return {
        "name": "acme",
        "groups": [
            {
                "name": "web",
                "operating_systems": ["AMAZON_LINUX_2023", "WINDOWS"],
                "hooks": {"service": "web-app", "health_url": "http://127.0.0.1:8080/health"},
            }
        ],
        "environments": [
            {"name": "dev", "accounts": ["111111111111"], "regions": ["eu-west-1"]},
            {"name": "prod", "organizational_units": ["ou-ab12-prodprod"], "regions": ["eu-west-1", "us-east-1"]},
        ],
    }


def problems_of(data: Any) -> list[str]:
    with pytest.raises(FleetFileError) as raised:
        FleetDescription.from_data(data, source="fleet.yaml")
    assert str(raised.value).startswith("fleet.yaml: ")
    return raised.value.problems


def with_change(path: str, value: Any) -> dict[str, Any]:
    """valid() with the field at a dotted path (list indexes as numbers) set to value, or removed for ...."""
    data = valid()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


def test_the_example_file_reads() -> None:
    fleet = FleetDescription.from_file(EXAMPLE)
    assert [group.name for group in fleet.groups] == ["web", "batch"]
    assert list(fleet.rollout_order()) == [
        "wave 1 of 2: dev -> 111111111111, ou-ab12-devdev11 in eu-west-1, us-east-1",
        "wave 2 of 2: prod -> 222222222222, 333333333333, ou-ab12-prodprod in eu-west-1, us-east-1",
    ]


def test_json_and_yaml_give_the_same_description(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "fleet.json").write_text(json.dumps(data))
    assert FleetDescription.from_file(tmp_path / "fleet.json") == FleetDescription.from_file(EXAMPLE)


def test_python_construction_equals_the_file() -> None:
    fleet = FleetDescription.from_data(valid())
    assert FleetDescription(**valid()) == fleet


def test_settings_resolve_defaults_fleet_group_then_environment() -> None:
    data = valid()
    data["defaults"] = {"approve_after_days": 3, "max_concurrency": "5", "duration_hours": 4}
    data["groups"][0].update({"approve_after_days": 5, "compliance_level": "HIGH"})
    data["environments"][0]["overrides"] = {"approve_after_days": 0}
    fleet = FleetDescription.from_data(data)
    dev = fleet.settings(fleet.groups[0], fleet.environment("dev"))
    prod = fleet.settings(fleet.groups[0], fleet.environment("prod"))
    assert (dev.approve_after_days, prod.approve_after_days) == (0, 5)  # override, then group
    assert (dev.max_concurrency, dev.duration_hours) == ("5", 4)  # fleet defaults
    assert dev.compliance_level is ComplianceLevel.HIGH
    assert (dev.cutoff_hours, dev.reboot_option, dev.schedule) == (
        1,
        RebootOption.REBOOT_IF_NEEDED,
        "cron(0 3 ? * SUN *)",
    )


def test_counts_may_be_numbers() -> None:
    data = valid()
    data["groups"][0].update({"max_concurrency": 5, "max_errors": 0})
    fleet = FleetDescription.from_data(data)
    settings = fleet.settings(fleet.groups[0], fleet.environment("dev"))
    assert (settings.max_concurrency, settings.max_errors) == ("5", "0")


def test_a_group_override_for_one_environment_comes_last() -> None:
    data = valid()
    data["environments"][1]["overrides"] = {"max_concurrency": "20%", "max_errors": "2"}
    data["groups"][0]["overrides"] = {"prod": {"max_concurrency": "5%"}}
    fleet = FleetDescription.from_data(data)
    dev = fleet.settings(fleet.groups[0], fleet.environment("dev"))
    prod = fleet.settings(fleet.groups[0], fleet.environment("prod"))
    assert (dev.max_concurrency, prod.max_concurrency, prod.max_errors) == ("10%", "5%", "2")


def test_a_group_override_for_an_unknown_environment_is_named() -> None:
    data = valid()
    data["groups"][0]["overrides"] = {"staging": {"max_concurrency": "5%"}}
    assert problems_of(data) == ["groups[0].overrides.staging: unknown environment; the fleet has dev, prod"]


def test_the_example_runs_prod_days_after_dev() -> None:
    fleet = FleetDescription.from_file(EXAMPLE)
    web = fleet.groups[0]
    dev, prod = (fleet.settings(web, environment) for environment in fleet.environments)
    assert dev.schedule == prod.schedule
    assert (dev.schedule_offset, prod.schedule_offset) == (1, 5)
    assert (dev.approve_after_days, prod.approve_after_days) == (0, 7)


def test_wave_description_names_the_order() -> None:
    fleet = FleetDescription.from_data(valid())
    assert fleet.wave_description("dev") == "acme patching with lifecycle hooks: wave 1 of 2 (dev, first)"
    assert fleet.wave_description("prod") == "acme patching with lifecycle hooks: wave 2 of 2 (prod, after dev)"
    with pytest.raises(KeyError, match="no environment 'test'; the fleet has dev, prod"):
        fleet.environment("test")


# One wrong field each: its path, the value and what is allowed.
WRONG_FIELDS = [
    ("name", "a", "name: got 'a'; must be 2 to 20 letters, digits and hyphens, first a letter"),
    ("colour", "blue", "colour: unknown field; check its spelling against the documented fields"),
    (
        "groups.0.hooks.stop_timeout",
        30,
        "groups[0].hooks.stop_timeout: unknown field; did you mean stop_timeout_seconds?",
    ),
    ("environments.0.region", ["eu-west-1"], "environments[0].region: unknown field; did you mean regions?"),
    ("groups", ..., "groups: missing; this field is required"),
    ("groups", [], "groups: got []; List should have at least 1 item"),
    ("groups.0.name", "web_1", "groups[0].name: got 'web_1'; must be 2 to 40 letters, digits and hyphens"),
    ("groups.0.operating_systems.1", "SOLARIS", "groups[0].operating_systems[1]: got 'SOLARIS'; Input should be"),
    (
        "groups.0.operating_systems",
        ["WINDOWS", "WINDOWS"],
        "groups[0]: got the entry; operating_systems must not repeat a value; got 'WINDOWS' twice",
    ),
    ("groups.0.operating_systems", ["MACOS"], "hooks need Linux or Windows"),
    ("groups.0.patch_group", "web#1", "groups[0].patch_group: got 'web#1'; patch_group may contain only letters"),
    ("groups.0.schedule", "cron(0 3 ? * FOO *)", "groups[0].schedule: got 'cron(0 3 ? * FOO *)'; schedule day-of-week"),
    (
        "groups.0.schedule_timezone",
        "Mars/Olympus",
        "groups[0].schedule_timezone: got 'Mars/Olympus'; schedule_timezone",
    ),
    ("groups.0.schedule_offset", 7, "groups[0].schedule_offset: got 7; Input should be less than or equal to 6"),
    ("groups.0.duration_hours", 25, "groups[0].duration_hours: got 25; Input should be less than or equal to 24"),
    ("groups.0.cutoff_hours", -1, "groups[0].cutoff_hours: got -1; Input should be greater than or equal to 0"),
    ("groups.0.approve_after_days", 361, "groups[0].approve_after_days: got 361; Input should be less than"),
    ("groups.0.compliance_level", "SEVERE", "groups[0].compliance_level: got 'SEVERE'; Input should be 'CRITICAL'"),
    ("groups.0.reboot_option", "Reboot", "groups[0].reboot_option: got 'Reboot'; Input should be 'RebootIfNeeded'"),
    ("groups.0.max_concurrency", "0", "groups[0].max_concurrency: got '0'; max_concurrency must be a count"),
    ("groups.0.max_errors", "101%", "groups[0].max_errors: got '101%'; max_errors must be 0, a count"),
    ("groups.0.baseline_filters", {"UBUNTU": {"PRIORITY": ["Required"]}}, "names UBUNTU, which is not in"),
    ("groups.0.baseline_filters", {"WINDOWS": {"SEVERITY": ["Critical"]}}, "key SEVERITY is not valid for WINDOWS"),
    ("groups.0.baseline_filters", {"WINDOWS": {"CLASSIFICATION": []}}, "groups[0].baseline_filters.WINDOWS"),
    (
        "groups.0.baseline_filters",
        {"WINDOWS": {"CLASSIFICATION": ["x"] * 21}},
        "groups[0].baseline_filters.WINDOWS.CLASSIFICATION: got ['x', 'x',",
    ),
    (
        "groups.0.baseline_filters",
        {"WINDOWS": {"PRODUCT": ["x" * 65]}},
        "groups[0].baseline_filters.WINDOWS.PRODUCT[0]: got 'xxxx",
    ),
    ("groups.0.hooks.service", "web app", "groups[0].hooks.service: got 'web app'; must be 1 to 200 characters"),
    (
        "groups.0.hooks.service",
        {"linux": "web app"},
        "groups[0].hooks.service.linux: got 'web app'; must be 1 to 200 characters",
    ),
    (
        "groups.0.hooks.service",
        {"linux": "web-app"},
        "groups[0]: got the entry; hooks.service needs a value for Windows; got hooks.service={'linux': 'web-app'}",
    ),
    (
        "groups.0.baseline_filters",
        {
            "WINDOWS": {
                "PATCH_SET": ["OS"],
                "PRODUCT": ["*"],
                "PRODUCT_FAMILY": ["*"],
                "CLASSIFICATION": ["*"],
                "MSRC_SEVERITY": ["*"],
            }
        },
        "groups[0]: got the entry; baseline_filters[WINDOWS] must hold 0 to 4 items; got 5",
    ),
    (
        "groups.0.baseline_filters",
        {"WINDOWS": {"PATCH_SET": ["Apps"]}},
        "groups[0]: got the entry; PATCH_SET filter values must be OS or APPLICATION; got 'Apps'",
    ),
    (
        "groups.0.hooks.service",
        "NUL",
        "groups[0]: got the entry; hooks.service must not contain ':' or be a Windows device name",
    ),
    (
        "groups.0.hooks.service",
        {"linux": "web-app", "macos": "x"},
        "groups[0].hooks.service.macos: unknown field",
    ),
    ("groups.0.hooks.port", 70000, "groups[0].hooks.port: got 70000; Input should be less than or equal to 65535"),
    (
        "groups.0.hooks.update_command",
        "a; b",
        "groups[0].hooks.update_command: got 'a; b'; must be one program and its arguments",
    ),
    (
        "groups.0.hooks.update_command",
        {"linux": "PATH=/opt/bin update"},
        "groups[0].hooks.update_command.linux: got 'PATH=/opt/bin update'; the command must start with the program",
    ),
    (
        "groups.0.hooks.update_command",
        "dnf -y upgrade web-app",
        "groups[0]: got the entry; hooks.update_command would run the same command line on Linux and Windows; give it "
        "per platform, as update_command: {linux: ..., windows: ...}; got hooks.update_command='dnf -y upgrade web-app'",
    ),
    (
        "groups.0.hooks.update_command",
        {"windows": "C:\\web\\update.exe", "linux": "sh -c 'x'"},
        "groups[0].hooks.update_command.linux: got \"sh -c 'x'\"; must be one program and its arguments",
    ),
    (
        "groups.0.hooks.health_url",
        "http://169.254.169.254/latest/meta-data/",
        "groups[0].hooks.health_url: got 'http://169.254.169.254/latest/meta-data/'; must be an http:// or https:// URL "
        "on a loopback address",
    ),
    (
        "groups.0.hooks.health_port",
        8080,
        "groups[0].hooks: got the entry; provide either health_url or health_port, not both",
    ),
    (
        "groups.0.hooks.start_timeout_seconds",
        2,
        "groups[0].hooks.start_timeout_seconds: got 2; Input should be greater",
    ),
    ("groups.0.hooks.stop_timeout_seconds", 0, "groups[0].hooks.stop_timeout_seconds: got 0; Input should be greater"),
    ("environments.0.name", "Dev", "environments[0].name: got 'Dev'; must be 2 to 12 lower-case letters and digits"),
    ("environments.0.accounts.0", 111111111111, "environments[0].accounts[0]: got 111111111111; must be a quoted"),
    ("environments.0.accounts.0", "1111", "environments[0].accounts[0]: got '1111'; must be 12 digits"),
    ("environments.0.accounts", [], "environments[0]: got the entry; give accounts (CDK stages), organizational_units"),
    (
        "environments.0.accounts",
        ["111111111111"] * 2,
        "environments[0]: got the entry; accounts must not repeat a value; got '111111111111' twice",
    ),
    ("environments.1.organizational_units.0", "ou-x", "environments[1].organizational_units[0]: got 'ou-x'; must be"),
    ("environments.0.regions.0", "eu-west", "environments[0].regions[0]: got 'eu-west'; must be a region name"),
    ("environments.0.regions", [], "environments[0].regions: got []; List should have at least 1 item"),
    ("environments.0.max_concurrent_percentage", 0, "environments[0].max_concurrent_percentage: got 0; Input"),
    ("environments.0.failure_tolerance_percentage", 101, "environments[0].failure_tolerance_percentage: got 101"),
    ("environments.0.region_concurrency", "ALL", "environments[0].region_concurrency: got 'ALL'; Input should be"),
    ("groups.0.overrides", {"prod": {"cutoff_hours": 30}}, "groups[0].overrides.prod.cutoff_hours: got 30; Input"),
    ("environments.0.overrides.max_errors", "x", "environments[0].overrides.max_errors: got 'x'; max_errors must"),
    ("output", {"s3": False, "cloudwatch": False}, "output: got the entry; set s3, cloudwatch or both to true"),
    ("output", {"retention_days": 91}, "output.retention_days: got 91; must be a CloudWatch Logs retention: 1, 3, 5"),
    ("stack_set_call_as", "ADMIN", "stack_set_call_as: got 'ADMIN'; Input should be 'SELF' or 'DELEGATED_ADMIN'"),
    (
        "groups.0.hooks.update_timeout_seconds",
        300,
        "update_timeout_seconds needs update_command: without it, update_timeout_seconds does nothing",
    ),
    # Off-instance steps: names only (one template serves every account), IAM-safe, timeouts in range.
    (
        "groups.0.load_balancer",
        {"target_groups": ["arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/0123456789abcdef"]},
        "groups[0].load_balancer.target_groups[0]: got 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:target"
        "group/web/0123456789abcdef'; must be 1 to 32 letters, digits and hyphens, no hyphen first or last",
    ),
    ("groups.0.load_balancer", {"target_groups": []}, "groups[0].load_balancer.target_groups: got []; List should"),
    (
        "groups.0.load_balancer",
        {"target_groups": ["web", "web"]},
        "groups[0].load_balancer: got the entry; target_groups must not repeat a value; got 'web' twice",
    ),
    (
        "groups.0.load_balancer",
        {"target_groups": ["web"], "drain_timeout_seconds": 10},
        "groups[0].load_balancer.drain_timeout_seconds: got 10; Input should be greater than or equal to 30",
    ),
    ("groups.0.load_balancer", {"target_groups": ["web"], "drain_timeout": 60}, "did you mean drain_timeout_seconds?"),
    (
        "groups.0.auto_scaling",
        {"groups": ["web-*"]},
        "groups[0].auto_scaling.groups[0]: got 'web-*'; must be 1 to 255 characters, without colons, *, ?, braces",
    ),
    (
        "groups.0.auto_scaling",
        {"groups": ["web"], "timeout_seconds": 7201},
        "groups[0].auto_scaling.timeout_seconds: got 7201; Input should be less than or equal to 7200",
    ),
    (
        "groups.0.auto_scaling",
        {"groups": ["web"], "decrement_desired_capacity": "sometimes"},
        "groups[0].auto_scaling.decrement_desired_capacity: got 'sometimes'; Input should be a valid boolean",
    ),
    (
        "groups.0.load_balancer",
        {"target_groups": ["web"], "drain_timeout_seconds": True},
        "groups[0].load_balancer.drain_timeout_seconds: got True; Input should be a valid integer",
    ),
    (
        "groups.0.auto_scaling",
        {"groups": ["web"], "decrement_desired_capacity": "no"},
        "groups[0].auto_scaling.decrement_desired_capacity: got 'no'; Input should be a valid boolean",
    ),
    (
        "groups.0.overrides",
        {"prod": {"load_balancer": {"target_groups": ["web"]}}},
        "groups[0].overrides.prod.load_balancer: is a group field; it can't change per environment",
    ),
    ("name", "awsome", "name: got 'awsome'; must not start with aws, amazon or amzn"),
    (
        "reporting",
        {
            "account": "444444444444",
            "region": "eu-west-1",
            "bucket_name": "acme-reports",
            "kms_key_arn": "arn:aws:kms:us-east-1:444444444444:key/0b3e5a8c",
        },
        "reporting: got the entry; kms_key_arn is in us-east-1; it must be in the bucket's region eu-west-1",
    ),
    (
        "reporting",
        {
            "account": 444444444444,
            "region": "eu-west-1",
            "bucket_name": "acme-reports",
            "kms_key_arn": "arn:aws:kms:eu-west-1:444444444444:key/0b3e5a8c",
        },
        "reporting.account: got 444444444444; must be a quoted string of 12 digits",
    ),
    (
        "reporting",
        {
            "account": "444444444444",
            "region": "eu-west-1",
            "bucket_name": "Acme_Reports",
            "kms_key_arn": "arn:aws:kms:eu-west-1:444444444444:key/0b3e5a8c",
        },
        "reporting.bucket_name: got 'Acme_Reports'; must be an S3 bucket name",
    ),
    (
        "groups.0.patch_timeout_seconds",
        3600,
        "patch_timeout_seconds needs load_balancer or auto_scaling: without it, patch_timeout_seconds does nothing",
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), WRONG_FIELDS, ids=[case[0] for case in WRONG_FIELDS])
def test_a_wrong_field_is_named(path: str, value: Any, expected: str) -> None:
    problems = problems_of(with_change(path, value))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_every_wrong_field_is_reported_at_once() -> None:
    data = with_change("name", "a")
    data["environments"][1]["regions"] = ["nowhere"]
    assert problems_of(data) == [
        "name: got 'a'; must be 2 to 20 letters, digits and hyphens, first a letter",
        "environments[1].regions[0]: got 'nowhere'; must be a region name such as eu-west-1",
    ]


def test_duplicate_groups_and_environments_are_named() -> None:
    data = valid()
    data["groups"].append(copy.deepcopy(data["groups"][0]) | {"patch_group": "other"})
    data["environments"].append(copy.deepcopy(data["environments"][0]) | {"accounts": ["222222222222"]})
    assert problems_of(data) == [
        "groups[1].name: got 'web'; must be unique, groups[0] has it already",
        "environments[2].name: got 'dev'; must be unique, environments[0] has it already",
    ]


def test_a_shared_patch_group_is_named() -> None:
    data = valid()
    data["groups"].append({"name": "api", "patch_group": "web", "operating_systems": ["WINDOWS"]})
    assert problems_of(data) == ["groups[1].patch_group: got 'web'; must be unique, groups[0] has it already"]


def test_an_account_in_two_environments_of_one_region_is_named() -> None:
    data = valid()
    data["environments"][1]["accounts"] = ["111111111111"]
    assert problems_of(data) == [
        "environments[1].accounts[0]: got '111111111111'; it is in environment dev already in eu-west-1, "
        "and an account or OU belongs to one environment a region"
    ]


def test_a_window_wrong_in_one_environment_names_group_and_environment() -> None:
    data = with_change("groups.0.duration_hours", 2)
    data["environments"][1]["overrides"] = {"cutoff_hours": 2}
    assert problems_of(data) == [
        "groups[0]: in environment prod, cutoff_hours must be shorter than duration_hours; "
        "got cutoff_hours=2, duration_hours=2"
    ]


def test_a_runbook_longer_than_one_environments_window_names_it() -> None:
    data = with_change("groups.0.auto_scaling", {"groups": ["web-asg"]})
    data["groups"][0]["load_balancer"] = {"target_groups": ["web"]}
    data["groups"][0]["duration_hours"] = 3
    data["environments"][1]["overrides"] = {"duration_hours": 2}
    # 120 min patch + 6 + 10 min for the target group + 2 x 10 min standby = 156 min: fits 3 h, not 2 h.
    assert problems_of(data) == [
        "groups[0]: in environment prod, the patch timeout plus the drain, standby, health and step timeouts "
        "(156 min) must fit in the window's duration (120 min): an instance that takes them all would outlast "
        "the window; shorten the timeouts or lengthen the window"
    ]
    data["groups"][0]["patch_timeout_seconds"] = 3600
    assert FleetDescription.from_data(data).groups[0].runbook_worst_seconds() == 96 * 60


def test_off_instance_steps_are_optional_and_read_with_their_defaults() -> None:
    data = with_change("groups.0.load_balancer", {"target_groups": ["acme-web", "a" * 32]})
    data["groups"][0]["auto_scaling"] = {"groups": ["acme web (prod)"], "decrement_desired_capacity": False}
    group = FleetDescription.from_data(data).groups[0]
    assert group.has_runbook
    assert group.load_balancer is not None
    assert group.auto_scaling is not None
    assert (group.load_balancer.drain_timeout_seconds, group.load_balancer.health_timeout_seconds) == (360, 600)
    assert (group.auto_scaling.timeout_seconds, group.auto_scaling.decrement_desired_capacity) == (600, False)
    assert not FleetDescription.from_data(valid()).groups[0].has_runbook


def test_an_offset_needs_a_cron_schedule() -> None:
    data = with_change("defaults", {"schedule": "rate(7 days)", "schedule_offset": 2})
    data["environments"] = data["environments"][:1]
    assert problems_of(data) == [
        "groups[0]: in environment dev, schedule_offset works with cron schedules only; got schedule=rate(7 days)"
    ]


def test_python_construction_raises_a_value_error_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"groups\.0\.hooks\.service"):
        FleetDescription(**with_change("groups.0.hooks.service", "web app"))


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("fleet.toml", "", "the file must end in .yaml, .yml or .json; got '.toml'"),
        ("fleet.yaml", "name: [unclosed", "can't be read: while parsing a flow sequence"),
        ("fleet.json", "{", "can't be read: Expecting property name enclosed in double quotes"),
        ("fleet.yaml", "- just a list", "must be a mapping with name, groups and environments; got ['just a list']"),
    ],
)
def test_an_unreadable_file_is_refused(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FleetFileError) as raised:
        FleetDescription.from_file(path)
    assert raised.value.source == str(path)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(expected)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FleetFileError, match=r"can't be read: .*No such file"):
        FleetDescription.from_file(tmp_path / "absent.yaml")


def test_the_typed_python_objects_describe_the_same_fleet() -> None:
    typed = FleetDescription(
        name="acme",
        groups=[
            PatchGroupSpec(
                name="web",
                operating_systems=[OperatingSystem.AMAZON_LINUX_2023, OperatingSystem.WINDOWS],
                hooks=HookSpec(service="web-app", health_url="http://127.0.0.1:8080/health"),
            )
        ],
        environments=[
            EnvironmentSpec(name="dev", accounts=["111111111111"], regions=["eu-west-1"]),
            EnvironmentSpec(name="prod", organizational_units=["ou-ab12-prodprod"], regions=["eu-west-1", "us-east-1"]),
        ],
    )
    assert typed == FleetDescription.from_data(valid())
    with pytest.raises(ValueError, match=r"must be 12 digits"):
        EnvironmentSpec(name="dev", accounts=["1234"], regions=["eu-west-1"])


BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: [*i]
"""


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    bomb = tmp_path / "fleet.yaml"
    bomb.write_text(BOMB)
    with pytest.raises(FleetFileError) as refused:
        FleetDescription.from_file(bomb)
    (problem,) = refused.value.problems
    assert problem.startswith("can't be read: aliases (*name) are not allowed; use defaults and overrides")
    assert len(str(refused.value)) < 600


def test_an_anchor_without_an_alias_is_fine(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "examples" / "organization" / "fleet.yaml").read_text()
    anchored = tmp_path / "fleet.yaml"
    anchored.write_text(text.replace("name: acme", "name: &fleet acme", 1))
    assert FleetDescription.from_file(anchored).name == "acme"


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "fleet.yaml"
    huge.write_text("# " + "x" * (1024 * 1024) + "\n")
    with pytest.raises(FleetFileError, match=r"is 1048579 bytes; a fleet file may hold at most 1048576"):
        FleetDescription.from_file(huge)


def test_a_long_wrong_value_is_shown_cut(tmp_path: Path) -> None:
    with pytest.raises(FleetFileError) as refused:
        FleetDescription.from_data(with_change("groups.0.hooks.service", "web app " * 500))
    (problem,) = refused.value.problems
    assert problem.startswith("groups[0].hooks.service: got 'web app web app")
    assert "... (4002 characters)" in problem
    assert len(problem) < 700
