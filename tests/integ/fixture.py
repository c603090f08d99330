"""What every integration test deploys: one small instance, managed by SSM through its instance profile, running
the demo app, tagged into a patch group (Amazon Linux 2023 with the app as the systemd unit ``demo-app``, or,
for the optional Windows test, Windows Server 2022 with the app as a process the start hook launches); and the
assertions' steps: wait until SSM reports the instance online, run a command, wait for its outcome."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnResource, Duration, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest, Match

from constructs_lib import HookDocument, HookScript, LifecycleHooks, PatchWorkflow, WindowSchedule
from constructs_lib._internal.nag import suppress_scanner
from tests.builders import ROOT

SERVICE = (ROOT / "examples" / "demo" / "service.py").read_text()
# The demo app on Windows (no Python there): the same /health on 127.0.0.1, in PowerShell.
WINDOWS_SERVICE = (ROOT / "tests" / "integ" / "windows_service.ps1").read_text()
WINDOWS_APP_DIR = "C:\\demo"
UNIT = """[Unit]
Description=The demo app the patch hooks stop, update and start
After=network-online.target

[Service]
ExecStart=/usr/bin/python3 /opt/demo/service.py --port 8080
Restart=no

[Install]
WantedBy=multi-user.target
"""
# An hour at most: SSM registration, one patch run with its hooks, the health check.
TOTAL_TIMEOUT = Duration.minutes(60)
INTERVAL = Duration.seconds(30)


@dataclass
class Fleet:
    """The one instance the assertions ask SSM about, and how to ask it whether the app is healthy."""

    instance: ec2.Instance
    shell_document: str = "AWS-RunShellScript"
    health_command: str = "curl -fsS http://127.0.0.1:8080/health"


def demo_instance(stack: Stack, patch_group: str) -> Fleet:
    """A t3.micro on Amazon Linux 2023 running the demo app as the systemd unit ``demo-app`` (user data)."""
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        "mkdir -p /opt/demo",
        f"cat > /opt/demo/service.py <<'SERVICE'\n{SERVICE}SERVICE",
        f"cat > /etc/systemd/system/demo-app.service <<'UNIT'\n{UNIT}UNIT",
        "systemctl daemon-reload",
        "systemctl enable --now demo-app",
    )
    image = ec2.MachineImage.latest_amazon_linux2023()
    return Fleet(_instance(stack, patch_group, image, ec2.InstanceType("t3.micro"), user_data))


def windows_demo_instance(stack: Stack, patch_group: str) -> Fleet:
    """A t3.medium on Windows Server 2022 with the demo app's script in C:\\demo (user data); the app is not
    running until the start hook launches it (the hooks' pidfile manager records what it starts)."""
    user_data = ec2.UserData.for_windows()
    user_data.add_commands(
        f"New-Item -ItemType Directory -Force -Path {WINDOWS_APP_DIR} | Out-Null",
        f"Set-Content -LiteralPath {WINDOWS_APP_DIR}\\service.ps1 -Encoding ASCII -Value @'\n{WINDOWS_SERVICE}'@",
        # The here-string's end stays on a line of its own, not beside EC2Launch's closing tag.
        "Write-Output 'demo app script written'",
    )
    image = ec2.MachineImage.latest_windows(ec2.WindowsVersion.WINDOWS_SERVER_2022_ENGLISH_FULL_BASE)
    instance = _instance(stack, patch_group, image, ec2.InstanceType("t3.medium"), user_data)
    return Fleet(
        instance,
        shell_document="AWS-RunPowerShellScript",
        health_command="(Invoke-WebRequest -UseBasicParsing -Uri http://127.0.0.1:8080/health).Content",
    )


def _instance(
    stack: Stack, patch_group: str, image: ec2.IMachineImage, size: ec2.InstanceType, user_data: ec2.UserData
) -> ec2.Instance:
    """The instance in a public subnet of its own VPC (no NAT: it reaches SSM over the internet), no inbound
    rule, SSM-managed through its instance profile, tagged into ``patch_group``."""
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
        # No custom resource (a Lambda) to empty the default security group: the instance has its own.
        restrict_default_security_group=False,
    )
    role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"))
    instance = ec2.Instance(
        stack,
        "Instance",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        instance_type=size,
        machine_image=image,
        role=role,
        user_data=user_data,
        require_imdsv2=True,
    )
    Tags.of(instance).add("PatchGroup", patch_group)
    return instance


def with_failing_pre_install(stack: Stack, hooks: LifecycleHooks, prefix: str, message: str) -> LifecycleHooks:
    """``hooks`` with a pre-install hook that prints ``message`` and exits 1 (document ``<prefix>-FailingPreInstall``)."""
    failing = HookDocument(
        stack,
        "FailingPreInstall",
        linux=HookScript.inline(f"echo 'integ: {message}'; exit 1"),
        document_name=f"{prefix}-FailingPreInstall",
    )
    return LifecycleHooks(pre_install=failing, post_install=hooks.post_install, on_exit=hooks.on_exit)


