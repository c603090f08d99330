"""make drill: the brake of CanaryWavesStack, rehearsed offline from its synthesized template.

1. EventBridge (moto, in memory) gets the rule exactly as synthesized, pattern and input transformer, with
   a queue standing in for the Automation target (moto can't start runbooks); the documented execution
   event is sent as SUCCESS (nothing happens), then as FAILED for the canary's window.
2. The halt runbook runs its steps on the input EventBridge produced, against Stubber clients that assert
   each call: record, disable Sunday's window, notify.
3. Sunday's window opens anyway (a redeploy re-enabled it): the gate reads the record and cancels the
   execution before any patch task.
4. patch-resume re-opens the wave; the gate then lets Sunday patch.

Nothing calls AWS. Exit status 0 when every step did what the brake promises.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
from aws_cdk import App, DefaultStackSynthesizer, Environment
from aws_cdk.assertions import Template
from botocore.stub import ANY, Stubber
from moto import mock_aws

from constructs_lib.cli import patch_resume
from constructs_lib.cli.runbook import RunbookRun, concrete, run_runbook
from examples.waves.stack import CanaryWavesStack

ACCOUNT, REGION = "123456789012", "us-east-1"
CANARY_WINDOW, WEB_WINDOW = "mw-0c0c0c0c0c0c0c0c0", "mw-0e0e0e0e0e0e0e0e0"
RECORD = "CFN-WavesHaltRecordWeb-drill"
CANARY_EXECUTION = "b60fb56e-776c-4e5c-84ee-123456789012"
SUNDAY_EXECUTION = "c71fc67f-887d-4f6d-95ff-234567890123"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:NotifyTopic749CF698"  # the example's topic, as made_up_ids names it


def synthesized() -> dict[str, Any]:
    app = App(analytics_reporting=False)
    stack = CanaryWavesStack(
        app,
        "Waves",
        env=Environment(account=ACCOUNT, region=REGION),
        synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    return dict(Template.from_stack(stack).to_json())


def made_up_ids(template: Mapping[str, Any]) -> dict[str, str]:
    """A physical id (and Arn) for each resource, as CloudFormation would name them after a deploy."""
    ids = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com"}
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        ids[logical_id] = {
            "AWS::SSM::MaintenanceWindow": CANARY_WINDOW if logical_id.startswith("Canary") else WEB_WINDOW,
            "AWS::SSM::Parameter": RECORD,
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}",
        }.get(kind, logical_id)
        ids[f"{logical_id}.Arn"] = f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
    return ids


def of_type(template: Mapping[str, Any], kind: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    return next(
        (k, r["Properties"]) for k, r in template["Resources"].items() if r["Type"] == kind and k.startswith(prefix)
    )


def execution_event(status: str) -> dict[str, Any]:
    """The documented "Maintenance Window Execution State-change Notification" for the canary's window."""
    detail = {
        "start-time": "2026-12-05T03:00:56.427Z",
        "end-time": "2026-12-05T04:12:57.070Z",
        "window-id": CANARY_WINDOW,
        "window-execution-id": CANARY_EXECUTION,
        "status": status,
    }
    return {
        "Source": "aws.ssm",
        "DetailType": "Maintenance Window Execution State-change Notification",
        "Resources": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/{CANARY_WINDOW}"],
        "Detail": json.dumps(detail),
    }


def delivered_input(template: Mapping[str, Any], ids: Mapping[str, str], statuses: list[str]) -> list[dict[str, Any]]:
    """What EventBridge hands the halt runbook for each event, by the synthesized rule (moto in memory)."""
    _, rule = of_type(template, "AWS::Events::Rule")
    (target,) = rule["Targets"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "drill")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "drill")
    with mock_aws():
        sqs, events = boto3.client("sqs", region_name=REGION), boto3.client("events", region_name=REGION)
        queue = sqs.create_queue(QueueName="halt-runbook")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="brake", EventPattern=json.dumps(concrete(rule["EventPattern"], ids)))
        transformer = concrete(target["InputTransformer"], ids)
        events.put_targets(Rule="brake", Targets=[{"Id": "runbook", "Arn": arn, "InputTransformer": transformer}])
        received = []
        for status in statuses:
            events.put_events(Entries=[execution_event(status)])
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            received += [json.loads(message["Body"]) for message in messages]
            print(f"event {status:<9} -> {'halt runbook started' if messages else 'no rule matched'}")
        return received


