"""FleetStackSets: a fleet's rollout as service-managed CloudFormation StackSets over organizational units."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from aws_cdk import App, BootstraplessSynthesizer, CfnStackSet
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from .._internal.rules import fail
from .._internal.typecheck import typed
from ..core.stack_checks import MAX_TEMPLATE_BYTES
from .description import EnvironmentSpec, FleetDescription
from .stack import FleetPatchingStack, resource_prefix

# CreateStackSet's TemplateBody holds at most 51,200 bytes; a larger template goes through S3 (up to 1 MB).
MAX_TEMPLATE_BODY_BYTES = 51_200
ACCOUNT_STACK_ID = "Patching"


def account_template(
    fleet: FleetDescription, environment: str, *, context: dict[str, Any] | None = None, validate: bool | None = None
) -> dict[str, Any]:
    """The template every account and region of ``environment`` deploys.

    It is synthesized in an App of its own with the BootstraplessSynthesizer, which refuses assets:
    the template needs no bootstrapped account, no S3 bucket and no parameter, so a StackSet can serve it
    as it is. Its names take the region from ``AWS::Region``, so one template fits every region.
    ``context`` (feature flags) and ``validate`` (the CDK built-in validator; None follows the CDK default,
    which ``CDK_VALIDATION=false`` and ``cdk synth --no-validation`` turn off) apply to that App.
    """
    with tempfile.TemporaryDirectory(prefix="stackset-") as outdir:
        app = App(
            outdir=outdir, context=context, analytics_reporting=False, builtin_cloud_formation_validation=validate
        )
        FleetPatchingStack(
            app,
            ACCOUNT_STACK_ID,
            fleet=fleet,
            environment=environment,
            synthesizer=BootstraplessSynthesizer(),
            description=fleet.wave_description(environment),
            # The StackSet gets this template re-serialized, compact when it must be: its size limit is compact.
            suppress_template_indentation=True,
        )
        template: dict[str, Any] = app.synth().get_stack_by_name(ACCOUNT_STACK_ID).template
    return template


class FleetStackSets(Construct):
    """Defines one service-managed StackSet per environment that names organizational units, in rollout order.

    Add it to a stack deployed to the organization's management account or a delegated administrator
    (``stack_set_call_as`` in the fleet description) with trusted access for StackSets turned on. Each
    StackSet deploys the environment's FleetPatchingStack template to every account of its OUs in its
    regions, region after region (or in parallel), with the environment's concurrency and failure
    tolerance, and to accounts that join the OUs later (automatic deployment). Each StackSet depends on
    the one of the environment before, so CloudFormation handles dev's StackSet before prod's.

    A template of at most 51,200 bytes is embedded as ``TemplateBody`` (reviewable in the stack's diff);
    a larger one is uploaded as a file asset of the management stack and given as ``TemplateURL``.
    ``templates`` holds every environment's template.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        fleet: FleetDescription,
        retain_stacks_on_account_removal: bool = False,
        validate_templates: bool | None = None,
    ) -> None:
        """Define the StackSets.

        Args:
            fleet: the fleet description; environments without organizational_units get no StackSet.
            retain_stacks_on_account_removal: keep an account's stacks when it leaves the OUs.
                Default: False, its patching is removed with it.
            validate_templates: run the CDK built-in validator over each StackSet template (they are
                synthesized in an App of their own, with this app's context). Default: as the CDK does,
                on unless ``CDK_VALIDATION=false`` (``cdk synth --no-validation``).
        """
        super().__init__(scope, construct_id)
        self.stack_sets: dict[str, CfnStackSet] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        context = self.node.get_all_context()
        previous: CfnStackSet | None = None
        for environment in fleet.environments:
            if not environment.organizational_units:
                continue
            template = account_template(fleet, environment.name, context=context, validate=validate_templates)
            stack_set = CfnStackSet(
                self,
                environment.name,
                stack_set_name=f"{resource_prefix(fleet, environment.name)}-patching",
                description=fleet.wave_description(environment.name),
                permission_model="SERVICE_MANAGED",
                call_as=fleet.stack_set_call_as,
                auto_deployment=CfnStackSet.AutoDeploymentProperty(
                    enabled=True, retain_stacks_on_account_removal=retain_stacks_on_account_removal
                ),
                # The stacks name their IAM role (scoped by region).
                capabilities=["CAPABILITY_NAMED_IAM"],
                operation_preferences=_operation_preferences(environment),
                stack_instances_group=[
                    CfnStackSet.StackInstancesProperty(
                        deployment_targets=CfnStackSet.DeploymentTargetsProperty(
                            organizational_unit_ids=environment.organizational_units
                        ),
                        regions=environment.regions,
                    )
                ],
            )
            source = self._template_source(environment.name, template)
            if isinstance(source, str):
                stack_set.template_body = source
            else:
                stack_set.template_url = source.http_url
                source.add_resource_metadata(stack_set, "TemplateURL")  # points tools and reviewers at the file
            if previous is not None:
                stack_set.node.add_dependency(previous)
            previous = stack_set
            self.stack_sets[environment.name] = stack_set
            self.templates[environment.name] = template

    def _template_source(self, environment: str, template: dict[str, Any]) -> str | s3_assets.Asset:
        """The template as an inline body when it fits, else as a file asset staged into the cloud assembly."""
        body = json.dumps(template, separators=(",", ":"))
        size = len(body.encode())
        if size <= MAX_TEMPLATE_BODY_BYTES:
            return body
        if size > MAX_TEMPLATE_BYTES:
            fail(
                f"StackSet {environment} template takes {size} bytes; CloudFormation allows {MAX_TEMPLATE_BYTES} "
                "from S3: spread the groups over more environments"
            )
        # Indented when that still fits: the staged copy in cdk.out is what a reviewer diffs.
        indented = json.dumps(template, indent=1) + "\n"
        text = indented if len(indented.encode()) <= MAX_TEMPLATE_BYTES else body
        with tempfile.TemporaryDirectory(prefix="stackset-template-") as directory:
            path = Path(directory) / f"{environment}.template.json"
            path.write_text(text, encoding="utf-8")
            # Staging copies the file into the cloud assembly at once; the temporary copy can go.
            return s3_assets.Asset(self, f"{environment}Template", path=str(path))


def _operation_preferences(environment: EnvironmentSpec) -> CfnStackSet.OperationPreferencesProperty:
    return CfnStackSet.OperationPreferencesProperty(
        region_order=environment.regions,
        region_concurrency_type=environment.region_concurrency,
        max_concurrent_percentage=environment.max_concurrent_percentage,
        failure_tolerance_percentage=environment.failure_tolerance_percentage,
        # Without it (STRICT), concurrency is capped at failure tolerance + 1: one account at a time with
        # the default tolerance of 0, not the percentage asked for (API shape StackSetOperationPreferences).
        concurrency_mode=environment.concurrency_mode,
    )
