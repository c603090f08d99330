"""The organisation example: stages for 3 accounts in 2 regions and OU-targeted StackSets, checked for real.

One strict synth of examples/organization/app.py (the built-in validator in strict mode over the stages,
the management stack and each StackSet template), then cfn-lint over every template.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from constructs_lib import FleetDescription, FleetPatchingStack
from constructs_lib.fleet.stack_sets import MAX_TEMPLATE_BODY_BYTES
from examples.organization.app import FLEET_FILE, build
from tests.builders import CDK_CONTEXT, ROOT, synth_assembly
from tests.lint import cfn_lint

REGIONS = ["eu-west-1", "us-east-1"]
# Names that must not repeat in one account and region (roles: in one account, IAM is global).
NAMED = {
    "AWS::SSM::Document": "Name",
    "AWS::SSM::MaintenanceWindow": "Name",
    "AWS::SSM::PatchBaseline": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
}
IAM_TYPES = ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("organization")
    app = App(outdir=str(outdir), context=CDK_CONTEXT, analytics_reporting=False)
    build(app, FleetDescription.from_file(FLEET_FILE))
    app.synth()  # strict mode: raises on any validator error
    return outdir


def manifest(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    return loaded


def stage_stacks(assembly: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(artifact, template) of each stack in each stage of the assembly."""
    for artifact in manifest(assembly)["artifacts"].values():
        if artifact["type"] != "cdk:cloud-assembly":
            continue
        stage = assembly / artifact["properties"]["directoryName"]
        for nested in manifest(stage)["artifacts"].values():
            if nested["type"] == "aws:cloudformation:stack":
                yield nested, json.loads((stage / nested["properties"]["templateFile"]).read_text())


