"""Shared fixtures: a fast test stack (built-in validator off) and JSON snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

# Run jsii on the Node 24 the Makefile installs, also when pytest is started by hand (Node 20 prints
# an end-of-life banner and is slower). Set before aws_cdk is imported by any test module.
_NODE = Path(__file__).resolve().parent.parent / ".venv" / "node" / "bin" / "node"
if "JSII_NODE" not in os.environ and _NODE.exists():
    os.environ["JSII_NODE"] = str(_NODE)

from aws_cdk import Stack  # noqa: E402

from tests.builders import new_stack  # noqa: E402


@pytest.fixture
def stack() -> Stack:
    """A fresh stack in a fresh app, with the project's feature flags and the built-in validator off."""
    return new_stack()


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots stored as reviewable JSON files."""
    return snapshot.use_extension(JSONSnapshotExtension)
