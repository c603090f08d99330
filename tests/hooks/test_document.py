"""HookDocument: the Command document's content, its parameters and its guards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, DefaultStackSynthesizer, Duration, Stack

from constructs_lib import (
    HookDocument,
    HookParameter,
    HookScript,
    ScriptLanguage,
    StopAppHook,
)
from tests.builders import hook, only_properties, synth_assembly, template

DOCUMENT = "AWS::SSM::Document"


LINUX_STOP = HookScript.inline('#!/usr/bin/env bash\nsystemctl stop "$SSM_ServiceName"', language=ScriptLanguage.SHELL)
WINDOWS_STOP = HookScript.inline("Stop-Service -Name $env:SSM_ServiceName", language=ScriptLanguage.POWERSHELL)


def test_linux_and_windows_steps_with_preconditions(stack: Stack) -> None:
    HookDocument(
        stack,
        "Stop",
        linux=LINUX_STOP,
        windows=WINDOWS_STOP,
        parameters={"ServiceName": "demo-app"},
        document_name="Demo-Stop",
        description="Stop the app",
        timeout=Duration.minutes(5),
        working_directory="/tmp",
    )
    props = only_properties(stack, DOCUMENT)
    assert props["DocumentType"] == "Command"
    assert props["DocumentFormat"] == "JSON"
    assert props["Name"] == "Demo-Stop"
    assert props["UpdateMethod"] == "NewVersion"
    content = props["Content"]
    assert content["schemaVersion"] == "2.2"
    assert content["description"] == "Stop the app"
    assert content["parameters"] == {
        "ServiceName": {
            "type": "String",
            "default": "demo-app",
            # A plain value: the document runs with it and nothing else.
            "allowedPattern": "^demo-app$",
            "interpolationType": "ENV_VAR",
        },
    }
    linux, windows = content["mainSteps"]
    assert linux["action"] == "aws:runShellScript"
    assert linux["name"] == "LinuxHook"
    assert linux["precondition"] == {"StringEquals": ["platformType", "Linux"]}
    assert linux["inputs"]["runCommand"] == ["#!/usr/bin/env bash", 'systemctl stop "$SSM_ServiceName"']
    assert linux["inputs"]["timeoutSeconds"] == 300
    assert linux["inputs"]["workingDirectory"] == "/tmp"
    assert windows["action"] == "aws:runPowerShellScript"
    assert windows["name"] == "WindowsHook"
    assert windows["precondition"] == {"StringEquals": ["platformType", "Windows"]}
    assert windows["inputs"]["runCommand"] == ["Stop-Service -Name $env:SSM_ServiceName"]


def test_defaults(stack: Stack) -> None:
    document = hook(stack)
    props = only_properties(stack, DOCUMENT)
    assert "Name" not in props  # CloudFormation generates a unique name
    assert props["UpdateMethod"] == "NewVersion"
    assert "parameters" not in props["Content"]
    assert props["Content"]["description"] == "Patch lifecycle hook Hook"
    (step,) = props["Content"]["mainSteps"]
    assert step["inputs"] == {"runCommand": ["echo hook"], "timeoutSeconds": 3600}
    assert stack.resolve(document.document_name) == {"Ref": stack.get_logical_id(document.cfn_document)}
    assert document.node.default_child is document.cfn_document


def test_windows_only_document(stack: Stack) -> None:
    hook(stack, linux=None, windows=HookScript.inline("Write-Output hi", language=ScriptLanguage.POWERSHELL))
    (step,) = only_properties(stack, DOCUMENT)["Content"]["mainSteps"]
    assert step["action"] == "aws:runPowerShellScript"


def test_a_parameter_accepts_only_its_built_in_value_by_default(stack: Stack) -> None:
    hook(
        stack,
        script='curl "$SSM_HealthUrl"',
        parameters={
            "HealthUrl": HookParameter(
                default="http://127.0.0.1:8080/health?full=1",
                allowed_pattern=r"^https?://[A-Za-z0-9.:/?=&_-]+$",
                description="Where the app answers",
            ),
        },
    )
    assert only_properties(stack, DOCUMENT)["Content"]["parameters"]["HealthUrl"] == {
        "type": "String",
        "description": "Where the app answers",
        "default": "http://127.0.0.1:8080/health?full=1",
        "allowedPattern": r"^http://127\.0\.0\.1:8080/health\?full=1$",
        "interpolationType": "ENV_VAR",
    }


def test_a_pattern_whose_every_alternative_is_anchored_is_accepted(stack: Stack) -> None:
    pattern = r"^$|^(on|off)$|^[a-z|]+\$$"
    hook(stack, script='echo "$SSM_Mode"', parameters={"Mode": HookParameter(default="on", allowed_pattern=pattern)})
    template(stack).resource_count_is(DOCUMENT, 1)


def test_custom_parameter_with_its_own_pattern(stack: Stack) -> None:
    hook(
        stack,
        script='curl "$SSM_HealthUrl"',
        parameters={
            "HealthUrl": HookParameter(
                default="http://127.0.0.1:8080/health?full=1",
                allowed_pattern=r"^https?://[A-Za-z0-9.:/?=&_-]+$",
                only_default=False,
            ),
        },
    )
    assert only_properties(stack, DOCUMENT)["Content"]["parameters"]["HealthUrl"]["allowedPattern"] == (
        r"^https?://[A-Za-z0-9.:/?=&_-]+$"
    )


def test_parameters_are_sorted_by_name(stack: Stack) -> None:
    hook(stack, parameters={"Zeta": "z", "Alpha": "a"})
    assert list(only_properties(stack, DOCUMENT)["Content"]["parameters"]) == ["Alpha", "Zeta"]


def test_content_just_under_64_kb_synthesizes(stack: Stack) -> None:
    hook(stack, script="\n".join(["echo " + "x" * 90] * 640))
    assert len(json.dumps(only_properties(stack, DOCUMENT)["Content"])) < 64 * 1024


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"linux": None}, r"provide linux, windows or both; a hook document needs at least one script"),
        (
            {"parameters": {"Service-Name": "x"}},
            r"parameters name must be 1 to 128 characters from A-Z, a-z, 0-9 and _; got parameters name='Service-Name'",
        ),
        (
            {"parameters": {"Name": HookParameter(default="x", allowed_pattern="[a-z]+")}},
            r"parameters\['Name'\] allowed_pattern must anchor every alternative with \^ and \$ so Java and Go "
            r"agree; got '\[a-z\]\+' \(unanchored: '\[a-z\]\+'\)",
        ),
        (
            # Anchored at both ends, yet the second alternative matches anything.
            {"parameters": {"Name": HookParameter(default="x", allowed_pattern="^a|.*$")}},
            r"must anchor every alternative .* \(unanchored: '\^a', '\.\*\$'\)",
        ),
        (
            {"parameters": {"Name": HookParameter(default="x", allowed_pattern="^x\\$")}},
            r"must anchor every alternative",
        ),
        (
            # The agent matches the whole value: a trailing line break is not "x".
            {"parameters": {"Name": "x\n"}},
            r"parameters\['Name'\] default must match its allowed_pattern",
        ),
        (
            {"parameters": {"Name": HookParameter(default="x", allowed_pattern="^(?!root)[a-z]+$")}},
            r"allowed_pattern must avoid lookarounds and backreferences",
        ),
        (
            {"parameters": {"Name": HookParameter(default="x", allowed_pattern="^([a-z]+$")}},
            r"allowed_pattern is not a valid regex",
        ),
        (
            {"parameters": {"Name": HookParameter(default="x y", allowed_pattern="^[a-z]+$")}},
            r"parameters\['Name'\] default must match its allowed_pattern \^\[a-z\]\+\$; got 'x y'",
        ),
        ({"parameters": {"Cmd": "rm -rf / ; reboot"}}, r"parameters\['Cmd'\] default must match its allowed_pattern"),
        ({"parameters": {"Cmd": 'a"b'}}, r"default must match its allowed_pattern"),
        (
            {"parameters": {"Name": HookParameter(default="x", description="")}},
            r"parameters\['Name'\] description must be 1 to 1024",
        ),
        (
            {"linux": HookScript.from_file("windows/update_app.ps1")},
            r"linux needs a shell script; got hook_scripts/windows/update_app.ps1 \(powershell\)",
        ),
        (
            {"windows": HookScript.from_file("linux/update_app.sh")},
            r"windows needs a PowerShell script; got hook_scripts/linux/update_app.sh \(shell\)",
        ),
        (
            {"linux": HookScript.inline('echo "$SSM_Service"')},
            r"linux script inline script reads SSM_Service but parameters declares no Service; declared: none",
        ),
        (
            {"linux": HookScript.inline('echo "$SSM_Servce"'), "parameters": {"Service": "x"}},
            r"reads SSM_Servce but parameters declares no Servce; declared: Service",
        ),
        ({"document_name": "ab"}, r"document_name must be 3 to 128 characters"),
        (
            {"document_name": "AWS-MyHook"},
            r"document_name must not start with the reserved prefixes aws, amazon or amzn; got document_name='AWS-MyHook'",
        ),
        ({"document_name": "amazonHook"}, r"reserved prefixes"),
        ({"document_name": "Amzn.Hook"}, r"reserved prefixes"),
        ({"description": "x" * 1025}, r"description must be 1 to 1024 characters long"),
        (
            {"timeout": Duration.hours(49)},
            r"timeout must be a whole number of seconds from 1 to 172800; got timeout=2 days 1 hour",
        ),
        ({"timeout": Duration.millis(1500)}, r"timeout must be a whole number of seconds"),
        (
            {"linux": HookScript.inline("echo " + "x" * 70000)},
            r"hook document content must not exceed 65536 bytes \(64 KB\); got \d+ bytes",
        ),
    ],
)
def test_fails_on_invalid_document(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hook(stack, **overrides)


def test_tokens_are_passed_through_unchecked(stack: Stack) -> None:
    name = CfnParameter(stack, "Name").value_as_string
    service = CfnParameter(stack, "Service").value_as_string
    hook(
        stack,
        script='echo "$SSM_Service"',
        document_name=name,
        parameters={"Service": HookParameter(default=service, allowed_pattern="^[a-z]+$")},
    )
    props = only_properties(stack, DOCUMENT)
    assert props["Name"] == {"Ref": "Name"}
    assert props["Content"]["parameters"]["Service"]["default"] == {"Ref": "Service"}


@pytest.mark.parametrize(
    "name",
    [
        "AWS-Noop",
        "MyHooks-Stop",
        "arn:aws:ssm:us-east-2:123456789012:document/MySharedDocument",
        "arn:aws-cn:ssm:cn-north-1:123456789012:document/Shared.Hook_1",
    ],
)
def test_from_document_name_accepts_names_and_arns(stack: Stack, name: str) -> None:
    assert HookDocument.from_document_name(stack, "Existing", name).document_name == name
    template(stack).resource_count_is(DOCUMENT, 0)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "aws:arn:ssm:us-east-2:123456789012:document/MySharedDocument",
            r"ARN must start with 'arn:aws:ssm:' \(the 'aws:arn:' form in the AWS docs is a typo\)",
        ),
        (
            "arn:aws:ssm:us-east-2:123456789012:parameter/X",
            r"document_name must be an arn:aws:ssm:<region>:<account>:document/<name> ARN",
        ),
        ("arn:aws:ssm:us-east-2:1234:document/MyDoc", r"document/<name> ARN"),
        ("My Doc", r"document_name must be a document name \(3 to 128 characters"),
        ("ab", r"document_name must be a document name"),
    ],
)
def test_from_document_name_fails_on_invalid_names(stack: Stack, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HookDocument.from_document_name(stack, "Existing", name)


def test_from_document_name_passes_tokens(stack: Stack) -> None:
    name = CfnParameter(stack, "Doc").value_as_string
    assert HookDocument.from_document_name(stack, "Existing", name).document_name == name


def test_compact_and_indented_bytes_are_the_documents_share_of_a_synthesized_template(tmp_path: Path) -> None:
    documents: dict[str, HookDocument] = {}

    def one_document_each_way(app: App) -> None:
        for stack_id, compact in (("Indented", False), ("Compact", True)):
            stack = Stack(
                app,
                stack_id,
                synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
                suppress_template_indentation=compact,
            )
            documents[stack_id] = StopAppHook(stack, "Stop", service_name="app")

    assembly = synth_assembly(tmp_path, one_document_each_way)
    indented = (assembly / "Indented.template.json").stat().st_size
    compact = (assembly / "Compact.template.json").stat().st_size
    assert documents["Compact"].compact_bytes <= documents["Compact"].content_bytes
    assert 0 < compact - documents["Compact"].compact_bytes < 300  # the resource around the content
    assert 0 < indented - documents["Indented"].indented_bytes < 300
