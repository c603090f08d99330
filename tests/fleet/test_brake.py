"""The brake across a fleet's waves: forwarding in earlier environments, halting in later ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aws_cdk import Environment
from moto.events.models import EventPattern

from constructs_lib import FleetDescription, FleetPatchingStack
from tests.builders import new_app, template

DEV, PROD_A, PROD_B = "111111111111", "222222222222", "333333333333"


def fleet(**changes: Any) -> FleetDescription:
    data: dict[str, Any] = {
        "name": "acme",
        "defaults": {"schedule": "cron(0 3 ? * TUE#2 *)", "duration_hours": 4},
        "groups": [
            {"name": "web", "operating_systems": ["AMAZON_LINUX_2023"]},
            {"name": "batch", "operating_systems": ["AMAZON_LINUX_2023"]},
        ],
        "environments": [
            {
                "name": "dev",
                "accounts": [DEV],
                "regions": ["eu-west-1", "us-east-1"],
                "overrides": {"schedule_offset": 1},
            },
            {
                "name": "prod",
                "accounts": [PROD_A, PROD_B],
                "regions": ["eu-west-1"],
                "overrides": {"schedule_offset": 5},
            },
        ],
    }
    return FleetDescription.from_data(data | changes)


def stack(
    description: FleetDescription, environment: str, account: str, region: str = "eu-west-1"
) -> FleetPatchingStack:
    return FleetPatchingStack(
        new_app(),
        "Patching",
        fleet=description,
        environment=environment,
        env=Environment(account=account, region=region),
    )


def resources(body: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {k: r["Properties"] for k, r in body["Resources"].items() if r["Type"] == kind}


def test_an_earlier_environment_forwards_its_failures_to_every_later_bus() -> None:
    dev = stack(fleet(), "dev", DEV)
    body = template(dev).to_json()
    (rule,) = resources(body, "AWS::Events::Rule").values()
    windows = {k for k in resources(body, "AWS::SSM::MaintenanceWindow")}
    assert {json.dumps(ref) for ref in rule["EventPattern"]["detail"]["window-id"]} == {
        json.dumps({"Ref": w}) for w in windows
    }
    assert rule["EventPattern"]["detail"]["status"] == ["FAILED", "TIMED_OUT"]
    buses = sorted(json.dumps(target["Arn"]) for target in rule["Targets"])
    assert len(buses) == 2
    assert all(":event-bus/default" in bus for bus in buses)
    assert any(PROD_A in bus for bus in buses)
    assert any(PROD_B in bus for bus in buses)
    assert resources(body, "AWS::SSM::Parameter") == {}  # the first wave halts nothing
    (role,) = [r for k, r in resources(body, "AWS::IAM::Role").items() if k.startswith("ForwardFailuresRole")]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    (policy,) = [p for k, p in resources(body, "AWS::IAM::Policy").items() if k.startswith("ForwardFailuresRole")]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert len(statement["Resource"]) == 2


def test_a_later_environment_accepts_only_earlier_accounts_and_halts_its_own_windows() -> None:
    prod = stack(fleet(), "prod", PROD_A)
    body = template(prod).to_json()
    (policy,) = resources(body, "AWS::Events::EventBusPolicy").values()
    assert policy["Statement"]["Principal"] == {"AWS": f"arn:aws:iam::{DEV}:root"}
    assert policy["Statement"]["Action"] == "events:PutEvents"
    assert prod.brake is not None
    (rule,) = resources(body, "AWS::Events::Rule").values()  # the last wave forwards nothing
    pattern = rule["EventPattern"]
    assert pattern["$or"] == [{"account": [DEV], "region": ["eu-west-1"]}, {"account": [DEV], "region": ["us-east-1"]}]
    (topic,) = resources(body, "AWS::SNS::Topic").values()
    assert topic["TopicName"] == "acme-prod-patch-halts"
    assert body["Outputs"]["HaltTopicArn"]["Value"] == {"Ref": next(iter(resources(body, "AWS::SNS::Topic")))}
    own = {json.dumps({"Ref": k}) for k in resources(body, "AWS::SSM::MaintenanceWindow")}
    assert {json.dumps(ref) for ref in pattern["detail"]["window-id"][0]["anything-but"]} == own
    gates = [t for t in resources(body, "AWS::SSM::MaintenanceWindowTask").values() if t["TaskType"] == "AUTOMATION"]
    assert len(gates) == 2
    assert len(resources(body, "AWS::SSM::Parameter")) == 2
    role = next(r for k, r in resources(body, "AWS::IAM::Role").items() if k.startswith("WindowRole"))
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(s["Action"] == "ssm:StartAutomationExecution" for s in statements)


def concrete(pattern: dict[str, Any], own: list[str]) -> dict[str, Any]:
    concrete_pattern: dict[str, Any] = json.loads(json.dumps(pattern))
    concrete_pattern["detail"]["window-id"] = [{"anything-but": own}]
    return concrete_pattern


@pytest.mark.parametrize(
    ("account", "region", "window", "status", "matches"),
    [
        (DEV, "us-east-1", "mw-0d0d0d0d0d0d0d0d0", "FAILED", True),
        (DEV, "eu-west-1", "mw-0d0d0d0d0d0d0d0d0", "TIMED_OUT", True),
        (DEV, "eu-west-1", "mw-0d0d0d0d0d0d0d0d0", "SUCCESS", False),
        (PROD_B, "eu-west-1", "mw-0d0d0d0d0d0d0d0d0", "FAILED", False),
        (DEV, "ap-south-1", "mw-0d0d0d0d0d0d0d0d0", "FAILED", False),
        (DEV, "eu-west-1", "mw-0a0a0a0a0a0a0a0a0", "FAILED", False),  # our own window
    ],
)
def test_the_halt_pattern_on_forwarded_events(
    account: str, region: str, window: str, status: str, matches: bool
) -> None:
    body = template(stack(fleet(), "prod", PROD_A)).to_json()
    (rule,) = resources(body, "AWS::Events::Rule").values()
    pattern = EventPattern.load(json.dumps(concrete(rule["EventPattern"], ["mw-0a0a0a0a0a0a0a0a0"])))
    event = {
        "source": "aws.ssm",
        "detail-type": "Maintenance Window Execution State-change Notification",
        "account": account,
        "region": region,
        "detail": {
            "window-id": window,
            "window-execution-id": "b60fb56e-776c-4e5c-84ee-123456789012",
            "status": status,
        },
    }
    assert pattern.matches_event(cast(Any, event)) is matches


def test_off_means_no_brake() -> None:
    body = template(stack(fleet(halt_later_waves_on_failure=False), "prod", PROD_A)).to_json()
    assert resources(body, "AWS::Events::Rule") == {}
    assert resources(body, "AWS::SSM::Parameter") == {}


def test_a_stack_set_template_has_no_brake() -> None:
    description = fleet()
    agnostic = FleetPatchingStack(new_app(), "Patching", fleet=description, environment="prod")
    assert agnostic.brake is None
    assert "AWS::Events::Rule" not in json.dumps(template(agnostic).to_json())


def test_more_than_five_later_places_take_several_rules() -> None:
    environments = [
        {"name": "dev", "accounts": [DEV], "regions": ["eu-west-1"], "overrides": {"schedule_offset": 1}},
        {
            "name": "prod",
            "accounts": [f"22222222222{n}" for n in range(3)],
            "regions": ["eu-west-1", "us-east-1"],
            "overrides": {"schedule_offset": 5},
        },
    ]
    body = template(stack(fleet(environments=environments), "dev", DEV)).to_json()
    rules = resources(body, "AWS::Events::Rule").values()
    assert sorted(len(rule["Targets"]) for rule in rules) == [1, 5]


def test_a_later_environment_opening_while_an_earlier_window_runs_is_refused() -> None:
    environments = [
        {"name": "dev", "accounts": [DEV], "regions": ["eu-west-1"], "overrides": {"schedule_offset": 1}},
        {
            "name": "prod",
            "accounts": [PROD_A],
            "regions": ["eu-west-1"],
            "overrides": {"schedule_offset": 1, "schedule": "cron(0 5 ? * TUE#2 *)"},
        },
    ]
    with pytest.raises(
        ValueError,
        match=r"wave prod/web opens .* while the window of wave dev/web that opened .* may still run: the brake would come "
        r"too late; give prod a later",
    ):
        stack(fleet(environments=environments), "prod", PROD_A)


def test_the_example_fleet_is_in_order_whatever_the_day() -> None:
    from examples.organization.app import FLEET_FILE

    description = FleetDescription.from_file(FLEET_FILE)
    for half_days in range(70):  # a whole monthly cycle and more, Patch Tuesday's week included
        now = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=12 * half_days)
        assert description.brake_order_problem("prod", now) is None, now


def test_only_the_earlier_places_themselves_halt_not_every_account_with_every_region() -> None:
    """dev at (A, eu-west-1), stage at (B, us-east-1), prod at (A, us-east-1): another team's failed window in
    prod's own place, or in (B, eu-west-1), must not halt prod."""
    a, b = DEV, PROD_A
    environments = [
        {"name": "dev", "accounts": [a], "regions": ["eu-west-1"], "overrides": {"schedule_offset": 1}},
        {"name": "stage", "accounts": [b], "regions": ["us-east-1"], "overrides": {"schedule_offset": 3}},
        {"name": "prod", "accounts": [a], "regions": ["us-east-1"], "overrides": {"schedule_offset": 5}},
    ]
    body = template(stack(fleet(environments=environments), "prod", a, "us-east-1")).to_json()
    (rule,) = resources(body, "AWS::Events::Rule").values()
    pattern = EventPattern.load(json.dumps(concrete(rule["EventPattern"], ["mw-0a0a0a0a0a0a0a0a0"])))

    def failed_in(account: str, region: str) -> bool:
        event = {
            "source": "aws.ssm",
            "detail-type": "Maintenance Window Execution State-change Notification",
            "account": account,
            "region": region,
            "detail": {"window-id": "mw-0d0d0d0d0d0d0d0d0", "status": "FAILED"},
        }
        return bool(pattern.matches_event(cast(Any, event)))

    assert failed_in(a, "eu-west-1")
    assert failed_in(b, "us-east-1")
    assert not failed_in(a, "us-east-1")
    assert not failed_in(b, "eu-west-1")


