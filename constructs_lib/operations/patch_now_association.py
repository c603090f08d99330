"""PatchNowAssociation: patch once, now, with the same hooks (the console's "Patch now", as code)."""

from __future__ import annotations

import uuid
from typing import Unpack

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal import defaults
from .._internal.constants import PATCH_DOCUMENT
from .._internal.options import check_keywords
from .._internal.rules import (
    RESOURCE_NAME,
    check_needs,
    check_no_hooks_with_scan,
    check_rate_control,
    check_resource_name,
    check_snapshot_id,
    fail,
)
from .._internal.typecheck import typed
from ..core.command_output import CommandOutput
from ..core.patch_task import PatchOperation, PatchRunOptions
from ..core.stack_checks import watch
from ..core.window_target import WindowTargets

# Deterministic default snapshot ids: a UUID derived from the construct path, never random.
_SNAPSHOT_NAMESPACE = uuid.UUID("6f1c8a52-1f0e-4c43-9d6b-6a3f0b7b2c11")


class PatchNowAssociation(Construct):
    """Defines a State Manager association that runs AWS-RunPatchBaselineWithHooks now, outside any window.

    Opt-in, and effective at deploy time: an association without a schedule runs as soon as it is
    created, and again whenever its parameters change (e.g. a new ``snapshot_id``). It is not a one-off:
    State Manager also runs it on every new instance its targets match, after a run an instance missed,
    after an instance was stopped over 30 days, and when the document's default version changes (user
    guide "sysman-state-about"). So an Install takes instance ids only (today's instances) by default; tags
    or a resource group, which also match instances launched later, need ``include_new_instances=True``.
    All nodes of a run share one ``SnapshotId``, so they install the same patch set; SSM keeps a snapshot for at most 3
    days, so a later re-run of the same association needs a new ``snapshot_id``. Associations write
    output to S3 only (no CloudWatch option). Linux and Windows Server only, SSM Agent 3.0.502 or later.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        targets: WindowTargets,
        snapshot_id: str | None = None,
        association_name: str | None = None,
        output: CommandOutput | None = None,
        include_new_instances: bool = False,
        **options: Unpack[PatchRunOptions],
    ) -> None:
        """Define the association.

        Args:
            targets: the instances to patch (tags, instance ids, or a resource group without type filters).
            snapshot_id: the GUID every node of the run uses to get the same patch set; change it to run again.
                Default: a GUID derived from the construct path (stable across synths).
            association_name: Default: the construct id when it is a valid name.
            output: S3 output (its CloudWatch setting does not apply to associations). Default: none.
            include_new_instances: allow tag or resource-group targets for an Install, so every instance that
                matches them later is patched (and may reboot) as soon as it appears, outside any window.
                Default: False, instance ids only (a Scan may target anything).
            options: what the run does (operation, reboot_option, hooks, max_concurrency, max_errors), with
                their defaults in PatchRunOptions.
        """
        check_keywords(PatchNowAssociation.__init__, options, PatchRunOptions)
        super().__init__(scope, construct_id)
        hooks = options.get("hooks")
        operation = options.get("operation", defaults.OPERATION)
        reboot_option = options.get("reboot_option", defaults.REBOOT_OPTION)
        max_concurrency = options.get("max_concurrency", defaults.MAX_CONCURRENCY)
        max_errors = options.get("max_errors", defaults.MAX_ERRORS)
        check_no_hooks_with_scan(operation, hooks is not None and not hooks.is_empty)
        later_instances = any(key != "InstanceIds" for key, _ in targets.targets)
        check_needs("include_new_instances", include_new_instances, "tag or resource-group targets", later_instances)
        if operation is PatchOperation.INSTALL and later_instances and not include_new_instances:
            fail(
                "targets by tag or resource group also patch (Install) every instance that matches them later, "
                "as soon as it appears and outside any window (State Manager applies an association to new "
                "instances); give WindowTargets.from_instance_ids([...]) to patch today's instances, or "
                f"include_new_instances=True to patch new ones too; got {', '.join(key for key, _ in targets.targets)}"
            )
        if any(key == "resource-groups:ResourceTypeFilters" for key, _ in targets.targets):
            fail(
                "targets for an association can't filter resource types; use "
                "WindowTargets.from_resource_group(name) without resource_types"
            )
        check_rate_control(max_concurrency, max_errors)
        snapshot_id = snapshot_id or str(uuid.uuid5(_SNAPSHOT_NAMESPACE, self.node.path))
        check_snapshot_id(snapshot_id)
        if association_name is None and RESOURCE_NAME.fullmatch(construct_id):
            association_name = construct_id
        check_resource_name("association_name", association_name)
        self.snapshot_id = snapshot_id
        watch(self)
        bucket = output.bucket if output else None
        self.cfn_association = ssm.CfnAssociation(
            self,
            "Resource",
            name=PATCH_DOCUMENT,
            association_name=association_name,
            targets=[
                ssm.CfnAssociation.TargetProperty(key=key, values=list(values)) for key, values in targets.targets
            ],
            parameters={
                "Operation": [operation.value],
                "RebootOption": [reboot_option.value],
                "SnapshotId": [snapshot_id],
                **(hooks.to_task_parameters() if hooks is not None else {}),
            },
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            output_location=ssm.CfnAssociation.InstanceAssociationOutputLocationProperty(
                s3_location=ssm.CfnAssociation.S3OutputLocationProperty(
                    output_s3_bucket_name=bucket.bucket_name,
                    output_s3_key_prefix=output.key_prefix_for(self) if output else None,
                )
            )
            if bucket
            else None,
        )

    @property
    def association_id(self) -> str:
        """The association ID (a CloudFormation Ref)."""
        return self.cfn_association.ref
