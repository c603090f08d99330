"""The rule book's hook rules: exact-literal patterns, values per platform, platform coverage."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib._internal import defaults, rules
from constructs_lib._internal.paths import HOOK_SCRIPTS_DIR
from constructs_lib._internal.rules import (
    COMMAND_PATTERN,
    HEALTH_URL_PATTERN,
    WINDOWS_COMMAND_PATTERN,
    check_hook_covers,
    exact_literal_pattern,
    hook_parameter_pattern,
    hook_platforms_for,
    values_per_platform,
)
from constructs_lib._internal.vocabulary import HookPlatform, OperatingSystem
from constructs_lib.hooks.document import DEFAULT_ALLOWED_PATTERN

# Every character a hook value may hold (commands, Windows commands, URLs), plus regex metacharacters.
HOOK_TEXT = st.text(alphabet="AZaz09 _./:=@%+,~-\\?&[]()*^$|{}'", max_size=60)


@given(HOOK_TEXT, st.sampled_from("Aa0 _./:=@%+,~-\\?&[]()*^$|{}'"))
def test_an_exact_literal_pattern_matches_its_value_and_nothing_else(value: str, extra: str) -> None:
    pattern = exact_literal_pattern(value)
    assert re.search(pattern, value)
    assert not re.search(pattern, value + extra)
    assert not re.search(pattern, extra + value)
    if value:
        assert not re.search(pattern, value[:-1])


@given(HOOK_TEXT)
def test_an_exact_literal_pattern_only_escapes_punctuation(value: str) -> None:
    # Java and Go (RE2) read a backslash before punctuation as that character; before a letter or digit
    # it would be a class or a backreference, which they read differently.
    assert not re.search(r"\\[A-Za-z0-9]", exact_literal_pattern(value).replace("\\\\", ""))


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("LinuxUpdateCommand", COMMAND_PATTERN),
        ("WindowsUpdateCommand", WINDOWS_COMMAND_PATTERN),
        ("WindowsServiceName", r"^[A-Za-z0-9@_:-][A-Za-z0-9@_.:-]{0,199}$"),
        ("HealthUrl", HEALTH_URL_PATTERN),
        ("StopTimeoutSeconds", r"^(0|[1-9][0-9]{0,5})$"),
        ("Colour", None),
    ],
)
def test_a_hook_parameter_has_its_rule(name: str, pattern: str | None) -> None:
    assert hook_parameter_pattern(name) == pattern


def test_hook_platforms_follow_the_operating_systems() -> None:
    assert hook_platforms_for([OperatingSystem.UBUNTU, OperatingSystem.MACOS]) == {HookPlatform.LINUX}
    assert hook_platforms_for([OperatingSystem.WINDOWS]) == {HookPlatform.WINDOWS}
    assert hook_platforms_for([OperatingSystem.MACOS]) == set()


def test_a_hook_covering_every_platform_is_accepted() -> None:
    check_hook_covers("hooks.on_exit", list(HookPlatform), [OperatingSystem.WINDOWS, OperatingSystem.DEBIAN])


def test_a_hook_missing_a_platform_is_refused_naming_both() -> None:
    with pytest.raises(ValueError, match=r"hooks.on_exit has no Windows step, but the baselines patch DEBIAN, WINDOWS"):
        check_hook_covers("hooks.on_exit", [HookPlatform.LINUX], [OperatingSystem.WINDOWS, OperatingSystem.DEBIAN])


BOTH = [HookPlatform.LINUX, HookPlatform.WINDOWS]


def per_platform(value: object, platforms: list[HookPlatform] = BOTH, **flags: bool) -> dict[HookPlatform, str]:
    settings = {"is_command": False, "required": False, **flags}
    return values_per_platform("x", value, platforms, how="it per platform", shown=repr(value), **settings)  # type: ignore[arg-type]


def test_values_per_platform_valid_neighbours() -> None:
    assert per_platform("web") == {HookPlatform.LINUX: "web", HookPlatform.WINDOWS: "web"}
    assert per_platform(None, is_command=True) == {HookPlatform.LINUX: "", HookPlatform.WINDOWS: ""}
    assert per_platform("dnf upgrade", [HookPlatform.LINUX], is_command=True) == {HookPlatform.LINUX: "dnf upgrade"}
    assert per_platform({HookPlatform.LINUX: "a"}, is_command=True) == {
        HookPlatform.LINUX: "a",
        HookPlatform.WINDOWS: "",
    }


@pytest.mark.parametrize(
    ("value", "platforms", "flags", "message"),
    [
        (
            "dnf upgrade",
            BOTH,
            {"is_command": True},
            r"x would run the same command line on Linux and Windows; give it per platform",
        ),
        (
            {HookPlatform.WINDOWS: "a"},
            [HookPlatform.LINUX],
            {},
            r"x gives a Windows value, but the hook has no Windows step",
        ),
        ({HookPlatform.LINUX: "a"}, BOTH, {"required": True}, r"x needs a value for Windows"),
        (None, [HookPlatform.LINUX], {"required": True}, r"x needs a value for Linux"),
    ],
)
def test_values_per_platform_refusals(
    value: object, platforms: list[HookPlatform], flags: dict[str, bool], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        per_platform(value, platforms, **flags)


def test_the_scripts_wait_for_the_run_lock_as_long_as_the_step_timeouts_allow() -> None:
    linux = (HOOK_SCRIPTS_DIR / "linux" / "lib" / "hook_common.sh").read_text()
    windows = (HOOK_SCRIPTS_DIR / "windows" / "lib" / "HookCommon.ps1").read_text()
    seconds = defaults.HOOK_LOCK_WAIT_SECONDS
    assert f'HOOK_LOCK_WAIT_SECONDS="${{PATCH_HOOKS_LOCK_WAIT_SECONDS:-{seconds}}}"' in linux
    assert f"[int]$env:PATCH_HOOKS_LOCK_WAIT_SECONDS }} else {{ {seconds} }}" in windows


# Characters a shell (bash or PowerShell) gives a meaning to; no built-in parameter pattern may admit them,
# so a value that passes synth can never become code in the hook scripts even if a script mis-quotes it.
SHELL_METACHARACTERS = "$`;|&<>(){}[]'\"!*?#\n\r\t\x00"
PATTERNS = {
    **{f"hook parameter {name}": pattern for name, pattern in rules.HOOK_PARAMETER_PATTERNS.items()},
    "Windows command": rules.WINDOWS_COMMAND_PATTERN,
    "HookParameter default": DEFAULT_ALLOWED_PATTERN,
}


@pytest.mark.parametrize(("label", "pattern"), sorted(PATTERNS.items()))
@given(before=st.text(alphabet="abc019", max_size=5), metacharacter=st.sampled_from(SHELL_METACHARACTERS))
def test_no_parameter_pattern_admits_a_shell_metacharacter(
    label: str, pattern: str, before: str, metacharacter: str
) -> None:
    assert re.fullmatch(pattern, before + metacharacter) is None, label
    assert re.fullmatch(pattern, metacharacter + before) is None, label


def test_only_the_windows_command_pattern_admits_a_backslash() -> None:
    assert re.fullmatch(rules.WINDOWS_COMMAND_PATTERN, r"C:\app\update.exe --now")
    assert re.fullmatch(rules.COMMAND_PATTERN, r"C:\app\update.exe") is None