@contextmanager
def stubbed(*services: str) -> Iterator[dict[str, tuple[Any, Stubber]]]:
    session = boto3.Session(aws_access_key_id="drill", aws_secret_access_key="drill", region_name=REGION)  # noqa: S106
    clients = {service: session.client(service) for service in services}
    stubs = {service: Stubber(client) for service, client in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield {service: (clients[service], stubs[service]) for service in services}
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def halt(template: Mapping[str, Any], ids: Mapping[str, str], runbook_input: dict[str, Any]) -> str:
    _, document = of_type(template, "AWS::SSM::Document", "WavesHaltAfterCanary")
    record = (
        f"halted after Waves/Canary (account {ACCOUNT}, {REGION}): window execution {CANARY_EXECUTION} ended FAILED"
    )
    with stubbed("ssm", "sns") as clients:
        ssm_stub, sns_stub = clients["ssm"][1], clients["sns"][1]
        ssm_stub.add_response(
            "put_parameter", {"Version": 2}, {"Name": RECORD, "Value": record, "Type": "String", "Overwrite": True}
        )
        ssm_stub.add_response("update_maintenance_window", {}, {"WindowId": WEB_WINDOW, "Enabled": False})
        sns_stub.add_response(
            "publish",
            {"MessageId": "1"},
            {"TopicArn": TOPIC, "Subject": "Patching halted: a wave failed", "Message": ANY},
        )
        _succeeded(
            run_runbook(
                concrete(document["Content"], ids), runbook_input, {k: c for k, (c, _) in clients.items()}, _step
            )
        )
    return record


def _succeeded(run: RunbookRun) -> None:
    """A runbook of the brake must end Success: a failed step means the drill found a defect."""
    if run.status != "Success":
        failed = [f"{step.name}: {step.note}" for step in run.steps if step.status != "Success"]
        raise AssertionError(f"the runbook ended {run.status}: {'; '.join(failed)}")


def gate(template: Mapping[str, Any], ids: Mapping[str, str], record_value: str) -> None:
    gate_id, _ = of_type(template, "AWS::SSM::Document", "WavesGate")
    _, task = next(
        (k, r["Properties"])
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTask" and r["Properties"]["TaskArn"] == {"Ref": gate_id}
    )
    parameters = concrete(task["TaskInvocationParameters"]["MaintenanceWindowAutomationParameters"]["Parameters"], ids)
    pseudo = {"{{WINDOW_ID}}": WEB_WINDOW, "{{WINDOW_EXECUTION_ID}}": SUNDAY_EXECUTION}
    parameters = {name: [pseudo.get(value, value) for value in values] for name, values in parameters.items()}
    content = concrete(template["Resources"][gate_id]["Properties"]["Content"], ids)
    with stubbed("ssm", "sns") as clients:
        ssm_stub, sns_stub = clients["ssm"][1], clients["sns"][1]
        ssm_stub.add_response("get_parameter", {"Parameter": {"Name": RECORD, "Value": record_value}}, {"Name": RECORD})
        if record_value != "open":
            ssm_stub.add_response(
                "cancel_maintenance_window_execution",
                {"WindowExecutionId": SUNDAY_EXECUTION},
                {"WindowExecutionId": SUNDAY_EXECUTION},
            )
            ssm_stub.add_response("update_maintenance_window", {}, {"WindowId": WEB_WINDOW, "Enabled": False})
            subject = "Patching halted: a window opened while its wave is halted"
            sns_stub.add_response(
                "publish", {"MessageId": "2"}, {"TopicArn": TOPIC, "Subject": subject, "Message": ANY}
            )
        _succeeded(run_runbook(content, parameters, {k: c for k, (c, _) in clients.items()}, _step))


def resume(template: Mapping[str, Any], ids: Mapping[str, str], record_value: str) -> None:
    with stubbed("cloudformation", "ssm") as clients:
        (cloudformation, cfn_stub), (ssm, ssm_stub) = clients["cloudformation"], clients["ssm"]
        cfn_stub.add_response("get_template", {"TemplateBody": json.dumps(template)}, None)
        summaries = [
            {
                "LogicalResourceId": k,
                "PhysicalResourceId": ids[k],
                "ResourceType": r["Type"],
                "LastUpdatedTimestamp": "2026-12-05T00:00:00Z",
                "ResourceStatus": "UPDATE_COMPLETE",
            }
            for k, r in template["Resources"].items()
        ]
        cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, None)
        ssm_stub.add_response("get_parameter", {"Parameter": {"Name": RECORD, "Value": record_value}}, {"Name": RECORD})
        ssm_stub.add_response(
            "get_maintenance_window", {"WindowId": WEB_WINDOW, "Name": "Waves-Web-Patch", "Enabled": False}, None
        )
        ssm_stub.add_response(
            "put_parameter", {"Version": 3}, {"Name": RECORD, "Value": "open", "Type": "String", "Overwrite": True}
        )
        ssm_stub.add_response("update_maintenance_window", {}, {"WindowId": WEB_WINDOW, "Enabled": True})
        out = io.StringIO()
        status = patch_resume.run(patch_resume.parse_args(["--stack", "Waves", "--yes"]), cloudformation, ssm, out)
        for line in out.getvalue().splitlines():
            print(f"  patch-resume: {line}")
        assert status == 0


def _step(line: str) -> None:
    print(f"  {line}")


def main() -> int:
    template = synthesized()
    ids = made_up_ids(template)
    print("1. Saturday: the canary's window execution ends")
    (runbook_input,) = delivered_input(template, ids, ["SUCCESS", "FAILED"])
    print("2. the halt runbook, on the input EventBridge produced:")
    record = halt(template, ids, runbook_input)
    print("3. Sunday: the web window opens anyway (a redeploy re-enabled it); its gate runs first:")
    gate(template, ids, record)
    print("4. the cause is fixed: patch-resume, then Sunday's gate again:")
    resume(template, ids, record)
    gate(template, ids, "open")
    print("drill passed: a failed canary halted Sunday, the gate held it through a redeploy, resume re-opened it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
