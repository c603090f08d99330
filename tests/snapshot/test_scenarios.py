"""Whole-template snapshots, one per scenario. Read the diff before updating: a changed logical id
replaces a resource."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.builders import new_app, template
from tests.scenarios import SCENARIOS


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_template(name: str, snapshot_json: SnapshotAssertion) -> None:
    stack = SCENARIOS[name](new_app())
    assert template(stack).to_json() == snapshot_json
