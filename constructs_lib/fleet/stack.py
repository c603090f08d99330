"""FleetPatchingStack: every patch group of a fleet description, as one environment deploys it in one place."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._internal.nag import acknowledge_wildcards
from .._internal.rules import APPROVE_BY_FILTERS_ALONE, fail, hook_platforms_for
from .._internal.typecheck import typed
from .._internal.vocabulary import HookPlatform
from ..core.command_output import WRITE_GRANTS_REASON, CommandOutput
from ..core.patch_baseline import ApprovalRule, OperatingSystem, PatchBaselineOptions, PatchFilter
from ..core.schedule import WindowSchedule
from ..core.stack_checks import MAX_TEMPLATE_BYTES, add_stack_limits, footprint
from ..core.window_role import MaintenanceWindowRole
from ..hooks.app.per_platform import PerPlatform
from ..hooks.app.start import StartAppHook
from ..hooks.app.stop import StopAppHook
from ..hooks.app.update import UpdateAppHook
from ..hooks.lifecycle import LifecycleHooks
from ..operations.alerts import ComplianceAlerts, alerts_topic
from ..operations.compliance import ComplianceSync
from ..operations.off_instance import AutoScalingStandby, TargetGroupDrain
from ..operations.telemetry import HookTelemetry
from ..operations.workflow import PatchWorkflow
from .brake import define_fleet_brake
from .description import (
    LOG_RETENTIONS,
    FleetDescription,
    HookSpec,
    OutputSpec,
    PatchGroupSpec,
    PlatformCommands,
    PlatformNames,
    ReportingSpec,
    ResolvedSettings,
)

# The smallest share of a template any resource of this stack takes (a log group's is about 280 bytes).
_MIN_BYTES_PER_RESOURCE = 100
_SUPPRESS_INDENTATION_CONTEXT = "@aws-cdk/core:suppressTemplateIndentation"


def resource_prefix(fleet: FleetDescription, environment: str) -> str:
    """The prefix of every name a fleet's environment defines: ``<fleet>-<environment>``."""
    return fleet.prefix(environment)


