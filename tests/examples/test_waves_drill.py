"""make drill runs: the brake of the waves example, from its template, offline (moto and Stubber)."""

from __future__ import annotations

import pytest

from examples.waves import drill


def test_the_drill_halts_gates_and_resumes(capsys: pytest.CaptureFixture[str]) -> None:
    assert drill.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert "event SUCCESS   -> no rule matched" in lines
    assert "event FAILED    -> halt runbook started" in lines
    assert any(
        line.startswith("  DisableWeb: ssm UpdateMaintenanceWindow") and "'Enabled': False" in line for line in lines
    )
    assert "  OpenOrHalted: -> CancelExecution" in lines
    assert "  OpenOrHalted: -> Open" in lines
    assert lines[-1].startswith("drill passed")
