"""StopAppHook, UpdateAppHook, StartAppHook and ServiceManager: typed hooks over HookDocument."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from aws_cdk import Duration, Stack

from constructs_lib import (
    HookPlatform,
    HookScript,
    PerPlatform,
    ServiceManager,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
)
from constructs_lib._internal.rules import (
    COMMAND_PATTERN,
    HEALTH_URL_PATTERN,
    PORT_PATTERN,
    RUN_AS_PATTERN,
    SECONDS_PATTERN,
    SERVICE_NAME_PATTERN,
    WINDOWS_COMMAND_PATTERN,
)
from tests.builders import template


def content(stack: Stack) -> dict[str, Any]:
    (document,) = template(stack).find_resources("AWS::SSM::Document").values()
    result: dict[str, Any] = document["Properties"]["Content"]
    return result


def defaults(stack: Stack) -> dict[str, str]:
    return {name: spec["default"] for name, spec in content(stack)["parameters"].items()}


LINUX = [HookPlatform.LINUX]
# Every app hook waits up to 30 s for another run's lock before its own worst case starts.
LOCK_WAIT = 30


def timeout_seconds(stack: Stack) -> set[int]:
    return {step["inputs"]["timeoutSeconds"] for step in content(stack)["mainSteps"]}


def test_stop_hook_defaults(stack: Stack) -> None:
    StopAppHook(stack, "Stop", service_name="demo-app")
    assert defaults(stack) == {
        "LinuxServiceName": "demo-app",
        "WindowsServiceName": "demo-app",
        "ServiceManager": "service",
        "LinuxStartCommand": "",
        "WindowsStartCommand": "",
        "RunAs": "",
        "Port": "",
        "LinuxDrainCommand": "",
        "WindowsDrainCommand": "",
        "DrainTimeoutSeconds": "60",
        "DrainSeconds": "0",
        "StopTimeoutSeconds": "60",
        "EscalateToKill": "false",
    }
    assert timeout_seconds(stack) == {LOCK_WAIT + 60 + 60}  # lock wait, stop timeout, margin
    steps = content(stack)["mainSteps"]
    assert steps[0]["inputs"]["runCommand"] == HookScript.from_file("linux/stop_app_gracefully.sh").lines
    assert steps[1]["inputs"]["runCommand"] == HookScript.from_file("windows/stop_app_gracefully.ps1").lines
    assert content(stack)["description"] == "Pre-install hook: stop demo-app gracefully"


def test_stop_hook_with_every_option(stack: Stack) -> None:
    StopAppHook(
        stack,
        "Stop",
        service_name="demo-app.service",
        service_manager=ServiceManager.pidfile(),
        port=8080,
        drain_command="curl -fsS -X POST http://127.0.0.1:8080/drain",
        platforms=LINUX,
        drain_timeout=Duration.seconds(30),
        drain_wait=Duration.seconds(10),
        stop_timeout=Duration.minutes(2),
        escalate_to_kill=True,
        document_name="Demo-Stop",
        description="Stop it",
    )
    assert defaults(stack) == {
        "LinuxServiceName": "demo-app.service",
        "ServiceManager": "pidfile",
        "LinuxStartCommand": "",
        "RunAs": "",
        "Port": "8080",
        "LinuxDrainCommand": "curl -fsS -X POST http://127.0.0.1:8080/drain",
        "DrainTimeoutSeconds": "30",
        "DrainSeconds": "10",
        "StopTimeoutSeconds": "120",
        "EscalateToKill": "true",
    }
    # lock 30 + drain 30 + kill grace 5 + wait 10 + stop 120 + SIGKILL wait 10, plus the 60 s margin
    assert timeout_seconds(stack) == {265}
    assert content(stack)["description"] == "Stop it"


def test_every_parameter_is_env_var_and_accepts_only_its_own_value(stack: Stack) -> None:
    StartAppHook(
        stack,
        "Start",
        service_name="demo-app",
        service_manager=ServiceManager.pidfile(start_command="/opt/demo/bin/demo --port 8080", run_as="demo"),
        port=8080,
        health_url="http://127.0.0.1:8080/health?deep=1&x=2",
        platforms=LINUX,
    )
    for name, spec in content(stack)["parameters"].items():
        assert spec["interpolationType"] == "ENV_VAR", name
        pattern = spec["allowedPattern"]
        assert re.fullmatch(pattern, spec["default"]), name
        # A sender with ssm:SendCommand can't swap a value: any other one is refused by SSM.
        for other in (spec["default"] + "x", "x" + spec["default"], "", "/bin/sh"):
            if other != spec["default"]:
                assert not re.search(pattern, other), (name, other)


def test_update_hook(stack: Stack) -> None:
    UpdateAppHook(
        stack,
        "Update",
        service_name="demo-app",
        update_command="dnf -y upgrade demo-app",
        update_timeout=Duration.minutes(20),
        verify_command="rpm -q demo-app",
        verify_timeout=Duration.seconds(30),
        platforms=LINUX,
    )
    assert defaults(stack) == {
        "LinuxServiceName": "demo-app",
        "LinuxUpdateCommand": "dnf -y upgrade demo-app",
        "UpdateTimeoutSeconds": "1200",
        "LinuxVerifyCommand": "rpm -q demo-app",
        "VerifyTimeoutSeconds": "30",
    }
    assert timeout_seconds(stack) == {LOCK_WAIT + 1200 + 5 + 30 + 5 + 60}


@pytest.mark.parametrize(
    ("platforms", "steps"),
    [([HookPlatform.LINUX], ["Linux"]), ([HookPlatform.WINDOWS], ["Windows"]), ([], None)],
    ids=["linux", "windows", "both-by-default"],
)
def test_a_hook_for_some_platforms_carries_only_their_steps(
    stack: Stack, platforms: list[HookPlatform], steps: list[str] | None
) -> None:
    options: dict[str, Any] = {"platforms": platforms} if platforms else {}
    StartAppHook(stack, "Start", service_name="demo-app", health_port=8080, **options)
    found = [step["precondition"]["StringEquals"][1] for step in content(stack)["mainSteps"]]
    assert found == (steps or ["Linux", "Windows"])


def test_update_hook_without_a_command(stack: Stack) -> None:
    UpdateAppHook(stack, "Update", service_name="demo-app")
    assert defaults(stack)["LinuxUpdateCommand"] == defaults(stack)["WindowsUpdateCommand"] == ""
    assert timeout_seconds(stack) == {LOCK_WAIT + 60}


def test_start_hook_with_url(stack: Stack) -> None:
    StartAppHook(
        stack,
        "Start",
        service_name="demo-app",
        health_url="https://localhost:8443/health?deep=1",
        expected_status=204,
        start_timeout=Duration.minutes(3),
        health_interval=Duration.seconds(5),
        service_manager=ServiceManager.pidfile(
            start_command=PerPlatform(linux="/opt/demo/bin/demo --port 8443", windows="C:\\demo\\demo.exe --port 8443"),
            run_as="demo",
        ),
        port=8443,
    )
    assert defaults(stack) == {
        "LinuxServiceName": "demo-app",
        "WindowsServiceName": "demo-app",
        "ServiceManager": "pidfile",
        "LinuxStartCommand": "/opt/demo/bin/demo --port 8443",
        "WindowsStartCommand": "C:\\demo\\demo.exe --port 8443",
        "RunAs": "demo",
        "Port": "8443",
        "HealthUrl": "https://localhost:8443/health?deep=1",
        "ExpectedStatus": "204",
        "HealthPort": "",
        "StartTimeoutSeconds": "180",
        "HealthIntervalSeconds": "5",
    }
    assert timeout_seconds(stack) == {LOCK_WAIT + 2 * 180 + 5 + 5 + 60}


def test_start_hook_with_port(stack: Stack) -> None:
    StartAppHook(stack, "Start", service_name="demo-app", health_port=5432)
    assert defaults(stack)["HealthPort"] == "5432"
    assert defaults(stack)["HealthUrl"] == ""


def test_a_given_timeout_above_the_worst_case_is_kept(stack: Stack) -> None:
    StopAppHook(stack, "Stop", service_name="demo-app", stop_timeout=Duration.seconds(30), timeout=Duration.minutes(5))
    assert timeout_seconds(stack) == {300}


def test_a_windows_device_name_is_fine_for_a_linux_only_hook(stack: Stack) -> None:
    StopAppHook(stack, "Stop", service_name="con.service", platforms=LINUX)
    assert defaults(stack)["LinuxServiceName"] == "con.service"


def test_per_platform_values_reach_only_their_platform(stack: Stack) -> None:
    UpdateAppHook(
        stack,
        "Update",
        service_name=PerPlatform(linux="web-app", windows="WebApp"),
        update_command=PerPlatform(linux="dnf -y upgrade web-app", windows="C:/web-app/update.exe /quiet"),
        verify_command=PerPlatform(linux="rpm -q web-app"),
    )
    assert defaults(stack) == {
        "LinuxServiceName": "web-app",
        "WindowsServiceName": "WebApp",
        "LinuxUpdateCommand": "dnf -y upgrade web-app",
        "WindowsUpdateCommand": "C:/web-app/update.exe /quiet",
        "UpdateTimeoutSeconds": "600",
        "LinuxVerifyCommand": "rpm -q web-app",
        "WindowsVerifyCommand": "",
        "VerifyTimeoutSeconds": "60",
    }
    linux, windows = (
        HookScript.from_file(f"{os}/update_app.{ext}") for os, ext in (("linux", "sh"), ("windows", "ps1"))
    )
    # Each step reads only its own platform's values.
    assert "LinuxUpdateCommand" in linux.ssm_variables
    assert "WindowsUpdateCommand" not in linux.ssm_variables
    assert "WindowsUpdateCommand" in windows.ssm_variables
    assert "LinuxUpdateCommand" not in windows.ssm_variables
    assert content(stack)["description"] == "Post-install hook: update web-app (Linux), WebApp (Windows)"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s: StopAppHook(s, "H", service_name="demo app"),
            r"service_name must be 1 to 200 characters from .*; got service_name='demo app'",
        ),
        (lambda s: StopAppHook(s, "H", service_name=".."), r"not starting with a dot; got service_name='..'"),
        (lambda s: StopAppHook(s, "H", service_name="demo\n"), r"got service_name='demo\\n'"),
        (
            lambda s: StopAppHook(s, "H", service_name="NUL"),
            r"service_name must not contain ':' or be a Windows device name .* on Windows; got service_name='NUL'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name=PerPlatform(linux="web", windows="web:app")),
            r"service_name must not contain ':' .*; got service_name='web:app'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name=PerPlatform(linux="web-app")),
            r"service_name needs a value for Windows; got service_name=PerPlatform\(linux='web-app', windows=None\)",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command="dnf -y upgrade demo"),
            r"update_command would run the same command line on Linux and Windows; give "
            r"update_command=PerPlatform\(linux=..., windows=...\) .*; got update_command='dnf -y upgrade demo'",
        ),
        (
            lambda s: UpdateAppHook(
                s, "H", service_name="demo", update_command=PerPlatform(windows="C:/u.exe"), platforms=LINUX
            ),
            r"update_command gives a Windows value, but the hook has no Windows step; got platforms=\['Linux'\]",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command="~/bin/update", platforms=LINUX),
            r"update_command must start with the program to run \(it runs without a shell: no ~, NAME=value or "
            r"leading -\); got update_command='~/bin/update'",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command="DEBUG=1 /opt/update", platforms=LINUX),
            r"update_command must start with the program to run",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", verify_command="rpm -q demo", platforms=LINUX),
            r"verify_command runs only after update_command, which is not set: the hook would skip it; "
            r"got verify_command='rpm -q demo'",
        ),
        (
            lambda s: StartAppHook(
                s,
                "H",
                service_name="demo",
                health_port=80,
                service_manager=ServiceManager.pidfile(start_command=PerPlatform(linux="/opt/demo")),
            ),
            r"start_command needs a value for Windows",
        ),
        (
            lambda s: StartAppHook(
                s,
                "H",
                service_name="demo",
                health_port=80,
                platforms=[HookPlatform.WINDOWS],
                service_manager=ServiceManager.pidfile(start_command="C:/demo.exe", run_as="demo"),
            ),
            r"run_as works on Linux only; got run_as='demo' for platforms=\['Windows'\]",
        ),
        (
            lambda s: ServiceManager.pidfile(run_as="Root User"),
            r"run_as must be a Linux user name .*; got run_as='Root User'",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://169.254.169.254/latest/meta-data/"),
            r"health_url must be an http:// or https:// URL on a loopback address",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://app.internal/health"),
            r"health_url must be an http:// or https:// URL on a loopback address .*; got health_url='http://app.internal/health'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", port=0),
            r"port must be a TCP port from 1 to 65535; got port=0",
        ),
        (lambda s: StopAppHook(s, "H", service_name="demo", port=65536), r"port must be a TCP port from 1 to 65535"),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="drain; reboot", platforms=LINUX),
            r"drain_command must be one program and its arguments separated by spaces, .* without quotes, "
            r"; \| & \$ ` < > \\ or line breaks .*; got drain_command='drain; reboot'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="echo $HOME", platforms=LINUX),
            r"drain_command must be one program and its arguments",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="a | b", platforms=LINUX),
            r"drain_command must be one program and its arguments",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", stop_timeout=Duration.hours(2)),
            r"stop_timeout must be a whole number of seconds from 1 to 3600; got stop_timeout=2 hours",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", stop_timeout=Duration.millis(1500)),
            r"stop_timeout must be a whole number of seconds",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_wait=Duration.hours(2)),
            r"drain_wait must be a whole number of seconds from 0 to 3600",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", timeout=Duration.seconds(90)),
            r"timeout must exceed the hook's worst-case run time of 90s so SSM never cuts it short; got timeout=1 minute 30 seconds",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command="make `id`", platforms=LINUX),
            r"update_command must be one program and its arguments",
        ),
        (
            lambda s: UpdateAppHook(
                s, "H", service_name="demo", update_command="true", verify_command="x > /etc/passwd", platforms=LINUX
            ),
            r"verify_command must be one program and its arguments",
        ),
        (
            lambda s: UpdateAppHook(
                s,
                "H",
                service_name="demo",
                update_command=PerPlatform(linux="/opt/u", windows="C:/u.exe"),
                update_timeout=Duration.hours(3),
            ),
            r"update_timeout must be a whole number of seconds from 1 to 7200",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo"),
            r"provide health_url or health_port: the start hook needs a health check; got neither",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://127.0.0.1/health", health_port=80),
            r"provide either health_url or health_port, not both",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="ftp://127.0.0.1/health"),
            r"health_url must be an http:// or https:// URL on a loopback address .*; got health_url='ftp://127.0.0.1/health'",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://127.0.0.1/health?a=$(id)"),
            r"health_url must be an http",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_port=8080, expected_status=600),
            r"expected_status must be an HTTP status from 100 to 599; got expected_status=600",
        ),
        (
            lambda s: StartAppHook(
                s,
                "H",
                service_name="demo",
                health_port=8080,
                start_timeout=Duration.seconds(5),
                health_interval=Duration.seconds(5),
            ),
            r"health_interval must be shorter than start_timeout; got health_interval=5 seconds, start_timeout=5 seconds",
        ),
        (
            lambda s: StartAppHook(
                s, "H", service_name="demo", health_port=8080, service_manager=ServiceManager.pidfile()
            ),
            r"service_manager pidfile needs a start_command for StartAppHook; use ServiceManager.pidfile\(start_command=...\)",
        ),
        (
            lambda s: StopAppHook(
                s,
                "H",
                service_name="demo",
                platforms=LINUX,
                service_manager=ServiceManager.pidfile(start_command="demo & disown"),
            ),
            r"start_command must be one program and its arguments",
        ),
        (
            lambda s: StopAppHook(
                s, "H", service_name="demo", platforms=LINUX, drain_command="sh -c 'curl -X POST localhost/drain'"
            ),
            r"drain_command must be one program and its arguments .* without quotes",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", platforms=[]),
            r"platforms must name Linux, Windows or both, once each; got platforms=\[\]",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", platforms=[HookPlatform.LINUX, HookPlatform.LINUX]),
            r"platforms must name Linux, Windows or both, once each; got platforms=\['Linux', 'Linux'\]",
        ),
    ],
)
def test_fails_on_invalid_settings(stack: Stack, build: Callable[[Stack], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(stack)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s: StopAppHook(s, "H", service_name=cast(Any, 42)),
            r"service_name must be a string or PerPlatform; got 42",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", port=cast(Any, "8080")),
            r"port must be a whole number or None; got the string '8080'",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command=cast(Any, ["dnf", "upgrade"])),
            r"update_command must be a string or PerPlatform or None; got a list",
        ),
        (lambda s: PerPlatform(linux=cast(Any, 1)), r"PerPlatform linux must be a string or None; got 1"),
        (
            lambda s: ServiceManager.pidfile(start_command=cast(Any, 5)),
            r"start_command must be a string or PerPlatform; got 5",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_port=8080, expected_status=cast(Any, True)),
            r"expected_status must be a whole number; got True",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_port=80, platforms=cast(Any, ["macOS"])),
            r"platforms must be a list of HookPlatform members; got the string 'macOS' at position 0",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_port=80, platforms=cast(Any, "Linux")),
            r"platforms must be a list of HookPlatform members; got the string 'Linux'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", stop_timeout=cast(Any, 60)),
            r"stop_timeout must be Duration or None; got 60",
        ),
    ],
)
def test_wrong_types_are_type_errors_naming_the_keyword(
    stack: Stack, build: Callable[[Stack], Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        build(stack)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (
            SERVICE_NAME_PATTERN,
            ["demo-app", "demo@1.service", "W3SVC", "a" * 200],
            ["", "demo app", "demo;x", "a" * 201, ".hidden", "..", "../etc"],
        ),
        (RUN_AS_PATTERN, ["", "demo", "_svc", "web-app1"], ["Demo", "a b", "1abc", "a" * 33, "root;id"]),
        (
            COMMAND_PATTERN,
            ["", "dnf -y upgrade demo-app", "python3 -m demo --port=8080"],
            ["a;b", "a|b", "a&b", "$(id)", "`id`", "a>b", "a\nb", "a\\b", "sh -c 'echo ok'", 'say "hi"'],
        ),
        (
            WINDOWS_COMMAND_PATTERN,
            ["", "C:\\app\\update.exe /quiet", "C:/app/update.exe"],
            ["a;b", "a|b", "a&b", "$(id)", "`id`", "a>b", "a\nb", "'x'"],
        ),
        (SECONDS_PATTERN, ["0", "60", "999999"], ["", "-1", "08", "1.5", "1000000"]),
        (PORT_PATTERN, ["", "1", "8080", "65535"], ["0", "65536", "080", "http"]),
        (
            HEALTH_URL_PATTERN,
            [
                "",
                "http://127.0.0.1:8080/health",
                "https://localhost/health?deep=1&x=2",
                "http://[::1]:80/",
                "http://127.1.2.3",
            ],
            [
                "ftp://127.0.0.1",
                "http://127.0.0.1/a b",
                "http://127.0.0.1/'",
                "http://127.0.0.1/$y",
                "http://169.254.169.254/latest/meta-data/",
                "http://[fd00:ec2::254]/latest",
                "http://app.internal/health",
                "http://localhost.evil.com/",
                "http://127.0.0.1@evil.com/",
            ],
        ),
    ],
)
def test_allowed_patterns_accept_and_refuse_as_documented(pattern: str, good: list[str], bad: list[str]) -> None:
    assert [value for value in good if not re.search(pattern, value)] == []
    assert [value for value in bad if re.search(pattern, value)] == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_timeout=Duration.minutes(5)),
            r"update_timeout needs update_command: without it, update_timeout does nothing",
        ),
        (
            lambda s: UpdateAppHook(
                s,
                "H",
                service_name="demo",
                update_command=PerPlatform(linux="/opt/u", windows="C:/u.exe"),
                verify_timeout=Duration.minutes(1),
            ),
            r"verify_timeout needs verify_command",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_timeout=Duration.minutes(1)),
            r"drain_timeout needs drain_command",
        ),
    ],
)
def test_a_timeout_without_its_command_is_refused(stack: Stack, build: Callable[[Stack], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(stack)


def test_timeouts_with_their_commands_are_taken(stack: Stack) -> None:
    UpdateAppHook(
        stack,
        "Update",
        service_name="demo",
        update_command=PerPlatform(linux="/opt/u", windows="C:/u.exe"),
        update_timeout=Duration.minutes(5),
        verify_command=PerPlatform(linux="/opt/v", windows="C:/v.exe"),
        verify_timeout=Duration.minutes(1),
    )
    StopAppHook(
        stack,
        "Stop",
        service_name="demo",
        drain_command=PerPlatform(linux="/opt/d", windows="C:/d.exe"),
        drain_timeout=Duration.minutes(1),
    )