def management_template(assembly: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((assembly / "StackSets.template.json").read_text())
    return loaded


def stack_set_templates(assembly: Path) -> dict[str, dict[str, Any]]:
    """Each StackSet's template by StackSet name, read from the staged asset or the inline body."""
    templates = {}
    for resource in management_template(assembly)["Resources"].values():
        if resource["Type"] != "AWS::CloudFormation::StackSet":
            continue
        properties = resource["Properties"]
        if "TemplateBody" in properties:
            templates[properties["StackSetName"]] = json.loads(properties["TemplateBody"])
        else:
            templates[properties["StackSetName"]] = json.loads(staged_template(assembly, properties).read_text())
    return templates


def staged_template(assembly: Path, properties: dict[str, Any]) -> Path:
    """The staged file behind a TemplateURL: the asset whose object key the URL ends with."""
    files = json.loads((assembly / "StackSets.assets.json").read_text())["files"]
    url = json.dumps(properties["TemplateURL"])
    (source,) = [entry["source"]["path"] for asset_hash, entry in files.items() if f"/{asset_hash}.json" in url]
    return assembly / str(source)


def test_one_stage_per_environment_account_and_region(assembly: Path) -> None:
    places = sorted(
        (artifact["displayName"], artifact["environment"], artifact["properties"]["stackName"])
        for artifact, _ in stage_stacks(assembly)
    )
    expected = [
        (f"acme-{env}-{account}-{region}/Patching", f"aws://{account}/{region}", f"acme-{env}-patching")
        for env, accounts in (("dev", ["111111111111"]), ("prod", ["222222222222", "333333333333"]))
        for account, region in itertools.product(accounts, REGIONS)
    ]
    assert places == sorted(expected)


def test_stage_descriptions_show_the_rollout_order(assembly: Path) -> None:
    descriptions = {
        artifact["displayName"].split("-")[1]: template["Description"] for artifact, template in stage_stacks(assembly)
    }
    assert descriptions == {
        "dev": "acme patching with lifecycle hooks: wave 1 of 2 (dev, first)",
        "prod": "acme patching with lifecycle hooks: wave 2 of 2 (prod, after dev)",
    }


def test_environment_overrides_reach_the_stages(assembly: Path) -> None:
    found = set()
    for artifact, template in stage_stacks(assembly):
        environment = artifact["properties"]["stackName"].split("-")[1]
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::SSM::PatchBaseline":
                days = resource["Properties"]["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"]
                found.add((environment, "approve_after_days", days))
            if resource["Type"] == "AWS::SSM::MaintenanceWindow":
                found.add((environment, "schedule_offset", resource["Properties"]["ScheduleOffset"]))
    assert found == {
        ("dev", "approve_after_days", 0),
        ("prod", "approve_after_days", 7),
        ("dev", "schedule_offset", 1),
        ("prod", "schedule_offset", 5),
    }


def test_the_strict_validator_reported_nothing(assembly: Path) -> None:
    report = json.loads((assembly / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def _lint(template: dict[str, Any]) -> list[str]:
    return cfn_lint(template, regions=tuple(REGIONS))


def test_every_template_passes_cfn_lint(assembly: Path) -> None:
    templates = [template for _, template in stage_stacks(assembly)]
    templates += [management_template(assembly), *stack_set_templates(assembly).values()]
    assert len(templates) == 6 + 1 + 2
    assert [_lint(template) for template in templates] == [[]] * len(templates)


def _resolve(value: Any, region: str) -> str:
    """A name as CloudFormation resolves it in ``region`` (literal or Fn::Join with AWS::Region)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        assert value["Ref"] == "AWS::Region", value
        return region
    separator, parts = value["Fn::Join"]
    return str(separator).join(_resolve(part, region) for part in parts)


def _names(template: dict[str, Any], region: str) -> Iterator[tuple[str, str]]:
    for resource in template["Resources"].values():
        key = NAMED.get(resource["Type"])
        if key and key in resource["Properties"]:  # a generated name is unique by construction
            yield resource["Type"], _resolve(resource["Properties"][key], region)


def test_names_are_unique_per_account_and_region(assembly: Path) -> None:
    ssm_names: Counter[tuple[str, str, str, str]] = Counter()
    iam_names: Counter[tuple[str, str, str]] = Counter()
    # Stages deploy into accounts; each StackSet deploys its template to every account of its OUs.
    deployments = [
        (artifact["environment"].split("/")[2], artifact["environment"].split("/")[3], template)
        for artifact, template in stage_stacks(assembly)
    ]
    fleet = FleetDescription.from_file(FLEET_FILE)
    templates = stack_set_templates(assembly)
    for environment in fleet.environments:
        for ou, region in itertools.product(environment.organizational_units, environment.regions):
            deployments.append((f"an account of {ou}", region, templates[f"acme-{environment.name}-patching"]))
    for account, region, template in deployments:
        for resource_type, name in _names(template, region):
            if resource_type in IAM_TYPES:
                iam_names[account, resource_type, name] += 1
                assert len(name) <= (64 if resource_type == "AWS::IAM::Role" else 128), name
            else:
                ssm_names[account, region, resource_type, name] += 1
    # web: 3 hook documents, its runbook, 1 window, 2 baselines; batch: 3, 1, 1
    assert len(ssm_names) == (6 + 4) * 12
    assert [key for key, count in (ssm_names + iam_names).items() if count > 1] == []
    assert len(iam_names) == (6 + 4) * 2  # a window role and an output policy per account and region


def test_stack_sets_target_ous_in_order(assembly: Path) -> None:
    resources = management_template(assembly)["Resources"]
    stack_sets = {
        r["Properties"]["StackSetName"]: (logical_id, r)
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::CloudFormation::StackSet"
    }
    assert sorted(stack_sets) == ["acme-dev-patching", "acme-prod-patching"]
    dev_id, dev = stack_sets["acme-dev-patching"]
    _, prod = stack_sets["acme-prod-patching"]
    assert "DependsOn" not in dev
    assert prod["DependsOn"] == [dev_id]  # CloudFormation rolls dev out before prod
    properties = prod["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert properties["CallAs"] == "SELF"
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert properties["StackInstancesGroup"] == [
        {"DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-prodprod"]}, "Regions": REGIONS}
    ]
    assert properties["OperationPreferences"] == {
        # SOFT: 25 % of the accounts at once; STRICT (CloudFormation's default) would cap it at tolerance + 1.
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
        "FailureTolerancePercentage": 10,
        "MaxConcurrentPercentage": 25,
        "RegionConcurrencyType": "SEQUENTIAL",
        "RegionOrder": REGIONS,
    }
    assert properties["Description"] == "acme patching with lifecycle hooks: wave 2 of 2 (prod, after dev)"


def test_a_large_stack_set_template_is_served_from_the_management_stacks_assets(assembly: Path) -> None:
    resources = management_template(assembly)["Resources"]
    stack_set = next(r for r in resources.values() if r["Type"] == "AWS::CloudFormation::StackSet")
    assert "TemplateBody" not in stack_set["Properties"]
    assert "TemplateURL" in stack_set["Properties"]
    staged = staged_template(assembly, stack_set["Properties"])
    assert len(json.dumps(json.loads(staged.read_text()), separators=(",", ":"))) > MAX_TEMPLATE_BODY_BYTES


def test_stack_set_templates_carry_no_asset_or_bootstrap_reference(assembly: Path) -> None:
    for name, template in stack_set_templates(assembly).items():
        text = json.dumps(template)
        # No Parameters, Rules or Conditions (the bootstrap's); outputs name what each account's stack holds.
        assert set(template) <= {"Description", "Resources", "Outputs"}, name
        for marker in ("cdk-hnb659fds", "AssetParameters", "BootstrapVersion", "aws:asset", "AWS::CDK::Metadata"):
            assert marker not in text, (name, marker)
        # IAM names are global to the account: a named role must carry the region, or the second region clashes.
        roles = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
        named = [role["RoleName"] for role in roles if "RoleName" in role]
        assert len(named) == 1
        assert {"Ref": "AWS::Region"} in named[0]["Fn::Join"][1]


def test_a_small_stack_set_template_is_embedded(tmp_path: Path) -> None:
    fleet = FleetDescription.from_data(
        {
            "name": "tiny",
            "groups": [{"name": "web", "operating_systems": ["WINDOWS"]}],
            "environments": [{"name": "prod", "organizational_units": ["r-ab12"], "regions": ["eu-west-1"]}],
        }
    )
    outdir = synth_assembly(tmp_path, lambda app: build(app, fleet))
    (stack_set,) = [
        r for r in management_template(outdir)["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"
    ]
    body = stack_set["Properties"]["TemplateBody"]
    assert len(body) <= MAX_TEMPLATE_BODY_BYTES
    assert "TemplateURL" not in stack_set["Properties"]
    assert json.loads(body)["Description"] == "tiny patching with lifecycle hooks: wave 1 of 1 (prod, first)"
    assert not list(outdir.glob("asset.*"))


def test_the_example_refuses_a_wrong_fleet_file(tmp_path: Path) -> None:
    wrong = tmp_path / "fleet.yaml"
    wrong.write_text(
        FLEET_FILE.read_text().replace("regions: [eu-west-1, us-east-1]", "regions: [eu-west-1, mars-1]", 1)
    )
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path / "out"),
        "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, "fleet": str(wrong)}),
        "CDK_VALIDATION": "false",
    }
    result = subprocess.run(
        [sys.executable, "examples/organization/app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert f"FleetFileError: {wrong}: 1 wrong field" in result.stderr
    assert "environments[0].regions[1]: got 'mars-1'; must be a region name such as eu-west-1" in result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_the_pipeline_example_deploys_dev_then_prod(tmp_path: Path) -> None:
    from examples.organization.pipeline import TOOLING, PatchingPipelineStack  # heavy (CDK Pipelines), used once

    fleet = FleetDescription.from_file(FLEET_FILE)
    outdir = synth_assembly(tmp_path, lambda app: PatchingPipelineStack(app, "Pipeline", fleet=fleet, env=TOOLING))
    template = json.loads((outdir / "Pipeline.template.json").read_text())
    (pipeline,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    stages = {stage["Name"]: stage["Actions"] for stage in pipeline["Properties"]["Stages"]}
    assert list(stages)[-2:] == ["dev", "prod"]  # waves run in the description's order, after the pipeline's own
    deploys = {name: [a for a in stages[name] if a["ActionTypeId"]["Category"] == "Deploy"] for name in ("dev", "prod")}
    assert {name: sorted({a["Configuration"]["StackName"] for a in actions}) for name, actions in deploys.items()} == {
        "dev": ["acme-dev-patching"],
        "prod": ["acme-prod-patching"],
    }
    accounts = {
        name: sorted({account for a in actions for account in re.findall(r"\d{12}", json.dumps(a["RoleArn"]))})
        for name, actions in deploys.items()
    }
    assert accounts == {"dev": ["111111111111"], "prod": ["222222222222", "333333333333"]}


def test_stack_set_templates_are_strictly_validated_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Negative control: an out-of-range value in the per-account template fails the StackSets' synth.
    from constructs_lib.fleet import stack_sets as fleet_stack_sets

    class BrokenStack(FleetPatchingStack):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.workflows["web"].window.cfn_window.add_property_override("Duration", 25)

    monkeypatch.setattr(fleet_stack_sets, "FleetPatchingStack", BrokenStack)
    app = App(context=CDK_CONTEXT, analytics_reporting=False)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        build(app, FleetDescription.from_file(FLEET_FILE))
