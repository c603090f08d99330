#!/usr/bin/env python3
"""An organisation-wide rollout of fleet.yaml in both deployment shapes.

- CDK stages: one stage per environment, account and region (``acme-dev-111111111111-eu-west-1``, ...),
  deployed wave by wave with ``cdk deploy "acme-dev-*/*"`` then ``cdk deploy "acme-prod-*/*"``.
- StackSets: the stack ``acme-patching-stacksets`` for the management account, with one service-managed
  StackSet per environment over its OUs, prod depending on dev.
- The compliance report: the stack ``acme-compliance-report`` in the reporting account (deploy it first).

Synthesize from the repository root: ``make example`` (or ``cdk synth --app "python3
examples/organization/app.py" --output cdk.out/organization``). Another fleet file: ``-c fleet=path``.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Environment, Stack

from constructs_lib import ComplianceReportStack, FleetDescription, FleetStackSets, FleetWave, define_fleet_stages

FLEET_FILE = Path(__file__).with_name("fleet.yaml")
# Where the StackSets live: the organization's management account (or a delegated administrator).
MANAGEMENT = Environment(account="999999999999", region="eu-west-1")


def build(app: App, fleet: FleetDescription) -> tuple[list[FleetWave], Stack]:
    """Both shapes of the rollout in ``app``: the stages, wave by wave, and the StackSets' stack."""
    waves = define_fleet_stages(app, fleet)
    management = Stack(
        app,
        "StackSets",
        stack_name=f"{fleet.name}-patching-stacksets",
        env=MANAGEMENT,
        description=f"{fleet.name} patching: one StackSet per environment, in rollout order",
    )
    FleetStackSets(management, "Fleet", fleet=fleet)
    if fleet.reporting is not None:
        ComplianceReportStack(app, "ComplianceReport", fleet=fleet, stack_name=f"{fleet.name}-compliance-report")
    return waves, management


def main() -> None:
    app = App()
    build(app, FleetDescription.from_file(app.node.try_get_context("fleet") or FLEET_FILE))
    app.synth()


if __name__ == "__main__":
    main()
