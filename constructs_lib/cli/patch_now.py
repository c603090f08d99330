"""patch-now: run a deployed stack's hooked patch task right now, outside its maintenance window.

Reads the deployed template and its physical resource ids from CloudFormation, then sends
AWS-RunPatchBaselineWithHooks with the task's parameters, hooks, output settings and rate control
as one command to the union of the task's targets (so rate control covers them all and an instance two
targets match is patched once), waits, and prints each instance's status. Before sending it asks
Systems Manager which managed nodes the targets reach now, and refuses when none. It asks before sending
(or takes --yes; without a terminal it refuses without --yes); --dry-run prints the nodes and the request
and sends nothing; --instance-ids patches only those instances; --canary N patches N of the nodes first
(online ones by instance id, stopping at their first error) and the others only if all N succeed.

    patch-now --stack PatchingDemo [--task PatchingTask] [--dry-run] [--yes] [--canary 1]
              [--instance-ids i-1,i-2]

Every node of one run (canary and rest) uses the same fresh SnapshotId, so all install the same patch
set. Needs AWS credentials (the SDK's usual chain); SNS notifications of the task are not re-sent.
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
from .aws import ask as ask_on_terminal
from .aws import load_stack, run_with_aws
from .command import CommandError, bounded_int, checked
from .managed_nodes import ManagedNode, resolve

TERMINAL = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling"}
TARGET_TYPE = "AWS::SSM::MaintenanceWindowTarget"
INSTANCE_IDS_MAX = 50  # one SendCommand's Targets values (API model: TargetValues)


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
        help="patch only these instances, comma-separated, instead of the task's targets",
    )
    parser.add_argument(
        "--canary",
        type=bounded_int(1, INSTANCE_IDS_MAX),
        help="patch this many of the nodes first (stopping at their first error), the others only if they succeed",
    )
    args = parser.parse_args(argv)
    if args.canary and args.no_wait:
        parser.error("--canary waits for the canary before the rest: drop --no-wait")
    return args


def plan(template: dict[str, Any], physical_ids: dict[str, str], args: argparse.Namespace) -> PlannedCommand:
    """The one SendCommand request that reproduces the chosen task."""
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
        return PlannedCommand("--instance-ids", {**base, "Targets": targets})
    commands = []
    for target_ref in _window_target_refs(props, logical_id):
        target = resources.get(target_ref, {})
        if target.get("Type") != TARGET_TYPE:
            raise PatchNowError(f"task {logical_id} names {target_ref}, which is not a window target of the stack")
        keys = [{"Key": t["Key"], "Values": [resolve(v) for v in t["Values"]]} for t in target["Properties"]["Targets"]]
        if any(key["Key"] == "resource-groups:ResourceTypeFilters" for key in keys):
            raise PatchNowError(
                f"window target {target_ref} filters its resource group by type, which only maintenance windows "
                "support (Run Command does not); pass --instance-ids to patch the instances you mean"
            )
        commands.append(PlannedCommand(target["Properties"].get("Name", target_ref), {**base, "Targets": keys}))
    return _one_command(commands, logical_id)


def _one_command(commands: list[PlannedCommand], logical_id: str) -> PlannedCommand:
    """One SendCommand for the union of the window targets: a command's target keys are ANDed, so only
    targets of one key each, the same key, merge (their values are ORed); anything else is refused rather
    than sent as several commands, which would patch an instance two targets match twice at once."""
    if len(commands) == 1:
        return commands[0]
    keys = {tuple(target["Key"] for target in command.request["Targets"]) for command in commands}
    if len(keys) != 1 or len(next(iter(keys))) != 1 or not _mergeable(next(iter(keys))[0]):
        raise PatchNowError(
            f"task {logical_id}'s window targets can't be merged into one command (they use keys "
            f"{sorted(keys)}); pass --instance-ids to patch the instances you mean"
        )
    values: list[str] = []
    for command in commands:
        values += [value for value in command.request["Targets"][0]["Values"] if value not in values]
    if len(values) > INSTANCE_IDS_MAX:
        raise PatchNowError(
            f"task {logical_id}'s targets hold {len(values)} values; one command takes {INSTANCE_IDS_MAX}"
        )
    names = " + ".join(command.target_name for command in commands)
    key = next(iter(keys))[0]
    return PlannedCommand(names, {**commands[0].request, "Targets": [{"Key": key, "Values": values}]})


def _mergeable(key: str) -> bool:
    """Keys whose values Run Command ORs: a tag's values, tag keys, instance ids (a resource group target
    names one group)."""
    return key.startswith("tag:") or key in ("tag-key", "InstanceIds")


def _check_instance_ids(text: str) -> None:
    ids = text.split(",")
    rules.check_count("instance_ids", ids, 1, INSTANCE_IDS_MAX)
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


def split_canary(command: PlannedCommand, nodes: list[ManagedNode], canary: int | None) -> list[PlannedCommand]:
    """The command as sent: whole, or a canary (online nodes only, by instance id; no error tolerated) and
    then the rest, by instance id when they fit one command, else the task's targets (the canary runs again:
    its patches are installed, its hooks run again). A node SSM can't reach is never a canary: its
    invocation would be Undeliverable, which does not fail the command."""
    if not canary:
        return [command]
    if canary >= len(nodes):
        raise PatchNowError(
            f"--canary {canary} leaves no node for after it: the targets reach {len(nodes)} managed nodes now"
        )
    online = [node.instance_id for node in nodes if node.online]
    if len(online) < canary:
        offline = ", ".join(f"{node.instance_id} {node.ping_status}" for node in nodes if not node.online)
        raise PatchNowError(f"--canary {canary} needs {canary} online nodes; only {len(online)} online ({offline})")
    first = online[:canary]
    rest = sorted(node.instance_id for node in nodes if node.instance_id not in first)
    canary_request = {**command.request, "Targets": [{"Key": "InstanceIds", "Values": first}], "MaxErrors": "0"}
    if len(rest) <= INSTANCE_IDS_MAX:
        rest_command = PlannedCommand(
            f"the other {len(rest)}", {**command.request, "Targets": [{"Key": "InstanceIds", "Values": rest}]}
        )
    else:
        rest_command = PlannedCommand(f"{command.target_name} (the canary again)", command.request)
    return [PlannedCommand(f"canary of {canary}", canary_request), rest_command]


def _warn_unreachable(command: PlannedCommand, nodes: list[ManagedNode], out: TextIO) -> None:
    """Instance ids given that are not managed nodes now: Run Command would fail them (Undeliverable)."""
    found = {node.instance_id for node in nodes}
    for target in command.request["Targets"]:
        if target["Key"] == "InstanceIds":
            missing = [value for value in target["Values"] if value not in found]
            if missing:
                out.write(f"not managed nodes now (Systems Manager can't reach them): {', '.join(missing)}\n")


def wait_for(
    ssm: Any,
    command_id: str,
    timeout: int,
    poll: int,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> str:
    """Poll until the command ends (or the timeout passes); its last status."""
    deadline = clock() + timeout
    while True:
        listed = ssm.list_commands(CommandId=command_id)["Commands"]
        status: str = listed[0]["Status"] if listed else "Pending"  # a new command may not be listed yet
        if status in TERMINAL or clock() >= deadline:
            return status
        sleep(poll)


def _question(commands: list[PlannedCommand], nodes: list[ManagedNode]) -> str:
    request = commands[0].request
    targets = "; ".join(f"{t['Key']} = {', '.join(t['Values'])}" for t in request["Targets"])
    order = f"{len(nodes)} managed nodes now"
    if len(commands) > 1:
        order += f", first a canary ({targets}), the others only if it succeeds"
        targets = "; ".join(f"{t['Key']} = {', '.join(t['Values'])}" for t in commands[1].request["Targets"])
    return (
        f"Run {request['Parameters']['Operation'][0]} with {request['Parameters'].get('RebootOption', ['?'])[0]} "
        f"now on {targets}, {order} ({request['MaxConcurrency']} at a time, stopping once more than "
        f"{commands[-1].request['MaxErrors']} fail)? [y/N] "
    )


def ask(question: str) -> bool:
    """Ask on the terminal; without one, refuse (a script must say --yes)."""
    return ask_on_terminal(
        question, "patch-now sends the patch run at once and may reboot instances: pass --yes to confirm"
    )


def print_nodes(nodes: list[ManagedNode], out: TextIO) -> None:
    out.write(f"managed nodes the targets reach now ({len(nodes)}):\n")
    for node in nodes:
        out.write(f"  {node.instance_id:<22} {node.name:<24} {node.platform:<20} {node.ping_status}\n")


def print_invocations(ssm: Any, command_id: str, out: TextIO) -> list[str]:
    """Print each instance's status of the command; the statuses."""
    out.write(f"{'instance':<22} {'name':<24} {'status':<12} details\n")
    statuses = []
    for page in ssm.get_paginator("list_command_invocations").paginate(CommandId=command_id):
        for invocation in page["CommandInvocations"]:
            statuses.append(invocation["Status"])
            out.write(
                f"{invocation['InstanceId']:<22} {invocation.get('InstanceName', ''):<24} "
                f"{invocation['Status']:<12} {invocation.get('StatusDetails', '')}\n"
            )
    return statuses


