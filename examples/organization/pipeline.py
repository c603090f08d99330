#!/usr/bin/env python3
"""The CDK stages of fleet.yaml as CDK Pipelines waves: every dev stage, then every prod stage.

The pipeline lives in a tooling account; each wave deploys its stages in parallel and starts only when
the wave before succeeded. Target accounts are bootstrapped to trust the tooling account
(``cdk bootstrap --trust <tooling account>``). Synthesize with ``make example``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Environment, Stack, pipelines
from constructs import Construct

from constructs_lib import FleetDescription, define_fleet_stages
from examples.organization.app import FLEET_FILE

TOOLING = Environment(account="444444444444", region="eu-west-1")
REPOSITORY = "acme/patching"
CONNECTION_ARN = "arn:aws:codeconnections:eu-west-1:444444444444:connection/00000000-0000-0000-0000-000000000000"


class PatchingPipelineStack(Stack):
    """A self-mutating pipeline that rolls the fleet's stages out wave by wave, in the description's order."""

    def __init__(self, scope: Construct, construct_id: str, *, fleet: FleetDescription, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{fleet.name}-patching",
            cross_account_keys=True,  # the stages deploy to other accounts
            synth=pipelines.ShellStep(
                "Synth",
                input=pipelines.CodePipelineSource.connection(REPOSITORY, "main", connection_arn=CONNECTION_ARN),
                commands=[
                    "make setup",
                    "node_modules/.bin/cdk synth --app 'python3 -m examples.organization.pipeline'",
                ],
            ),
        )
        for wave in define_fleet_stages(self, fleet):
            pipeline_wave = pipeline.add_wave(wave.environment)
            for stage in wave.stages:
                pipeline_wave.add_stage(stage)


def main() -> None:
    app = App()
    fleet = FleetDescription.from_file(app.node.try_get_context("fleet") or FLEET_FILE)
    PatchingPipelineStack(app, "Pipeline", fleet=fleet, stack_name=f"{fleet.name}-patching-pipeline", env=TOOLING)
    app.synth()


if __name__ == "__main__":
    main()
