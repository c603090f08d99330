"""patch-now: run a deployed stack's hooked patch task right now, outside its maintenance window.

Reads the deployed template and its physical resource ids from CloudFormation, then sends
AWS-RunPatchBaselineWithHooks with the task's parameters, hooks, output settings and rate control
as one command to the union of the task's targets (so rate control covers them all and an instance two
targets match is patched once), waits, and prints each instance's status. It asks before sending (or
takes --yes; without a terminal it refuses without --yes); --dry-run prints the request and sends nothing;
--instance-ids patches only those instances (a canary first, say).

    patch-now --stack PatchingDemo [--task PatchingTask] [--dry-run] [--yes] [--instance-ids i-1,i-2]

Every node of one run uses the same fresh SnapshotId, so all install the same patch set. Needs AWS
credentials (the SDK's usual chain); SNS notifications of the task are not re-sent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from .._internal import defaults, rules
from .._internal.constants import PATCH_DOCUMENT
from .assembly import choose_task
from .command import CommandError, bounded_int, checked, run_command

TERMINAL = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling"}
TARGET_TYPE = "AWS::SSM::MaintenanceWindowTarget"


class PatchNowError(CommandError):
    """A problem with the stack or the task, reported to the user as one line."""


@dataclass
class PlannedCommand:
    """One SendCommand request: the task's settings for one window target."""

    target_name: str
    request: dict[str, Any]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patch-now", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--task", help="the task's name or logical id (default: the stack's only hooked task)")
    parser.add_argument("--region", help="AWS region (default: the SDK's)")
    parser.add_argument("--operation", choices=["Install", "Scan"], help="override the task's Operation")
    parser.add_argument("--reboot-option", choices=["RebootIfNeeded", "NoReboot"], help="override RebootOption")
    parser.add_argument(
        "--max-concurrency",
        type=checked(rules.check_max_concurrency),
        help="override the task's MaxConcurrency (e.g. 1 or 10%%)",
    )
    parser.add_argument(
        "--max-errors", type=checked(rules.check_max_errors), help="override the task's MaxErrors (e.g. 0 or 10%%)"
    )
    parser.add_argument(
        "--snapshot-id", type=checked(rules.check_snapshot_id), help="the SnapshotId for this run (default: a new GUID)"
    )
    parser.add_argument(
        "--timeout", type=bounded_int(1, 172_800), default=3600, help="seconds to wait for the run (default 3600)"
    )
    parser.add_argument(
        "--poll", type=bounded_int(1, 3600), default=15, help="seconds between status checks (default 15)"
    )
    parser.add_argument("--no-wait", action="store_true", help="send the command and return")
    parser.add_argument("--dry-run", action="store_true", help="print the request and send nothing")
    parser.add_argument("--yes", action="store_true", help="send without asking (needed without a terminal)")
    parser.add_argument(
        "--instance-ids",
        type=checked(_check_instance_ids),
        help="patch only these instances, comma-separated (e.g. a canary), instead of the task's targets",
    )
    return parser.parse_args(argv)


