"""What every integration test deploys: one small instance, managed by SSM through its instance profile, running
the demo app, tagged into a patch group (Amazon Linux 2023 with the app as the systemd unit ``demo-app``, or,
for the optional Windows test, Windows Server 2022 with the app as a process the start hook launches); and the
assertions' steps: wait until SSM reports the instance online, run a command, wait for its outcome."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest

from constructs_lib import (
    ApprovalRule,
    CommandOutput,
    HookDocument,
    HookScript,
    LifecycleHooks,
    OperatingSystem,
    PatchBaselineOptions,
    PatchWorkflow,
    WindowSchedule,
)
from constructs_lib._internal.constants import PATCH_DOCUMENT
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
# CloudFormation waits an hour at most for a custom resource: each waiting step gives up before that, so
# its own "Operation timed out" message reaches the deploy.
TOTAL_TIMEOUT = Duration.minutes(50)
SHORT_TIMEOUT = Duration.minutes(10)
INTERVAL = Duration.seconds(30)
# With nothing missing, AWS-RunPatchBaselineWithHooks Install goes straight to on-exit: the hooks before it
# run only when the instance misses an approved patch. So the Linux instance downgrades the first of these
# that has an older build in its repository, and the test's baseline approves every update at once.
DOWNGRADE_CANDIDATES = ("ca-certificates", "tzdata", "openssl-libs", "glibc-langpack-en", "python3-libs")
# What the stop and start hooks print when a hooked patch goes well.
STOPPED_AND_HEALTHY = ("stop_app_gracefully: demo-app stopped after", "start_app_and_verify: demo-app is healthy after")
APPROVE_ALL = ApprovalRule(approve_after=Duration.days(0), enable_non_security=True)


@dataclass
class Fleet:
    """The one instance the assertions ask SSM about, where its commands write their output, how to ask it
    whether user data is done and whether the app is healthy, and the baseline its patch group uses."""

    instance: ec2.Instance
    output: CommandOutput
    baseline: PatchBaselineOptions
    shell_document: str = "AWS-RunShellScript"
    ready_command: str = "cloud-init status --wait >/dev/null; systemctl is-active demo-app"
    ready_answer: str = "^active"
    health_command: str = "curl -fsS http://127.0.0.1:8080/health"

    @property
    def log_group_name(self) -> str:
        assert self.output.log_group is not None
        return self.output.log_group.log_group_name


def demo_instance(stack: Stack, patch_group: str) -> Fleet:
    """A t3.micro on Amazon Linux 2023 running the demo app as the systemd unit ``demo-app`` (user data),
    with one package downgraded so that Install has something to install."""
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        "mkdir -p /opt/demo",
        f"cat > /opt/demo/service.py <<'SERVICE'\n{SERVICE}SERVICE",
        f"cat > /etc/systemd/system/demo-app.service <<'UNIT'\n{UNIT}UNIT",
        "systemctl daemon-reload",
        "systemctl enable --now demo-app",
        f'for package in {" ".join(DOWNGRADE_CANDIDATES)}; do dnf -y downgrade "$package" && break; done',
    )
    image = ec2.MachineImage.latest_amazon_linux2023()
    instance, output = _instance(stack, patch_group, image, ec2.InstanceType("t3.micro"), user_data)
    baseline = PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023, approval_rules=[APPROVE_ALL])
    return Fleet(instance, output, baseline)


def windows_demo_instance(stack: Stack, patch_group: str) -> Fleet:
    """A t3.medium on Windows Server 2022 with the demo app's script in C:\\demo (user data); the app is not
    running until the start hook launches it (the hooks' pidfile manager records what it starts). Nothing is
    downgraded: the baseline approves every update at once, and Microsoft Defender's definition updates come
    out several times a day."""
    user_data = ec2.UserData.for_windows()
    user_data.add_commands(
        f"New-Item -ItemType Directory -Force -Path {WINDOWS_APP_DIR} | Out-Null",
        f"Set-Content -LiteralPath {WINDOWS_APP_DIR}\\service.ps1 -Encoding ASCII -Value @'\n{WINDOWS_SERVICE}'@",
        # The here-string's end stays on a line of its own, not beside EC2Launch's closing tag.
        "Write-Output 'demo app script written'",
    )
    image = ec2.MachineImage.latest_windows(ec2.WindowsVersion.WINDOWS_SERVER_2022_ENGLISH_FULL_BASE)
    instance, output = _instance(stack, patch_group, image, ec2.InstanceType("t3.medium"), user_data)
    baseline = PatchBaselineOptions(
        operating_system=OperatingSystem.WINDOWS, approval_rules=[ApprovalRule(approve_after=Duration.days(0))]
    )
    return Fleet(
        instance,
        output,
        baseline,
        shell_document="AWS-RunPowerShellScript",
        ready_command=f"if (Test-Path -LiteralPath {WINDOWS_APP_DIR}\\service.ps1) {{ 'ready' }}",
        ready_answer="^ready",
        health_command="(Invoke-WebRequest -UseBasicParsing -Uri http://127.0.0.1:8080/health).Content",
    )


def _instance(
    stack: Stack, patch_group: str, image: ec2.IMachineImage, size: ec2.InstanceType, user_data: ec2.UserData
) -> tuple[ec2.Instance, CommandOutput]:
    """The instance in a public subnet of its own VPC (no NAT: it reaches SSM over the internet), no inbound
    rule, SSM-managed through its instance profile, tagged into ``patch_group``; and a log group (destroyed
    with the test) its commands write their output to."""
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
    logs_group = logs.LogGroup(
        stack, "CommandLogs", retention=logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY
    )
    suppress_scanner(logs_group, "CKV_AWS_158", "the integration test's command output, destroyed with the test")
    output = CommandOutput(stack, "Output", s3_output=False, log_group=logs_group)
    output.grant_write(role)
    return instance, output


def with_failing_pre_install(stack: Stack, hooks: LifecycleHooks, prefix: str, message: str) -> LifecycleHooks:
    """``hooks`` with a pre-install hook that prints ``message`` and exits 1 (its document is named
    ``<prefix>-FailingPreInstall``)."""
    failing = HookDocument(
        stack,
        "FailingPreInstall",
        linux=HookScript.inline(f"echo 'integ: {message}'; exit 1"),
        document_name=f"{prefix}-FailingPreInstall",
    )
    return LifecycleHooks(pre_install=failing, post_install=hooks.post_install, on_exit=hooks.on_exit)


def weekly_workflow(
    stack: Stack, construct_id: str, fleet: Fleet, patch_group: str, hooks: LifecycleHooks
) -> PatchWorkflow:
    """A workflow for ``patch_group`` with ``hooks`` and the fleet's baseline and output, that opens on
    Sundays at 03:00 UTC for 2 hours: it never opens while a test runs (the assertions send their own commands)."""
    return PatchWorkflow(
        stack,
        construct_id,
        schedule=WindowSchedule.cron("0 3 ? * SUN *"),
        duration=Duration.hours(2),
        patch_groups=[patch_group],
        baselines=[fleet.baseline],
        hooks=hooks,
        output=fleet.output,
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
    """Send ``document`` to the instance, its output to the fleet's log group (its command id is the call's
    ``Command.CommandId``, its log streams ``<command id>/<instance id>/<step>/stdout``)."""
    return integ.assertions.aws_api_call(
        "SSM",
        "sendCommand",
        {
            "DocumentName": document,
            "InstanceIds": [fleet.instance.instance_id],
            "Parameters": parameters,
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": fleet.log_group_name, "CloudWatchOutputEnabled": True},
        },
    )


def invocation(integ: IntegTest, fleet: Fleet, command: IApiCall, path: str, expected: str) -> IApiCall:
    """Wait until the command's invocation on the instance has ``expected`` (a regular expression) at
    ``path`` (Status, or StandardOutputContent of a short command): one field is read, because CloudFormation
    takes at most 4,096 bytes back from a custom resource and a patch run's output is far longer."""
    return (
        integ.assertions.aws_api_call(
            "SSM",
            "getCommandInvocation",
            {"CommandId": command.get_att_string("Command.CommandId"), "InstanceId": fleet.instance.instance_id},
        )
        .assert_at_path(path, ExpectedResult.string_like_regexp(expected))
        .wait_for_assertions(total_timeout=TOTAL_TIMEOUT, interval=INTERVAL)
    )


