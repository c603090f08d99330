"""FleetPatchingStack: one environment's groups in one place, with scoped names and one window role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib import FleetDescription, FleetPatchingStack
from constructs_lib.core.stack_checks import MAX_TEMPLATE_BYTES
from constructs_lib.fleet.stack_sets import account_template
from tests.builders import CDK_CONTEXT, ROOT, new_app, new_stack, synth_assembly


def fleet(*groups: dict[str, Any], output: dict[str, Any] | None = None, **environment: Any) -> FleetDescription:
    return FleetDescription.from_data(
        {
            "name": "acme",
            "output": output,
            "groups": list(groups) or [web()],
            "environments": [{"name": "dev", "accounts": ["111111111111"], "regions": ["eu-west-1"], **environment}],
        }
    )


def web(**changes: Any) -> dict[str, Any]:
    group: dict[str, Any] = {
        "name": "web",
        "operating_systems": ["AMAZON_LINUX_2023", "WINDOWS"],
        "hooks": {"service": "web-app", "port": 8080, "health_url": "http://127.0.0.1:8080/health"},
    }
    return group | changes


def stack_set_fleet() -> FleetDescription:
    """One group with hooks, deployed by a StackSet to an organization root."""
    return FleetDescription.from_data(
        {
            "name": "acme",
            "groups": [web()],
            "environments": [{"name": "prod", "organizational_units": ["r-ab12"], "regions": ["eu-west-1"]}],
        }
    )


def synth(description: FleetDescription, app: App | None = None, **kwargs: Any) -> Template:
    stack = FleetPatchingStack(app or new_app(), "Patching", fleet=description, environment="dev", **kwargs)
    return Template.from_stack(stack)


def test_an_environment_agnostic_stack_scopes_the_role_name_by_region() -> None:
    synth(fleet()).has_resource_properties(
        "AWS::IAM::Role",
        {"RoleName": {"Fn::Join": ["", ["acme-dev-PatchWindow-", {"Ref": "AWS::Region"}]]}},
    )


def test_a_stack_in_a_region_names_it() -> None:
    template = synth(fleet(), env=Environment(account="111111111111", region="eu-west-1"))
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": "acme-dev-PatchWindow-eu-west-1"})


def test_groups_get_scoped_names_and_register_their_patch_group() -> None:
    template = synth(fleet(web(patch_group="web-servers")))
    names = sorted(r["Properties"]["Name"] for r in template.find_resources("AWS::SSM::Document").values())
    assert names == ["acme-dev-web-StartApp", "acme-dev-web-StopApp", "acme-dev-web-UpdateApp"]
    template.has_resource_properties("AWS::SSM::MaintenanceWindow", {"Name": "acme-dev-web"})
    template.has_resource_properties(
        "AWS::SSM::PatchBaseline",
        {"Name": "acme-dev-web-WINDOWS", "OperatingSystem": "WINDOWS", "PatchGroups": ["web-servers"]},
    )
    template.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTarget", {"Targets": [{"Key": "tag:PatchGroup", "Values": ["web-servers"]}]}
    )


def test_every_window_uses_the_one_window_role() -> None:
    template = synth(fleet(web(), web(name="api", hooks=None)))
    (role_id,) = template.find_resources("AWS::IAM::Role")
    tasks = template.find_resources("AWS::SSM::MaintenanceWindowTask")
    assert len(tasks) == 2
    assert {json.dumps(task["Properties"]["ServiceRoleArn"]) for task in tasks.values()} == {
        json.dumps({"Fn::GetAtt": [role_id, "Arn"]})
    }


def test_settings_reach_the_window_task_and_baselines() -> None:
    description = fleet(
        web(
            baseline_filters={"WINDOWS": {"MSRC_SEVERITY": ["Critical"]}},
            schedule="cron(0 3 ? * TUE#2 *)",
            schedule_timezone="Europe/Dublin",
            compliance_level="HIGH",
        ),
        overrides={
            "approve_after_days": 0,
            "schedule_offset": 2,
            "max_concurrency": "50%",
            "reboot_option": "NoReboot",
        },
    )
    template = synth(description)
    template.has_resource_properties(
        "AWS::SSM::MaintenanceWindow",
        {"Schedule": "cron(0 3 ? * TUE#2 *)", "ScheduleTimezone": "Europe/Dublin", "ScheduleOffset": 2},
    )
    template.has_resource_properties(
        "AWS::SSM::PatchBaseline",
        {
            "OperatingSystem": "WINDOWS",
            "ApprovalRules": {
                "PatchRules": [
                    {
                        "ApproveAfterDays": 0,
                        "ComplianceLevel": "HIGH",
                        "PatchFilterGroup": {"PatchFilters": [{"Key": "MSRC_SEVERITY", "Values": ["Critical"]}]},
                    }
                ]
            },
        },
    )
    template.has_resource_properties(
        "AWS::SSM::MaintenanceWindowTask",
        {
            "MaxConcurrency": "50%",
            "TaskInvocationParameters": {
                "MaintenanceWindowRunCommandParameters": {
                    "Parameters": Match.object_like({"RebootOption": ["NoReboot"]})
                }
            },
        },
    )


def test_hook_settings_become_document_defaults() -> None:
    hooks = {
        "service": "batch",
        "health_port": 9090,
        "stop_timeout_seconds": 30,
        "update_command": {"linux": "dnf -y upgrade batch", "windows": "C:\\batch\\update.exe"},
        "port": 9090,
    }
    template = synth(fleet(web(name="batch", hooks=hooks)))
    documents = {
        r["Properties"]["Name"]: r["Properties"]["Content"]
        for r in template.find_resources("AWS::SSM::Document").values()
    }
    stop = documents["acme-dev-batch-StopApp"]["parameters"]
    assert (stop["LinuxServiceName"]["default"], stop["WindowsServiceName"]["default"]) == ("batch", "batch")
    assert (stop["StopTimeoutSeconds"]["default"], stop["Port"]["default"]) == ("30", "9090")
    update = documents["acme-dev-batch-UpdateApp"]["parameters"]
    assert update["LinuxUpdateCommand"]["default"] == "dnf -y upgrade batch"
    assert update["WindowsUpdateCommand"]["default"] == "C:\\batch\\update.exe"
    start = documents["acme-dev-batch-StartApp"]["parameters"]
    # The app's own port guards the start too; health is checked on the health port.
    assert (start["HealthPort"]["default"], start["Port"]["default"]) == ("9090", "9090")


def test_a_group_without_hooks_runs_no_hook_documents() -> None:
    template = synth(fleet(web(hooks=None)))
    template.resource_count_is("AWS::SSM::Document", 0)
    (task,) = template.find_resources("AWS::SSM::MaintenanceWindowTask").values()
    parameters = task["Properties"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]["Parameters"]
    assert not {"PreInstallHookDocName", "PostInstallHookDocName", "OnExitHookDocName"} & set(parameters)


def test_too_many_groups_for_one_stack_fail_synth_naming_it() -> None:
    description = fleet(*(web(name=f"group{index}", patch_group=f"group{index}", hooks=None) for index in range(101)))
    with pytest.raises(RuntimeError, match=r"stack acme-dev-patching holds 506 resources; CloudFormation allows 500"):
        synth(description, stack_name="acme-dev-patching")


def hooked_groups(count: int) -> FleetDescription:
    """``count`` groups with Linux and Windows hooks: about 88 KB of unindented documents each."""
    return fleet(*(web(name=f"group{index}", patch_group=f"group{index}") for index in range(count)))


def test_a_template_certain_to_pass_one_megabyte_is_refused_naming_the_stack() -> None:
    with pytest.raises(
        ValueError,
        match=r"stack acme-dev-patching would exceed CloudFormation's template size limit: its hook documents "
        r"and \d+ resources take at least 1\d{6} bytes and a template may hold 1000000; suppress template "
        r"indentation \(suppress_template_indentation=True or the context "
        r"@aws-cdk/core:suppressTemplateIndentation; documents: \d+ bytes\), give groups that run the same app "
        r"one group, or split the groups over two fleets",
    ):
        synth(hooked_groups(10), stack_name="acme-dev-patching")


def test_the_suppress_indentation_context_counts_documents_unindented() -> None:
    app = App(context={**CDK_CONTEXT, "@aws-cdk/core:suppressTemplateIndentation": True})
    stack = FleetPatchingStack(app, "Patching", fleet=hooked_groups(10), environment="dev")
    assert len(stack.workflows) == 10


def test_unindented_the_same_groups_fit_and_the_refusal_was_right(tmp_path: Path) -> None:
    description = hooked_groups(10)  # refused indented from 10 groups on

    def unindented(app: App) -> None:
        FleetPatchingStack(app, "Patching", fleet=description, environment="dev", suppress_template_indentation=True)

    assembly = synth_assembly(tmp_path, unindented)
    written = (assembly / "Patching.template.json").read_text()
    assert len(written.encode()) < MAX_TEMPLATE_BYTES
    assert len(json.dumps(json.loads(written), indent=1).encode()) > MAX_TEMPLATE_BYTES


def test_unindented_templates_are_refused_past_their_own_bound() -> None:
    with pytest.raises(
        ValueError, match=r"take at least 1\d{6} bytes and a template may hold 1000000; give groups that run"
    ):
        synth(hooked_groups(12), stack_name="acme-dev-patching", suppress_template_indentation=True)


def test_a_stack_set_serves_groups_that_fit_only_unindented() -> None:
    template = account_template(hooked_groups(10), "dev", validate=False)
    assert len(json.dumps(template, separators=(",", ":")).encode()) < MAX_TEMPLATE_BYTES


def test_a_stack_set_template_over_one_megabyte_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # No real fleet gets here before the stack's own checks; a lower limit exercises the guard.
    from constructs_lib.fleet import stack_sets as fleet_stack_sets

    monkeypatch.setattr(fleet_stack_sets, "MAX_TEMPLATE_BYTES", 52_000)
    description = stack_set_fleet()
    with pytest.raises(
        ValueError, match=r"StackSet prod template takes \d+ bytes; CloudFormation allows 52000 from S3"
    ):
        fleet_stack_sets.FleetStackSets(new_stack(), "StackSets", fleet=description, validate_templates=False)


def test_without_output_runs_keep_their_output_in_run_command() -> None:
    template = synth(fleet())
    for resource_type in ("AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::IAM::ManagedPolicy"):
        template.resource_count_is(resource_type, 0)


def test_output_goes_to_one_place_per_stack_with_a_policy_for_instance_roles() -> None:
    description = fleet(web(), web(name="api", hooks=None), output={"s3": False, "retention_days": 30})
    template = synth(description, env=Environment(account="111111111111", region="eu-west-1"))
    template.resource_count_is("AWS::S3::Bucket", 0)
    (log_group_id,) = template.find_resources("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 30}})
    output_config = {"CloudWatchLogGroupName": {"Ref": log_group_id}, "CloudWatchOutputEnabled": True}
    tasks = template.find_resources("AWS::SSM::MaintenanceWindowTask")
    assert [
        task["Properties"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"][
            "CloudWatchOutputConfig"
        ]
        for task in tasks.values()
    ] == [output_config, output_config]
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "ManagedPolicyName": "acme-dev-PatchOutputWriter-eu-west-1",
            "PolicyDocument": {
                "Statement": [
                    Match.object_like({"Action": "logs:DescribeLogGroups", "Resource": "*"}),
                    Match.object_like(
                        {"Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]}
                    ),
                ]
            },
        },
    )


def test_a_linux_only_group_has_no_windows_steps() -> None:
    template = synth(fleet(web(), web(name="batch", operating_systems=["AMAZON_LINUX_2023", "UBUNTU"])))
    platforms = {
        resource["Properties"]["Name"]: [
            step["precondition"]["StringEquals"][1] for step in resource["Properties"]["Content"]["mainSteps"]
        ]
        for resource in template.find_resources("AWS::SSM::Document").values()
    }
    assert platforms["acme-dev-batch-StopApp"] == ["Linux"]
    assert platforms["acme-dev-web-StopApp"] == ["Linux", "Windows"]


def test_a_stack_set_template_near_the_limit_is_staged_compact(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from constructs_lib.fleet import stack_sets as fleet_stack_sets

    description = stack_set_fleet()
    compact = len(
        json.dumps(fleet_stack_sets.account_template(description, "prod", validate=False), separators=(",", ":"))
    )
    monkeypatch.setattr(fleet_stack_sets, "MAX_TEMPLATE_BYTES", compact + 10)  # the indented copy would not fit
    app = App(outdir=str(tmp_path), analytics_reporting=False, builtin_cloud_formation_validation=False)
    fleet_stack_sets.FleetStackSets(Stack(app, "Management"), "StackSets", fleet=description, validate_templates=False)
    app.synth()
    (staged,) = tmp_path.glob("asset.*.json")
    assert len(staged.read_bytes()) == compact


def test_every_allowed_retention_names_a_cdk_retention() -> None:
    from aws_cdk import aws_logs as logs

    from constructs_lib.fleet.description import LOG_RETENTIONS

    assert [name for name in LOG_RETENTIONS.values() if not hasattr(logs.RetentionDays, name)] == []
    assert len(set(LOG_RETENTIONS.values())) == len(LOG_RETENTIONS)


def test_ubuntu_baselines_approve_by_filters_alone_and_others_after_the_delay() -> None:
    group = web(
        operating_systems=["UBUNTU", "AMAZON_LINUX_2023"],
        hooks=None,
        baseline_filters={"UBUNTU": {"PRIORITY": ["Required", "Important"]}},
    )
    baselines = {
        r["Properties"]["OperatingSystem"]: r["Properties"]
        for r in synth(fleet(group)).find_resources("AWS::SSM::PatchBaseline").values()
    }
    (ubuntu_rule,) = baselines["UBUNTU"]["ApprovalRules"]["PatchRules"]
    assert "ApproveAfterDays" not in ubuntu_rule
    assert (
        baselines["UBUNTU"]["Description"]
        == "Patch group web: approved by its filters (Debian and Ubuntu take no delay)"
    )
    (linux_rule,) = baselines["AMAZON_LINUX_2023"]["ApprovalRules"]["PatchRules"]
    assert linux_rule["ApproveAfterDays"] == 7


def test_a_group_behind_a_target_group_runs_its_runbook_with_the_shared_window_role() -> None:
    group = web(
        load_balancer={"target_groups": ["acme-web"], "drain_timeout_seconds": 120},
        auto_scaling={"groups": ["acme-web-asg"], "decrement_desired_capacity": False},
        patch_timeout_seconds=5400,
    )
    stack = FleetPatchingStack(
        new_app(), "Patching", fleet=fleet(group, web(name="api", hooks=None)), environment="dev"
    )
    template = Template.from_stack(stack)
    tasks = template.find_resources("AWS::SSM::MaintenanceWindowTask")
    assert sorted(task["Properties"]["TaskType"] for task in tasks.values()) == ["AUTOMATION", "RUN_COMMAND"]
    workflow = stack.workflows["web"]
    assert workflow.runbook is not None
    content = stack.resolve(workflow.runbook.cfn_document.content)
    steps = {step["name"]: step for step in content["mainSteps"]}
    assert steps["FindTargetGroup1"]["inputs"]["Names"] == ["acme-web"]
    assert steps["EnterStandby"]["inputs"]["ShouldDecrementDesiredCapacity"] is False
    assert steps["WaitForDrain1"]["timeoutSeconds"] == 120
    assert steps["PatchInstance"]["timeoutSeconds"] == 5400
    # The one window role starts only this runbook, and no warning asks the user to grant it.
    (window_role,) = [
        role for logical_id, role in template.find_resources("AWS::IAM::Role").items() if "WindowRole" in logical_id
    ]
    statements = window_role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    starts = [s for s in statements if s["Action"] == "ssm:StartAutomationExecution"]
    assert [stack.resolve(s["Resource"]) for s in starts] == [stack.resolve(workflow.runbook.definition_arn)]
    assert not [w for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


def reporting(**changes: Any) -> dict[str, Any]:
    return {
        "account": "444444444444",
        "region": "eu-west-1",
        "bucket_name": "acme-patch-compliance",
        "kms_key_arn": "arn:aws:kms:eu-west-1:444444444444:key/0b3e5a8c-4f2d-4c1e-9a7b-3d2f1e0c9b8a",
        **changes,
    }


def test_reporting_syncs_each_stack_to_the_central_bucket_and_reports_each_group() -> None:
    description = FleetDescription.from_data(
        {
            "name": "acme",
            "output": {"s3": False},
            "reporting": reporting(),
            "groups": [web(), web(name="api", hooks=None)],
            "environments": [{"name": "dev", "accounts": ["111111111111"], "regions": ["us-east-1"]}],
        }
    )
    stack = FleetPatchingStack(new_app(), "Patching", fleet=description, environment="dev")
    template = Template.from_stack(stack)
    (sync,) = template.find_resources("AWS::SSM::ResourceDataSync").values()
    assert sync["Properties"]["SyncName"] == "acme-dev-compliance"
    assert sync["Properties"]["S3Destination"] == {
        "BucketName": "acme-patch-compliance",
        "BucketRegion": "eu-west-1",
        "BucketPrefix": "patch-compliance",
        "KMSKeyArn": "arn:aws:kms:eu-west-1:444444444444:key/0b3e5a8c-4f2d-4c1e-9a7b-3d2f1e0c9b8a",
        "SyncFormat": "JsonSerDe",
    }
    template.resource_count_is("AWS::Logs::MetricFilter", 6)  # once for the stack's one log group
    template.resource_count_is("AWS::CloudWatch::Dashboard", 2)  # one per group
    template.resource_count_is("AWS::Events::Rule", 6)  # per group: compliance alerts, runs succeeded, runs failed
    template.has_resource_properties("AWS::SNS::Topic", {"TopicName": "acme-dev-patch-alerts"})


def test_reporting_off_adds_nothing_and_telemetry_needs_cloudwatch_output() -> None:
    plain = synth(fleet())
    for kind in ("AWS::SSM::ResourceDataSync", "AWS::Logs::MetricFilter", "AWS::Events::Rule", "AWS::SNS::Topic"):
        plain.resource_count_is(kind, 0)
    with pytest.raises(ValueError, match=r"reporting\.telemetry: reads the hook lines from the command output"):
        FleetDescription.from_data(
            {
                "name": "acme",
                "reporting": reporting(),
                "groups": [web()],
                "environments": [{"name": "dev", "accounts": ["111111111111"], "regions": ["us-east-1"]}],
            }
        )
    FleetDescription.from_data(
        {
            "name": "acme",
            "reporting": reporting(telemetry=False),
            "groups": [web()],
            "environments": [{"name": "dev", "accounts": ["111111111111"], "regions": ["us-east-1"]}],
        }
    )


def test_the_report_stack_reads_every_stage_account_and_region_of_the_fleet() -> None:
    from constructs_lib import ComplianceReportStack

    description = FleetDescription.from_file(ROOT / "examples" / "organization" / "fleet.yaml")
    stack = ComplianceReportStack(new_app(), "Report", fleet=description)
    assert (stack.account, stack.region) == ("444444444444", "eu-west-1")
    assert stack.report.accounts == ["444444444444", "111111111111", "222222222222", "333333333333"]
    assert stack.report.regions == ["eu-west-1", "us-east-1"]
    assert stack.report.database_name == "acme_patch_compliance"
    with pytest.raises(ValueError, match="fleet has no reporting"):
        ComplianceReportStack(new_app(), "Report", fleet=fleet())