def plan(template: dict[str, Any], physical_ids: dict[str, str], args: argparse.Namespace) -> list[PlannedCommand]:
    """The SendCommand requests that reproduce the chosen task."""
    resources: dict[str, Any] = template.get("Resources", {})
    logical_id, props = choose_task(resources, args.task)
    run_command = props.get("TaskInvocationParameters", {}).get("MaintenanceWindowRunCommandParameters", {})

    def resolve(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in physical_ids:
            return physical_ids[value["Ref"]]
        raise PatchNowError(f"task {logical_id} uses {json.dumps(value)}, which patch-now cannot resolve")

    parameters = {name: [resolve(v) for v in values] for name, values in run_command.get("Parameters", {}).items()}
    if args.operation:
        parameters["Operation"] = [args.operation]
    if args.reboot_option:
        parameters["RebootOption"] = [args.reboot_option]
    parameters["SnapshotId"] = [args.snapshot_id or str(uuid.uuid4())]
    base: dict[str, Any] = {
        "DocumentName": PATCH_DOCUMENT,
        "Parameters": parameters,
        "MaxConcurrency": args.max_concurrency or props.get("MaxConcurrency", defaults.MAX_CONCURRENCY),
        "MaxErrors": args.max_errors or props.get("MaxErrors", defaults.MAX_ERRORS),
        "Comment": f"patch-now: {args.stack} {props.get('Name', logical_id)}"[:100],
    }
    if "OutputS3BucketName" in run_command:
        base["OutputS3BucketName"] = resolve(run_command["OutputS3BucketName"])
        base["OutputS3KeyPrefix"] = (
            f"{resolve(run_command.get('OutputS3KeyPrefix', defaults.OUTPUT_KEY_PREFIX))}/patch-now"
        )
    cloudwatch = run_command.get("CloudWatchOutputConfig")
    if cloudwatch and cloudwatch.get("CloudWatchOutputEnabled"):
        base["CloudWatchOutputConfig"] = {
            "CloudWatchLogGroupName": resolve(cloudwatch["CloudWatchLogGroupName"]),
            "CloudWatchOutputEnabled": True,
        }
    if args.instance_ids:
        targets = [{"Key": "InstanceIds", "Values": args.instance_ids.split(",")}]
        return [PlannedCommand("--instance-ids", {**base, "Targets": targets})]
    commands = []
    for target_ref in _window_target_refs(props, logical_id):
        target = resources.get(target_ref, {})
        if target.get("Type") != TARGET_TYPE:
            raise PatchNowError(f"task {logical_id} names {target_ref}, which is not a window target of the stack")
        keys = [{"Key": t["Key"], "Values": [resolve(v) for v in t["Values"]]} for t in target["Properties"]["Targets"]]
        commands.append(PlannedCommand(target["Properties"].get("Name", target_ref), {**base, "Targets": keys}))
    return [_one_command(commands, logical_id)]


def _one_command(commands: list[PlannedCommand], logical_id: str) -> PlannedCommand:
    """One SendCommand for the union of the window targets: a command's target keys are ANDed, so only
    targets of one key each, the same key, merge (their values are ORed); anything else is refused rather
    than sent as several commands, which would patch an instance two targets match twice at once."""
    if len(commands) == 1:
        return commands[0]
    keys = {tuple(target["Key"] for target in command.request["Targets"]) for command in commands}
    if len(keys) != 1 or len(next(iter(keys))) != 1:
        raise PatchNowError(
            f"task {logical_id}'s window targets can't be merged into one command (they use keys "
            f"{sorted(keys)}); pass --instance-ids to patch the instances you mean"
        )
    values: list[str] = []
    for command in commands:
        values += [value for value in command.request["Targets"][0]["Values"] if value not in values]
    if len(values) > 50:
        raise PatchNowError(f"task {logical_id}'s targets hold {len(values)} values; one command takes 50")
    names = " + ".join(command.target_name for command in commands)
    key = next(iter(keys))[0]
    return PlannedCommand(names, {**commands[0].request, "Targets": [{"Key": key, "Values": values}]})


def _check_instance_ids(text: str) -> None:
    ids = text.split(",")
    rules.check_count("instance_ids", ids, 1, 50)
    rules.check_unique("instance_ids", ids)
    for instance_id in ids:
        rules.check_pattern("instance_ids", instance_id, rules.INSTANCE_ID, rules.INSTANCE_ID_RULE)


def _window_target_refs(props: dict[str, Any], logical_id: str) -> list[str]:
    refs = []
    for target in props.get("Targets", []):
        if target.get("Key") != "WindowTargetIds":
            raise PatchNowError(f"task {logical_id} targets {target.get('Key')}; patch-now needs window targets")
        refs += [value["Ref"] for value in target["Values"] if isinstance(value, dict) and "Ref" in value]
    if not refs:
        raise PatchNowError(f"task {logical_id} has no window targets")
    return refs


def load_stack(cloudformation: Any, stack: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The deployed template and the physical id of each logical id."""
    body = cloudformation.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    physical: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            physical[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    return template, physical


def wait_for(
    ssm: Any,
    command_ids: list[str],
    timeout: int,
    poll: int,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> dict[str, str]:
    """Poll until every command ends (or the timeout passes); the last status of each."""
    deadline = clock() + timeout
    statuses: dict[str, str] = {}
    while True:
        for command_id in command_ids:
            statuses[command_id] = ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"]
        if all(status in TERMINAL for status in statuses.values()) or clock() >= deadline:
            return statuses
        sleep(poll)


def _question(commands: list[PlannedCommand]) -> str:
    request = commands[0].request
    targets = "; ".join(f"{t['Key']} = {', '.join(t['Values'])}" for t in request["Targets"])
    return (
        f"Run {request['Parameters']['Operation'][0]} with {request['Parameters'].get('RebootOption', ['?'])[0]} "
        f"now on {targets} ({request['MaxConcurrency']} at a time, stop after {request['MaxErrors']} errors)? [y/N] "
    )


def ask(question: str) -> bool:
    """Ask on the terminal; without one, refuse (a script must say --yes)."""
    if not sys.stdin.isatty():
        raise PatchNowError("patch-now sends the patch run at once and may reboot instances: pass --yes to confirm")
    return input(question).strip().lower() in ("y", "yes")


def print_invocations(ssm: Any, command_id: str, target_name: str, out: TextIO) -> None:
    for page in ssm.get_paginator("list_command_invocations").paginate(CommandId=command_id):
        for invocation in page["CommandInvocations"]:
            out.write(
                f"{target_name:<24} {invocation['InstanceId']:<22} {invocation.get('InstanceName', ''):<24} "
                f"{invocation['Status']:<12} {invocation.get('StatusDetails', '')}\n"
            )


def run(
    args: argparse.Namespace,
    cloudformation: Any,
    ssm: Any,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    confirm = confirm or ask
    template, physical = load_stack(cloudformation, args.stack)
    commands = plan(template, physical, args)
    if args.dry_run:
        for command in commands:
            out.write(f"would send to {command.target_name}:\n{json.dumps(command.request, indent=1)}\n")
        return 0
    if not args.yes and not confirm(_question(commands)):
        out.write("nothing sent\n")
        return 1
    sent: list[tuple[str, PlannedCommand]] = []
    for command in commands:
        command_id = ssm.send_command(**command.request)["Command"]["CommandId"]
        out.write(
            f"sent {command_id} to {command.target_name} "
            f"(SnapshotId {command.request['Parameters']['SnapshotId'][0]})\n"
        )
        sent.append((command_id, command))
    if args.no_wait:
        return 0
    statuses = wait_for(ssm, [command_id for command_id, _ in sent], args.timeout, args.poll, sleep, clock)
    out.write(f"{'target':<24} {'instance':<22} {'name':<24} {'status':<12} details\n")
    for command_id, command in sent:
        print_invocations(ssm, command_id, command.target_name, out)
    for command_id, status in statuses.items():
        out.write(f"command {command_id}: {status}\n")
    return 0 if all(status == "Success" for status in statuses.values()) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-now command."""
    args = parse_args(argv)

    def command() -> int:
        try:
            import boto3  # the CLI's own dependency (extra "cli"); synth never needs it
        except ImportError as error:
            raise CommandError("needs boto3: pip install 'constructs-lib[cli]'") from error
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

        try:
            session = boto3.Session(region_name=args.region)
            return run(args, session.client("cloudformation"), session.client("ssm"), sys.stdout)
        except NoRegionError as error:
            raise CommandError("no AWS region: pass --region or set AWS_REGION (or a profile's region)") from error
        except NoCredentialsError as error:
            raise CommandError("no AWS credentials: set a profile (AWS_PROFILE) or credentials") from error
        except (BotoCoreError, ClientError) as error:
            raise CommandError(f"AWS said: {str(error)[:300]}") from error

    return run_command("patch-now", command)


if __name__ == "__main__":
    sys.exit(main())