@dataclass
class Waiting:
    """How run() waits for a command: the user's limits and the clock (injected by tests)."""

    timeout: int
    poll: int
    sleep: Callable[[float], None]
    clock: Callable[[], float]


def send(ssm: Any, command: PlannedCommand, out: TextIO, waiting: Waiting | None) -> str:
    """Send one command; unless not waiting, wait for it and print each instance's status. Its outcome:
    "Sent" (not waited for), "Success" (the command and every invocation succeeded), or the status that
    stands in the way ("Failed", "InProgress" past the timeout, an invocation's "Failed" when an
    Undeliverable one left the command Success, ...)."""
    from botocore.exceptions import BotoCoreError, ClientError

    command_id = ssm.send_command(**command.request)["Command"]["CommandId"]
    out.write(
        f"sent {command_id} to {command.target_name} (SnapshotId {command.request['Parameters']['SnapshotId'][0]})\n"
    )
    if waiting is None:
        return "Sent"
    try:
        status = wait_for(ssm, command_id, waiting.timeout, waiting.poll, waiting.sleep, waiting.clock)
        invocations = print_invocations(ssm, command_id, out)
    except (BotoCoreError, ClientError) as error:
        raise PatchNowError(
            f"AWS said, while following command {command_id} (sent; it may still run): {str(error)[:300]}"
        ) from error
    out.write(f"command {command_id}: {status}\n")
    if status not in TERMINAL:
        out.write(
            f"command {command_id} is still {status} after --timeout; it goes on (stop it with "
            f"aws ssm cancel-command --command-id {command_id})\n"
        )
    failed = next((state for state in invocations if state != "Success"), None)
    return status if status != "Success" or failed is None else failed


