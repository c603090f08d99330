"""What the commands that call AWS share: clients from the SDK's usual chain, and its errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .command import CommandError, run_command


def run_with_aws(prog: str, region: str | None, services: Sequence[str], body: Callable[[dict[str, Any]], int]) -> int:
    """Run ``body`` with a boto3 client per service; no region, no credentials or an AWS error is one line
    and exit 2 (boto3 is imported here only: the offline commands never need it)."""

    def command() -> int:
        try:
            import boto3  # the CLI's own dependency (extra "cli"); synth never needs it
        except ImportError as error:
            raise CommandError("needs boto3: pip install 'constructs-lib[cli]'") from error
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

        try:
            session = boto3.Session(region_name=region)
            return body({name: session.client(name) for name in services})
        except NoRegionError as error:
            raise CommandError("no AWS region: pass --region or set AWS_REGION (or a profile's region)") from error
        except NoCredentialsError as error:
            raise CommandError("no AWS credentials: set a profile (AWS_PROFILE) or credentials") from error
        except (BotoCoreError, ClientError) as error:
            raise CommandError(f"AWS said: {str(error)[:300]}") from error

    return run_command(prog, command)


def load_stack(cloudformation: Any, stack: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The deployed template and the physical id of each logical id."""
    body = cloudformation.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    physical: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            physical[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    return template, physical


def ask(question: str, refusal: str) -> bool:
    """Ask on the terminal; without one, refuse with ``refusal`` (a script must say --yes)."""
    if not sys.stdin.isatty():
        raise CommandError(refusal)
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # Ctrl-D: no
        return False