def weekly_workflow(
    stack: Stack, construct_id: str, patch_group: str, hooks: LifecycleHooks, **options: Any
) -> PatchWorkflow:
    """A workflow for ``patch_group`` with ``hooks`` that opens on Sundays at 03:00 UTC for 2 hours: it never
    opens while a test runs (the assertions send their own commands)."""
    return PatchWorkflow(
        stack,
        construct_id,
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(2),
        patch_groups=[patch_group],
        hooks=hooks,
        **options,
    )


def online(integ: IntegTest, fleet: Fleet) -> IApiCall:
    """Wait until SSM reports the instance online (its agent registered)."""
    return (
        integ.assertions.aws_api_call(
            "SSM",
            "describeInstanceInformation",
            {"Filters": [{"Key": "InstanceIds", "Values": [fleet.instance.instance_id]}]},
        )
        .expect(ExpectedResult.object_like({"InstanceInformationList": [{"PingStatus": "Online"}]}))
        .wait_for_assertions(total_timeout=TOTAL_TIMEOUT, interval=INTERVAL)
    )


def run_command(integ: IntegTest, fleet: Fleet, document: str, parameters: dict[str, Any]) -> IApiCall:
    """Send ``document`` to the instance (its command id is the call's ``Command.CommandId``)."""
    return integ.assertions.aws_api_call(
        "SSM",
        "sendCommand",
        {"DocumentName": document, "InstanceIds": [fleet.instance.instance_id], "Parameters": parameters},
    )


def invocation(integ: IntegTest, fleet: Fleet, command: IApiCall, expected: dict[str, Any]) -> IApiCall:
    """Wait until the command's invocation on the instance looks like ``expected`` (a status is final)."""
    return (
        integ.assertions.aws_api_call(
            "SSM",
            "getCommandInvocation",
            {"CommandId": command.get_att_string("Command.CommandId"), "InstanceId": fleet.instance.instance_id},
        )
        .expect(ExpectedResult.object_like(expected))
        .wait_for_assertions(total_timeout=TOTAL_TIMEOUT, interval=INTERVAL)
    )


def healthy(integ: IntegTest, fleet: Fleet) -> tuple[IApiCall, IApiCall]:
    """Ask the instance, through SSM, whether the app answers healthy on its port."""
    check = run_command(integ, fleet, fleet.shell_document, {"commands": [fleet.health_command]})
    answer = {"Status": "Success", "StandardOutputContent": Match.string_like_regexp("^ok")}
    return check, invocation(integ, fleet, check, answer)


def acknowledge_assertion_providers(integ: IntegTest) -> None:
    """The assertions run in integ-tests-alpha's own Lambda providers (in the assertions' stack, deployed by
    ``make integ`` and destroyed after it): the scanner's Lambda and IAM checks are theirs to meet, not ours."""
    reason = (
        "integ-tests-alpha's assertion provider: it calls the SSM APIs the assertions name, lives only while "
        "make integ runs, and is destroyed after it"
    )
    for construct in integ.node.find_all():  # the assertions' stack is a child of the test
        if isinstance(construct, CfnResource) and construct.cfn_resource_type in _PROVIDER_CHECKS:
            for check in _PROVIDER_CHECKS[construct.cfn_resource_type]:
                suppress_scanner(construct, check, reason)


_PROVIDER_CHECKS = {
    "AWS::Lambda::Function": ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"),
    # The provider grants the APIs the assertions call on every resource (integ-tests-alpha's way): reading
    # the brake's halt record is ssm:GetParameter, which the scanner counts as a way out for data.
    "AWS::IAM::Policy": ("CKV_AWS_108", "CKV_AWS_111"),
    "AWS::IAM::Role": ("CKV_AWS_108", "CKV_AWS_111"),
}


def assert_hooked_patch(
    integ: IntegTest, fleet: Fleet, hooks: LifecycleHooks, *, status: str, output: str, start_first: bool = False
) -> None:
    """The test's assertions, in order: the instance is online; with ``start_first``, the on-exit hook's
    document alone starts the app and sees it healthy; AWS-RunPatchBaselineWithHooks with ``hooks`` (Install,
    NoReboot) ends ``status`` with ``output`` (a regular expression) in its output; the app answers healthy."""
    steps = [online(integ, fleet)]
    if start_first:
        assert hooks.on_exit is not None
        start = run_command(integ, fleet, hooks.on_exit.document_name, {})
        healthy_after = Match.string_like_regexp("start_app_and_verify: demo-app is healthy after")
        steps += [start, invocation(integ, fleet, start, {"Status": "Success", "StandardOutputContent": healthy_after})]
    patch = run_command(
        integ,
        fleet,
        "AWS-RunPatchBaselineWithHooks",
        {"Operation": ["Install"], "RebootOption": ["NoReboot"], **hooks.to_task_parameters()},
    )
    ended = invocation(
        integ, fleet, patch, {"Status": status, "StandardOutputContent": Match.string_like_regexp(output)}
    )
    steps += [patch, ended, *healthy(integ, fleet)]
    acknowledge_assertion_providers(integ)
    in_order(steps)


def in_order(steps: Sequence[IApiCall]) -> None:
    """Run the assertions one after another, in the order given."""
    for earlier, later in itertools.pairwise(steps):
        earlier.next(later)
