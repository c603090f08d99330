#!/usr/bin/env python3
"""The default app: synthesizes the PatchingDemo stack and nothing else."""

from aws_cdk import App

from examples.demo.stack import PatchingDemoStack

app = App()
PatchingDemoStack(app, "PatchingDemo")
app.synth()
