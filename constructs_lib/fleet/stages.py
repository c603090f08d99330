"""PatchingStage and define_fleet_stages: a fleet's rollout as one CDK Stage per account and region, in waves."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Environment, Stage
from constructs import Construct

from .._internal.typecheck import typed
from .description import FleetDescription
from .stack import FleetPatchingStack, resource_prefix


class PatchingStage(Stage):
    """Defines one environment's patching for one account and region: a Stage holding a FleetPatchingStack.

    The stack is called ``<fleet>-<environment>-patching`` in every account and region and says in its
    description which wave it belongs to, so a reviewer sees the rollout order in every diff.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        fleet: FleetDescription,
        environment: str,
        account: str,
        region: str,
    ) -> None:
        """Define the stage.

        Args:
            fleet: the fleet description.
            environment: the name of one of its environments.
            account: the account the stage deploys to.
            region: the region the stage deploys to.
        """
        super().__init__(scope, construct_id, env=Environment(account=account, region=region))
        self.stack = FleetPatchingStack(
            self,
            "Patching",
            fleet=fleet,
            environment=environment,
            stack_name=f"{resource_prefix(fleet, environment)}-patching",
            description=fleet.wave_description(environment),
        )


@dataclass(frozen=True)
class FleetWave:
    """One environment of the rollout and its stages: deploy a wave only after the one before succeeded."""

    environment: str
    stages: tuple[PatchingStage, ...]


def define_fleet_stages(scope: Construct, fleet: FleetDescription) -> list[FleetWave]:
    """Define one PatchingStage per environment, account and region, grouped in waves in rollout order.

    Stage ids are ``<fleet>-<environment>-<account>-<region>``. Deploy them with ``cdk deploy "**"``
    (the CLI's ``--all`` selects top-level stacks only, never stacks in stages), one wave at a time with
    ``cdk deploy "<fleet>-<environment>-*/*"``, or add each wave to a CDK Pipelines wave in order.
    Environments without accounts (StackSet-only) have no stages.
    """
    waves = []
    for environment in fleet.environments:
        stages = tuple(
            PatchingStage(
                scope,
                f"{resource_prefix(fleet, environment.name)}-{account}-{region}",
                fleet=fleet,
                environment=environment.name,
                account=account,
                region=region,
            )
            for account in environment.accounts
            for region in environment.regions
        )
        if stages:
            waves.append(FleetWave(environment.name, stages))
    return waves
