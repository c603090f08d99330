"""The benchmark's floors replay the default app's templates faithfully, or the ratios would mean nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from bench.replay import replay, replay_typed, service_modules, stack_templates, without_stack_own_parts
from examples.demo.stack import PatchingDemoStack
from tests.builders import synth_assembly


def by_logical_id(template: dict[str, Any], *, keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Resources (CDK metadata left out) reduced to the given keys."""
    return {
        logical_id: {key: resource[key] for key in keys if key in resource}
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] != "AWS::CDK::Metadata"
    }


def only_template(assembly: Path) -> dict[str, Any]:
    (_, stack_name, template), *others = stack_templates(assembly)
    assert stack_name == "PatchingDemo"
    assert not others
    return template


@pytest.fixture(scope="module")
def demo_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_assembly(tmp_path_factory.mktemp("demo"), lambda app: PatchingDemoStack(app, "PatchingDemo"))


def test_bare_floor_has_the_same_resource_types_properties_and_outputs(demo_assembly: Path, tmp_path: Path) -> None:
    original = only_template(demo_assembly)
    replayed = only_template(synth_assembly(tmp_path, lambda app: replay(app, demo_assembly)))
    keys = ("Type", "Properties")
    assert by_logical_id(replayed, keys=keys) == by_logical_id(original, keys=keys)
    assert replayed["Outputs"] == original["Outputs"]


def test_typed_floor_reproduces_the_template_but_construct_paths(demo_assembly: Path, tmp_path: Path) -> None:
    original = only_template(demo_assembly)

    def build(app: App) -> None:
        replay_typed(app, demo_assembly, tmp_path)

    replayed = only_template(synth_assembly(tmp_path / "typed", build))
    keys = ("Type", "Properties", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Condition")
    assert by_logical_id(replayed, keys=keys) == by_logical_id(original, keys=keys)
    assert {key: value for key, value in replayed.items() if key != "Resources"} == {
        key: value for key, value in original.items() if key != "Resources"
    }


def test_typed_floor_imports_each_service_of_the_template(demo_assembly: Path) -> None:
    assert service_modules(only_template(demo_assembly)) == [
        "aws_cdk.aws_iam",
        "aws_cdk.aws_logs",
        "aws_cdk.aws_s3",
        "aws_cdk.aws_sns",
        "aws_cdk.aws_ssm",
    ]


def test_only_what_a_stack_adds_by_itself_is_stripped_before_include() -> None:
    template = {
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}, "Env": {"Type": "String"}},
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": ["a", "a"]}},
        "Rules": {"CheckBootstrapVersion": {}},
        "Resources": {
            "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
            "Topic": {"Type": "AWS::SNS::Topic", "Metadata": {"aws:cdk:path": "S/Topic"}, "DeletionPolicy": "Retain"},
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}},
    }
    assert without_stack_own_parts(template) == {
        "Parameters": {"Env": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain"}},
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}},
    }