class FleetPatchingStack(Stack):
    """Defines one environment's patching of a fleet for one account and region (or any, for StackSets).

    Per group: a PatchWorkflow (window, targets, hooked task) with one baseline per operating system,
    registered to the group's patch group, and the group's three hook documents. All windows share one
    least-privilege MaintenanceWindowRole. With the fleet's ``output``, every task writes to one CommandOutput
    and the managed policy ``<fleet>-<environment>-PatchOutputWriter-<region>`` grants instance roles the writes.

    Names are scoped so the same template deploys in every account and region of the environment, and
    beside other environments, without clashes: documents, windows and baselines are named
    ``<fleet>-<environment>-<group>-...`` (SSM names are per account and region) and the role, whose
    name IAM shares across regions, ``<fleet>-<environment>-PatchWindow-<region>``.
    Synth fails, naming the stack, when it would hold more than 500 resources; construction fails when the
    template will certainly pass 1 MB: its hook documents as CDK writes them (indented, unless
    ``suppress_template_indentation``) plus 100 bytes for every resource. With Linux and Windows hooks that
    refuses 14 groups indented and 17 unindented; the template passes 1 MB one group earlier (13 and 16),
    which only CDK's synth warning reports. StackSets serve the template unindented.
    """

    @typed
    def __init__(
        self, scope: Construct, construct_id: str, *, fleet: FleetDescription, environment: str, **kwargs: Any
    ) -> None:
        """Define the stack.

        Args:
            fleet: the fleet description.
            environment: the name of one of its environments, whose overrides apply.
            kwargs: Stack keywords (env, stack_name, synthesizer, description, ...).
        """
        super().__init__(scope, construct_id, **kwargs)
        spec = fleet.environment(environment)
        self.prefix = resource_prefix(fleet, environment)
        self.window_role = MaintenanceWindowRole(
            self, "WindowRole", role_name=f"{self.prefix}-PatchWindow-{self.region}"
        )
        self.output_policy: iam.ManagedPolicy | None = None
        self.output = self._define_output(fleet.output) if fleet.output else None
        self.compliance_sync = self._define_sync(fleet.reporting) if fleet.reporting else None
        if fleet.reporting is not None:  # one alerts topic per stack, named alike in every account and region
            alerts_topic(self, topic_name=f"{self.prefix}-patch-alerts")
        self.workflows: dict[str, PatchWorkflow] = {}
        for group in fleet.groups:
            runbook = fleet.runbook_name(environment, group)
            reporting = _reporting(fleet.reporting)
            self.workflows[group.name] = self._define_group(group, fleet.settings(group, spec), runbook, reporting)
        self.brake = None
        if fleet.halt_later_waves_on_failure and not Token.is_unresolved(self.account):
            windows = [workflow.window for workflow in self.workflows.values()]
            self.brake = define_fleet_brake(
                self,
                fleet=fleet,
                environment=environment,
                windows=windows,
                window_role=self.window_role,
                prefix=self.prefix,
            )
        indentation_suppressed = kwargs.get("suppress_template_indentation")
        if indentation_suppressed is None:
            indentation_suppressed = bool(self.node.try_get_context(_SUPPRESS_INDENTATION_CONTEXT))
        self._check_template_size(indented=not indentation_suppressed)
        add_stack_limits(self)

    def _define_group(
        self, group: PatchGroupSpec, settings: ResolvedSettings, runbook_name: str, reporting: dict[str, Any]
    ) -> PatchWorkflow:
        names = f"{self.prefix}-{group.name}"
        scope = Construct(self, group.name)
        workflow = PatchWorkflow(
            scope,
            "Patching",
            schedule=WindowSchedule.expression(settings.schedule),
            schedule_timezone=settings.schedule_timezone,
            schedule_offset=settings.schedule_offset,
            duration=Duration.hours(settings.duration_hours),
            cutoff=Duration.hours(settings.cutoff_hours),
            patch_groups=[group.tag_value],
            baselines=[_baseline(group, system, settings, names) for system in group.operating_systems],
            reboot_option=settings.reboot_option,
            max_concurrency=settings.max_concurrency,
            max_errors=settings.max_errors,
            hooks=self._hooks(scope, group.hooks, names, _platforms(group)) if group.hooks else None,
            service_role=self.window_role.role,
            window_name=names,
            output=self.output,
            **_off_instance(group, runbook_name),
            **reporting,
        )
        # One role serves every group of the stack: it sends the patch command only to the tagged instances of
        # groups patched by Run Command, and starts only the other groups' runbooks (whose roles send it).
        if workflow.runbook is None:
            self.window_role.allow_targets(workflow.targets.targets)
        else:
            self.window_role.allow_automation(workflow.runbook.definition_arn, workflow.runbook.role)
            self.window_role.runbooks_only()  # it still sends to the Run Command groups' targets
            Annotations.of(workflow.task).acknowledge_warning(
                "constructs-lib:runbook-role", "the fleet's window role is allowed to start this runbook"
            )
        return workflow

    def _define_sync(self, reporting: ReportingSpec) -> ComplianceSync:
        """This account's and region's patch state, synced to the fleet's central bucket."""
        return ComplianceSync(
            self,
            "ComplianceSync",
            bucket_name=reporting.bucket_name,
            bucket_region=reporting.region,
            prefix=reporting.prefix,
            kms_key_arn=reporting.kms_key_arn,
            sync_name=f"{self.prefix}-compliance",
        )

    def _define_output(self, spec: OutputSpec) -> CommandOutput:
        output = CommandOutput(
            self,
            "Output",
            s3_output=spec.s3,
            cloudwatch_output=spec.cloudwatch,
            expiration=Duration.days(spec.retention_days) if spec.s3 else None,
            retention=getattr(logs.RetentionDays, LOG_RETENTIONS[spec.retention_days]) if spec.cloudwatch else None,
        )
        # Instance roles live outside the fleet's stacks: they attach this policy (IAM names are per account).
        grants = output.write_grants()
        policy = iam.ManagedPolicy(
            self,
            "OutputWriter",
            managed_policy_name=f"{self.prefix}-PatchOutputWriter-{self.region}",
            description="Attach to the instance roles of patched instances: write patch command output",
            statements=[iam.PolicyStatement(actions=actions, resources=resources) for actions, resources in grants],
        )
        acknowledge_wildcards(
            policy,
            resources=[resource for _, resources in grants for resource in resources],
            reason=WRITE_GRANTS_REASON,
        )
        self.output_policy = policy
        return output

    def _hooks(
        self, scope: Construct, spec: HookSpec, names: str, platforms: tuple[HookPlatform, ...]
    ) -> LifecycleHooks:
        stop, update, start = _hook_documents(scope, spec, names, platforms)
        return LifecycleHooks(pre_install=stop, post_install=update, on_exit=start)

    def _check_template_size(self, *, indented: bool) -> None:
        """Fail when the template will certainly pass 1 MB. Documents carry whole scripts: they reach the size
        limit long before the resource limit, and their size is known before CDK renders the template."""
        used = footprint(self)
        documents = used.indented_document_bytes if indented else used.document_bytes
        at_least = documents + _MIN_BYTES_PER_RESOURCE * used.resources
        if at_least > MAX_TEMPLATE_BYTES:
            advice = "give groups that run the same app one group, or split the groups over two fleets"
            if indented:
                advice = (
                    "suppress template indentation (suppress_template_indentation=True or the context "
                    f"{_SUPPRESS_INDENTATION_CONTEXT}; documents: {used.document_bytes} bytes), {advice}"
                )
            fail(
                f"stack {self.stack_name} would exceed CloudFormation's template size limit: its hook documents "
                f"and {used.resources} resources take at least {at_least} bytes and a template may hold "
                f"{MAX_TEMPLATE_BYTES}; {advice}"
            )


