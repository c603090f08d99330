"""Every command reports a problem the user must fix as one line and exit status 2, through one wrapper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from constructs_lib.cli import fleet, patch_now, plan
from constructs_lib.cli.command import CommandError, run_command


def fails(message: str) -> int:
    raise CommandError(message)


def test_a_command_error_is_one_line_and_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command("patch-x", lambda: fails("no such stack")) == 2
    assert capsys.readouterr().err == "patch-x: no such stack\n"


def test_other_errors_keep_their_traceback() -> None:
    with pytest.raises(ZeroDivisionError):
        run_command("patch-x", lambda: 1 // 0)


def test_every_command_uses_the_wrapper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--assembly", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"patch-plan: {tmp_path} is not a cloud assembly")
    wrong = tmp_path / "fleet.yaml"
    wrong.write_text("name: x\n")
    assert fleet.main([str(wrong)]) == 2
    assert capsys.readouterr().err.startswith(f"patch-fleet: {wrong}: ")


def test_patch_now_without_boto3_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 then raises ImportError
    assert patch_now.main(["--stack", "PatchingDemo"]) == 2
    assert capsys.readouterr().err == "patch-now: needs boto3: pip install 'constructs-lib[cli]'\n"
