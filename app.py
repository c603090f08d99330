#!/usr/bin/env python3
"""The default app: synthesizes the PatchingDemo stack and nothing else."""

from aws_cdk import App

from examples.demo.stack import PatchingDemoStack

app = App()
# cdk synth -c reporting=true: also hook telemetry, compliance alerts and the compliance report.
PatchingDemoStack(app, "PatchingDemo", reporting=str(app.node.try_get_context("reporting")).lower() == "true")
app.synth()