def runbook_fleet() -> FleetDescription:
    """The web group behind a target group: it patches through its runbook, an AUTOMATION task."""
    description = fleet()
    data = description.model_dump(mode="json", exclude_none=True)
    data["groups"][0]["load_balancer"] = {"target_groups": ["acme-web"]}
    return FleetDescription.from_data(data)


def test_an_earlier_environment_forwards_its_runbooks_failures_too() -> None:
    body = template(stack(runbook_fleet(), "dev", DEV)).to_json()
    rules = resources(body, "AWS::Events::Rule")
    (forward,) = [r for k, r in rules.items() if k.startswith("ForwardRunbookFailures")]
    assert forward["EventPattern"] == {
        "source": ["aws.ssm"],
        "detail-type": ["EC2 Automation Execution Status-change Notification"],
        "detail": {"Definition": ["acme-dev-web-PatchRunbook"], "Status": ["Failed", "TimedOut"]},
    }
    windows = [r for k, r in rules.items() if k.startswith("ForwardFailures")]
    assert len(windows) == 1
    assert forward["Targets"] == windows[0]["Targets"]  # the same buses, through the same role
    names = [d.get("Name") for d in resources(body, "AWS::SSM::Document").values()]
    assert "acme-dev-web-PatchRunbook" in names


@pytest.mark.parametrize(
    ("account", "region", "definition", "status", "matches"),
    [
        (DEV, "us-east-1", "acme-dev-web-PatchRunbook", "Failed", True),
        (DEV, "eu-west-1", "acme-dev-web-PatchRunbook", "TimedOut", True),
        (DEV, "eu-west-1", "acme-dev-web-PatchRunbook", "Success", False),
        (DEV, "eu-west-1", "acme-prod-web-PatchRunbook", "Failed", False),  # our own runbook
        (DEV, "eu-west-1", "acme-dev-batch-PatchRunbook", "Failed", False),  # batch has no runbook
        (PROD_B, "eu-west-1", "acme-dev-web-PatchRunbook", "Failed", False),
        (DEV, "ap-south-1", "acme-dev-web-PatchRunbook", "Failed", False),
    ],
)
def test_a_later_environment_halts_on_an_earlier_runbooks_failure(
    account: str, region: str, definition: str, status: str, matches: bool
) -> None:
    prod = stack(runbook_fleet(), "prod", PROD_A)
    body = template(prod).to_json()
    assert prod.brake is not None
    rule = resources(body, "AWS::Events::Rule")[prod.get_logical_id(prod.brake.rules[1])]
    halt = resources(body, "AWS::SSM::Document")[prod.get_logical_id(prod.brake._halt_runbooks[1])]
    assert halt["Content"]["parameters"]["Status"]["allowedValues"] == ["Failed", "TimedOut"]
    pattern = EventPattern.load(json.dumps(rule["EventPattern"]))
    event = {
        "source": "aws.ssm",
        "detail-type": "EC2 Automation Execution Status-change Notification",
        "account": account,
        "region": region,
        "detail": {"ExecutionId": "333ba70b-2333-48db-b17e-a5e69c6f4d1c", "Definition": definition, "Status": status},
    }
    assert pattern.matches_event(cast(Any, event)) is matches


def test_without_runbooks_no_runbook_rule_is_added() -> None:
    for environment, account in (("dev", DEV), ("prod", PROD_A)):
        text = json.dumps(template(stack(fleet(), environment, account)).to_json())
        assert "EC2 Automation Execution" not in text