def run(
    args: argparse.Namespace,
    cloudformation: Any,
    ssm: Any,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    confirm: Callable[[str], bool] | None = None,
    resource_groups: Any = None,
) -> int:
    confirm = confirm or ask
    template, physical = load_stack(cloudformation, args.stack)
    command = plan(template, physical, args)
    nodes = resolve(ssm, resource_groups, command.request["Targets"])
    if not nodes:
        raise PatchNowError(
            f"{command.target_name} reaches no managed node now, so nothing would be patched "
            "(check the targets' tags and that SSM Agent runs on the instances)"
        )
    _warn_unreachable(command, nodes, out)
    commands = split_canary(command, nodes, args.canary)
    if args.dry_run:
        print_nodes(nodes, out)
        for planned in commands:
            out.write(f"would send to {planned.target_name}:\n{json.dumps(planned.request, indent=1)}\n")
        return 0
    if not args.yes and not confirm(_question(commands, nodes)):
        out.write("nothing sent\n")
        return 1
    waiting = None if args.no_wait else Waiting(args.timeout, args.poll, sleep, clock)
    for planned in commands:
        status = send(ssm, planned, out, waiting)
        if status not in ("Success", "Sent"):
            if planned is not commands[-1]:
                out.write(f"the canary did not succeed ({status}): {commands[-1].target_name} not patched\n")
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the patch-now command."""
    args = parse_args(argv)
    return run_with_aws(
        "patch-now",
        args.region,
        ("cloudformation", "ssm", "resource-groups"),
        lambda clients: run(
            args,
            clients["cloudformation"],
            clients["ssm"],
            sys.stdout,
            resource_groups=clients["resource-groups"],
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