def _baseline(
    group: PatchGroupSpec, system: OperatingSystem, settings: ResolvedSettings, names: str
) -> PatchBaselineOptions:
    filters = [PatchFilter(key=key, values=values) for key, values in group.baseline_filters.get(system, {}).items()]
    if system in APPROVE_BY_FILTERS_ALONE:
        # AWS takes no delay for Debian and Ubuntu: the rule approves by its filters alone.
        rule = ApprovalRule(compliance_level=settings.compliance_level, filters=filters)
        approved = "approved by its filters (Debian and Ubuntu take no delay)"
    else:
        rule = ApprovalRule(
            approve_after=Duration.days(settings.approve_after_days),
            compliance_level=settings.compliance_level,
            filters=filters,
        )
        approved = f"approved {settings.approve_after_days} days after release"
    return PatchBaselineOptions(
        operating_system=system,
        approval_rules=[rule],
        baseline_name=f"{names}-{system.value}",
        description=f"Patch group {group.tag_value}: {approved}",
    )


def _reporting(reporting: ReportingSpec | None) -> dict[str, Any]:
    """The workflow keywords of the fleet's reporting: telemetry and compliance alerts, none without it."""
    if reporting is None:
        return {}
    keywords: dict[str, Any] = {}
    if reporting.telemetry:
        keywords["telemetry"] = HookTelemetry()
    if reporting.compliance_alerts:
        keywords["compliance_alerts"] = ComplianceAlerts()
    return keywords


def _off_instance(group: PatchGroupSpec, name: str) -> dict[str, Any]:
    """The workflow keywords of the group's off-instance steps (the runbook, called ``name``: the brake of
    later environments matches its failures by name), none without them."""
    if not group.has_runbook:
        return {}
    keywords: dict[str, Any] = {"runbook_name": name}
    if group.load_balancer is not None:
        keywords["load_balancer"] = TargetGroupDrain(
            target_groups=group.load_balancer.target_groups,
            drain_timeout=Duration.seconds(group.load_balancer.drain_timeout_seconds),
            health_timeout=Duration.seconds(group.load_balancer.health_timeout_seconds),
        )
    if group.auto_scaling is not None:
        keywords["auto_scaling"] = AutoScalingStandby(
            groups=group.auto_scaling.groups,
            decrement_desired_capacity=group.auto_scaling.decrement_desired_capacity,
            timeout=Duration.seconds(group.auto_scaling.timeout_seconds),
        )
    if group.patch_timeout_seconds is not None:
        keywords["patch_timeout"] = Duration.seconds(group.patch_timeout_seconds)
    return keywords


def _platforms(group: PatchGroupSpec) -> tuple[HookPlatform, ...]:
    """The hook platforms a group's instances run: a Linux-only group's documents carry no Windows step."""
    return tuple(sorted(hook_platforms_for(group.operating_systems)))


def _per_platform(value: str | PlatformNames | PlatformCommands | None) -> str | PerPlatform | None:
    """A fleet file value as the typed hooks take it."""
    if isinstance(value, (PlatformNames, PlatformCommands)):
        return PerPlatform(linux=value.linux, windows=value.windows)
    return value


def _hook_documents(
    scope: Construct, hooks: HookSpec, names: str, platforms: tuple[HookPlatform, ...]
) -> tuple[StopAppHook, UpdateAppHook, StartAppHook]:
    def shared(hook_id: str) -> dict[str, Any]:
        """What every app hook of the group takes: its id, the service, a scoped name and the platforms."""
        return {
            "scope": scope,
            "construct_id": hook_id,
            "service_name": _per_platform(hooks.service),
            "document_name": f"{names}-{hook_id}",
            "platforms": platforms,
        }

    return (
        StopAppHook(
            **shared("StopApp"),
            port=hooks.port,
            drain_command=_per_platform(hooks.drain_command),
            stop_timeout=Duration.seconds(hooks.stop_timeout_seconds),
            escalate_to_kill=hooks.escalate_to_kill,
        ),
        UpdateAppHook(
            **shared("UpdateApp"),
            update_command=_per_platform(hooks.update_command),
            verify_command=_per_platform(hooks.verify_command),
            update_timeout=Duration.seconds(hooks.update_timeout_seconds) if hooks.update_command else None,
        ),
        StartAppHook(
            **shared("StartApp"),
            port=hooks.port,
            health_url=hooks.health_url,
            health_port=hooks.health_port,
            start_timeout=Duration.seconds(hooks.start_timeout_seconds),
        ),
    )