def logged(integ: IntegTest, fleet: Fleet, phrase: str, command: IApiCall | None = None) -> IApiCall:
    """Wait until ``phrase`` shows in the output the fleet's log group holds (of ``command`` only, when given):
    the agent ships output within minutes of each step."""
    parameters: dict[str, Any] = {"logGroupName": fleet.log_group_name, "filterPattern": f'"{phrase}"'}
    if command is not None:
        parameters["logStreamNamePrefix"] = command.get_att_string("Command.CommandId")
    return (
        integ.assertions.aws_api_call("CloudWatchLogs", "filterLogEvents", parameters)
        .assert_at_path("events.0.logStreamName", ExpectedResult.string_like_regexp("/stdout$"))
        .wait_for_assertions(total_timeout=SHORT_TIMEOUT, interval=INTERVAL)
    )


def ready(integ: IntegTest, fleet: Fleet) -> list[IApiCall]:
    """Wait until user data is done (SSM can report the instance online before it runs)."""
    return _asked(integ, fleet, fleet.ready_command, fleet.ready_answer)


def healthy(integ: IntegTest, fleet: Fleet) -> list[IApiCall]:
    """Ask the instance, through SSM, whether the app answers healthy on its port."""
    return _asked(integ, fleet, fleet.health_command, "^ok")


