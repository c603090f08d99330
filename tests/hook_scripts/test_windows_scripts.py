"""The Windows hook scripts: PowerShell cannot run here, so they are parsed with the tree-sitter
PowerShell grammar and checked to mirror the Linux scripts step for step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from constructs_lib import HookScript
from constructs_lib._internal import paths as _paths

WINDOWS = _paths.HOOK_SCRIPTS_DIR / "windows"
HOOKS = ["stop_app_gracefully", "update_app", "start_app_and_verify"]
PARSER = Parser(Language(tree_sitter_powershell.language()))

# What each hook says at each step, in both languages (the PowerShell side may interpolate differently).
STEP_MESSAGES = {
    "stop_app_gracefully": [
        "is already stopped (verified:",
        "cannot tell whether",
        "set Port so a closed port can prove it is stopped",
        "it was not started by the start hook, so this hook will not signal it",
        "(last seen:",
        "(verified:",
        "draining",
        "for connections to drain",
        "stopping",
        "did not stop within",
        "stopped after",
        "set EscalateToKill=true to force it",
    ],
    "update_app": [
        "no update command configured for",
        "nothing to do",
        "updating",
        "verifying the update",
        "updated after",
        "update and verify commands exited 0",
        "update command exited 0; no verify command",
    ],
    "start_app_and_verify": [
        "is already running and healthy",
        "is running but not healthy yet",
        "starting",
        "is already in use by another process",
        "is healthy after",
        "did not become healthy within",
        "last response:",
        "set HealthUrl or HealthPort",
        "is not running while waiting for health",
        "must be an http(s) URL on a loopback address (127.0.0.1, localhost or [::1])",
        "the health check passes while",
    ],
}
# What the shared files say, in both languages.
SHARED_MESSAGES = [
    "is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later",
    "must be a whole number; got",
    "must be a TCP port from 1 to 65535; got",
    "must be 1 to 200 characters from A-Z, a-z, 0-9, @, _, ., : and -, not starting with a dot; got",
    "cannot create the run folder",
    "is not a folder (or is a link)",
    "is writable by others",
    "is a symbolic link; refusing to follow it",
    "holds no valid record",
    "another hook run for",
    "FAILED: stopped unexpectedly",
    "the command is empty",
    "command timed out after",
    "command failed with exit code",
    "ServiceManager must be service or pidfile; got",
    "has exited (the pid now belongs to another process)",
]


def syntax_errors(source: bytes) -> list[str]:
    errors: list[str] = []

    def visit(node: Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            errors.append(f"line {node.start_point[0] + 1}: {source[node.start_byte : node.end_byte][:60]!r}")
        for child in node.children:
            visit(child)

    visit(PARSER.parse(source).root_node)
    return errors


@pytest.mark.parametrize("path", sorted(WINDOWS.rglob("*.ps1")), ids=lambda p: p.name)
def test_parses_without_syntax_errors(path: Path) -> None:
    assert syntax_errors(path.read_bytes()) == []


@pytest.mark.parametrize("name", HOOKS)
def test_inlined_document_script_parses(name: str) -> None:
    assert syntax_errors(HookScript.from_file(f"windows/{name}.ps1").text.encode()) == []


def test_the_parser_does_report_syntax_errors() -> None:
    # Negative control: a broken script is caught.
    assert syntax_errors(b"function Stop-App( {\n  if ($x -eq ) { exit 1 \n") != []


def _unprefixed(names: list[str], prefix: str) -> list[str]:
    return sorted(name.removeprefix(prefix) for name in names)


@pytest.mark.parametrize("name", HOOKS)
def test_reads_the_same_parameters_as_the_linux_script(name: str) -> None:
    # Per-platform values carry their platform's prefix; RunAs (a Linux user) is Linux's alone.
    linux = [v for v in HookScript.from_file(f"linux/{name}.sh").ssm_variables if v != "RunAs"]
    windows = HookScript.from_file(f"windows/{name}.ps1").ssm_variables
    assert _unprefixed(windows, "Windows") == _unprefixed(linux, "Linux")
    assert not [v for v in windows if v.startswith("Linux")]
    assert not [v for v in linux if v.startswith("Windows")]


def test_shared_files_say_the_same_things() -> None:
    linux = "".join(HookScript.from_file(f"linux/{name}.sh").text for name in HOOKS)
    windows = "".join(HookScript.from_file(f"windows/{name}.ps1").text for name in HOOKS)
    for message in SHARED_MESSAGES:
        assert message in linux, f"linux lacks {message!r}"
        assert message in windows, f"windows lacks {message!r}"


@pytest.mark.parametrize("name", HOOKS)
def test_logs_the_same_steps_as_the_linux_script(name: str) -> None:
    linux = HookScript.from_file(f"linux/{name}.sh").text
    windows = HookScript.from_file(f"windows/{name}.ps1").text
    for message in STEP_MESSAGES[name]:
        assert message in linux, f"linux {name} lacks {message!r}"
        assert message in windows, f"windows {name} lacks {message!r}"


@pytest.mark.parametrize("name", HOOKS)
def test_strict_mode_and_explicit_exit_codes(name: str) -> None:
    text = (WINDOWS / f"{name}.ps1").read_text()
    assert "$ErrorActionPreference = 'Stop'" in text
    assert re.search(r"^exit 0$|Stop-Hook ", text, re.MULTILINE)
    assert not re.search(r"\bexit\s+(194|3010)\b", text)


def test_shared_files_fail_with_exit_1() -> None:
    common = (WINDOWS / "lib" / "HookCommon.ps1").read_text()
    assert re.search(
        r"function Stop-Hook\(\[string\]\$Message\) \{\s+Write-HookLog \"FAILED: \$Message\"\s+exit 1", common
    )
