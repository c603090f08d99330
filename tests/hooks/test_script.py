"""HookScript: loading from hook_scripts/, from your own files, inline; and its safety checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib import HookScript, ScriptLanguage
from tests.builders import ROOT


def test_from_file_reads_the_bundled_script() -> None:
    script = HookScript.from_file("linux/stop_app_gracefully.sh")
    source = (ROOT / "hook_scripts/linux/stop_app_gracefully.sh").read_text()
    assert script.lines[:3] == source.split("\n")[:3]
    assert script.lines[0] == "#!/usr/bin/env bash"
    assert script.source == "hook_scripts/linux/stop_app_gracefully.sh"
    assert script.language is ScriptLanguage.SHELL
    assert HookScript.from_file("windows/update_app.ps1").language is ScriptLanguage.POWERSHELL


def test_from_file_works_from_any_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert HookScript.from_file("linux/update_app.sh").lines[0] == "#!/usr/bin/env bash"


def test_from_path_reads_your_own_script(tmp_path: Path) -> None:
    path = tmp_path / "drain.sh"
    path.write_text("#!/bin/bash\r\necho draining\r\n\n")
    script = HookScript.from_path(path)
    assert script.lines == ["#!/bin/bash", "echo draining"]  # CRLF normalized, trailing newlines dropped
    assert script.source == str(path)


def test_inline_script() -> None:
    script = HookScript.inline("echo one\necho two\n")
    assert script.lines == ["echo one", "echo two"]
    assert script.language is ScriptLanguage.UNKNOWN


def test_ssm_variables_lists_the_parameters_a_script_reads() -> None:
    script = HookScript.inline('echo "$SSM_ServiceName" "${SSM_HealthUrl:-}" $env:SSM_Port "$SSM_ServiceName"')
    assert script.ssm_variables == ["HealthUrl", "Port", "ServiceName"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"hook script inline script must not be empty"),
        ("  \n\n", r"must not be empty"),
        ("echo {{ ServiceName }}", r"line 1 contains '\{\{', which SSM reads as parameter interpolation"),
        ("echo ok\nexit 194", r"line 2 requests a reboot \(exit 194 or 3010\).*got 'exit 194'"),
        ("if x; then exit 3010; fi", r"requests a reboot"),
        ("[Environment]::Exit(3010)", r"requests a reboot"),
        ("$host.SetShouldExit(3010)", r"requests a reboot"),
        ("exit(194)", r"requests a reboot"),
    ],
)
def test_fails_on_unsafe_scripts(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HookScript.inline(text)


def test_exit_codes_that_merely_contain_reboot_codes_are_fine() -> None:
    assert HookScript.inline("exit 1940\nexit 30100\necho 194").lines[0] == "exit 1940"


def test_fails_on_missing_bundled_script_listing_what_exists() -> None:
    with pytest.raises(
        ValueError,
        match=r"hook script 'linux/nope.sh' not found in hook_scripts/; available: .*linux/stop_app_gracefully.sh",
    ):
        HookScript.from_file("linux/nope.sh")


@pytest.mark.parametrize("name", ["/etc/passwd", "../pyproject.toml", "linux/../../app.py"])
def test_fails_on_names_outside_hook_scripts(name: str) -> None:
    with pytest.raises(ValueError, match=r"hook script name must be relative to hook_scripts/ without '\.\.'"):
        HookScript.from_file(name)


def test_fails_on_relative_own_path() -> None:
    with pytest.raises(ValueError, match=r"hook script path must be absolute .*; got 'hooks/drain.sh'"):
        HookScript.from_path(Path("hooks/drain.sh"))


def test_fails_on_missing_own_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"hook script path must name an existing file"):
        HookScript.from_path(tmp_path / "missing.sh")


def test_includes_are_inlined_so_the_document_is_self_contained(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.sh").write_text(
        '# shared\n# shellcheck shell=bash\nlog() {\n  # say it\n  echo "$*"  # all of it\n}\n'
    )
    script_path = tmp_path / "hook.sh"
    script_path.write_text(
        '#!/bin/bash\n# the hook\n. "$(dirname "$0")/lib/common.sh"  # hook:include lib/common.sh\nlog hi\n'
    )
    # The shared file's comment lines are left out (its shellcheck directives and end-of-line comments stay);
    # the script's own lines are kept as written.
    assert HookScript.from_path(script_path).lines == [
        "#!/bin/bash",
        "# the hook",
        "# ---- begin lib/common.sh (inlined at synth) ----",
        "# shellcheck shell=bash",
        "log() {",
        '  echo "$*"  # all of it',
        "}",
        "# ---- end lib/common.sh ----",
        "log hi",
    ]


def test_bundled_scripts_inline_their_shared_files() -> None:
    script = HookScript.from_file("linux/stop_app_gracefully.sh")
    assert "# hook:include" not in script.text
    assert "# ---- begin lib/hook_common.sh (inlined at synth) ----" in script.lines
    assert "# ---- begin lib/service_manager.sh (inlined at synth) ----" in script.lines
    assert "load_service_settings() {" in script.lines
    windows = HookScript.from_file("windows/start_app_and_verify.ps1")
    assert "# ---- begin lib/ServiceManager.ps1 (inlined at synth) ----" in windows.lines


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"hook.sh": "x  # hook:include lib/missing.sh"},
            r"line 1 includes 'lib/missing.sh', which is not a file beside the script",
        ),
        (
            {"hook.sh": "x  # hook:include ../outside.sh", "../outside.sh": "echo"},
            r"includes '../outside.sh', which is not a file beside",
        ),
        (
            {"hook.sh": "x  # hook:include a.sh", "a.sh": "y  # hook:include b.sh", "b.sh": "echo"},
            r"includes 'a.sh', which includes another file; includes do not nest",
        ),
    ],
)
def test_fails_on_bad_includes(tmp_path: Path, files: dict[str, str], message: str) -> None:
    root = tmp_path / "scripts"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text + "\n")
    with pytest.raises(ValueError, match=message):
        HookScript.from_path(root / "hook.sh")