def _asked(integ: IntegTest, fleet: Fleet, command: str, answer: str) -> list[IApiCall]:
    """Run ``command`` in the instance's shell, then wait until its output matches ``answer``."""
    check = run_command(integ, fleet, fleet.shell_document, {"commands": [command]})
    return [check, invocation(integ, fleet, check, "StandardOutputContent", answer)]


def acknowledge_assertion_providers(integ: IntegTest) -> None:
    """The assertions run in integ-tests-alpha's own Lambda providers (in the assertions' stack, deployed by
    ``make integ`` and destroyed after it): the scanner's Lambda and IAM checks are theirs to meet, not ours."""
    reason = (
        "integ-tests-alpha's assertion provider: it calls the APIs the assertions name, lives only while "
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
    integ: IntegTest,
    fleet: Fleet,
    hooks: LifecycleHooks,
    *,
    status: str,
    phrases: Sequence[str],
    start_first: bool = False,
) -> None:
    """The test's assertions, in order: the instance is online and its user data done; with ``start_first``,
    the on-exit hook's document alone starts the app and logs it healthy; AWS-RunPatchBaselineWithHooks with
    ``hooks`` (Install, NoReboot) ends ``status`` and its output holds each of ``phrases``; the app answers
    healthy."""
    steps = [online(integ, fleet), *ready(integ, fleet)]
    if start_first:
        assert hooks.on_exit is not None
        start = run_command(integ, fleet, hooks.on_exit.document_name, {})
        steps += [
            start,
            invocation(integ, fleet, start, "Status", "^Success$"),
            logged(integ, fleet, "demo-app is healthy after", start),
        ]
    patch = run_command(
        integ,
        fleet,
        PATCH_DOCUMENT,
        {"Operation": ["Install"], "RebootOption": ["NoReboot"], **hooks.to_task_parameters()},
    )
    steps += [patch, invocation(integ, fleet, patch, "Status", f"^{status}$")]
    steps += [logged(integ, fleet, phrase, patch) for phrase in phrases]
    steps += healthy(integ, fleet)
    acknowledge_assertion_providers(integ)
    in_order(steps)


def in_order(steps: Sequence[IApiCall]) -> None:
    """Run the assertions one after another, in the order given."""
    for earlier, later in itertools.pairwise(steps):
        earlier.next(later)
