"""StopAppHook, UpdateAppHook, StartAppHook and ServiceManager: typed hooks over HookDocument."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from aws_cdk import Duration, Stack

from constructs_lib import HookPlatform, HookScript, ServiceManager, StartAppHook, StopAppHook, UpdateAppHook
from constructs_lib._internal.rules import (
    COMMAND_PATTERN,
    HEALTH_URL_PATTERN,
    PID_FILE_PATTERN,
    PORT_PATTERN,
    SECONDS_PATTERN,
    SERVICE_NAME_PATTERN,
)
from tests.builders import template


def content(stack: Stack) -> dict[str, Any]:
    (document,) = template(stack).find_resources("AWS::SSM::Document").values()
    result: dict[str, Any] = document["Properties"]["Content"]
    return result


def defaults(stack: Stack) -> dict[str, str]:
    return {name: spec["default"] for name, spec in content(stack)["parameters"].items()}


def timeout_seconds(stack: Stack) -> set[int]:
    return {step["inputs"]["timeoutSeconds"] for step in content(stack)["mainSteps"]}


def test_stop_hook_defaults(stack: Stack) -> None:
    StopAppHook(stack, "Stop", service_name="demo-app")
    assert defaults(stack) == {
        "ServiceName": "demo-app",
        "ServiceManager": "service",
        "PidFile": "",
        "StartCommand": "",
        "Port": "",
        "DrainCommand": "",
        "DrainTimeoutSeconds": "60",
        "DrainSeconds": "0",
        "StopTimeoutSeconds": "60",
        "EscalateToKill": "false",
    }
    assert timeout_seconds(stack) == {60 + 60}  # stop timeout plus the margin
    steps = content(stack)["mainSteps"]
    assert steps[0]["inputs"]["runCommand"] == HookScript.from_file("linux/stop_app_gracefully.sh").lines
    assert steps[1]["inputs"]["runCommand"] == HookScript.from_file("windows/stop_app_gracefully.ps1").lines
    assert content(stack)["description"] == "Pre-install hook: stop demo-app gracefully"


def test_stop_hook_with_every_option(stack: Stack) -> None:
    StopAppHook(
        stack,
        "Stop",
        service_name="demo-app.service",
        service_manager=ServiceManager.pidfile("/run/demo-app.pid"),
        port=8080,
        drain_command="curl -fsS -X POST http://127.0.0.1:8080/drain",
        drain_timeout=Duration.seconds(30),
        drain_wait=Duration.seconds(10),
        stop_timeout=Duration.minutes(2),
        escalate_to_kill=True,
        document_name="Demo-Stop",
        description="Stop it",
    )
    assert defaults(stack) == {
        "ServiceName": "demo-app.service",
        "ServiceManager": "pidfile",
        "PidFile": "/run/demo-app.pid",
        "StartCommand": "",
        "Port": "8080",
        "DrainCommand": "curl -fsS -X POST http://127.0.0.1:8080/drain",
        "DrainTimeoutSeconds": "30",
        "DrainSeconds": "10",
        "StopTimeoutSeconds": "120",
        "EscalateToKill": "true",
    }
    # drain 30 + kill grace 5 + wait 10 + stop 120 + SIGKILL wait 10, plus the 60 s margin
    assert timeout_seconds(stack) == {235}
    assert content(stack)["description"] == "Stop it"


def test_every_parameter_is_env_var_with_a_precise_pattern(stack: Stack) -> None:
    StartAppHook(stack, "Start", service_name="demo-app", health_url="http://127.0.0.1:8080/health")
    for name, spec in content(stack)["parameters"].items():
        assert spec["interpolationType"] == "ENV_VAR", name
        assert spec["allowedPattern"].startswith("^"), name
        assert spec["allowedPattern"].endswith("$"), name
        assert re.search(spec["allowedPattern"], spec["default"]), name


def test_update_hook(stack: Stack) -> None:
    UpdateAppHook(
        stack,
        "Update",
        service_name="demo-app",
        update_command="dnf -y upgrade demo-app",
        update_timeout=Duration.minutes(20),
        verify_command="rpm -q demo-app",
        verify_timeout=Duration.seconds(30),
    )
    assert defaults(stack) == {
        "ServiceName": "demo-app",
        "UpdateCommand": "dnf -y upgrade demo-app",
        "UpdateTimeoutSeconds": "1200",
        "VerifyCommand": "rpm -q demo-app",
        "VerifyTimeoutSeconds": "30",
    }
    assert timeout_seconds(stack) == {1200 + 5 + 30 + 5 + 60}


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
    assert defaults(stack)["UpdateCommand"] == ""
    assert timeout_seconds(stack) == {60}


def test_start_hook_with_url(stack: Stack) -> None:
    StartAppHook(
        stack,
        "Start",
        service_name="demo-app",
        health_url="https://localhost:8443/health?deep=1",
        expected_status=204,
        start_timeout=Duration.minutes(3),
        health_interval=Duration.seconds(5),
        service_manager=ServiceManager.pidfile("/run/demo.pid", start_command="/opt/demo/bin/demo --port 8443"),
    )
    assert defaults(stack) == {
        "ServiceName": "demo-app",
        "ServiceManager": "pidfile",
        "PidFile": "/run/demo.pid",
        "StartCommand": "/opt/demo/bin/demo --port 8443",
        "HealthUrl": "https://localhost:8443/health?deep=1",
        "ExpectedStatus": "204",
        "HealthPort": "",
        "StartTimeoutSeconds": "180",
        "HealthIntervalSeconds": "5",
    }
    assert timeout_seconds(stack) == {2 * 180 + 5 + 5 + 60}


def test_start_hook_with_port(stack: Stack) -> None:
    StartAppHook(stack, "Start", service_name="demo-app", health_port=5432)
    assert defaults(stack)["HealthPort"] == "5432"
    assert defaults(stack)["HealthUrl"] == ""


def test_a_given_timeout_above_the_worst_case_is_kept(stack: Stack) -> None:
    StopAppHook(stack, "Stop", service_name="demo-app", stop_timeout=Duration.seconds(30), timeout=Duration.minutes(5))
    assert timeout_seconds(stack) == {300}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s: StopAppHook(s, "H", service_name="demo app"),
            r"service_name must be 1 to 256 characters from .*; got service_name='demo app'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", port=0),
            r"port must be a TCP port from 1 to 65535; got port=0",
        ),
        (lambda s: StopAppHook(s, "H", service_name="demo", port=65536), r"port must be a TCP port from 1 to 65535"),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="drain; reboot"),
            r"drain_command must be one simple command .* without ; \| & \$ ` < > \\ or line breaks .*; got drain_command='drain; reboot'",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="echo $HOME"),
            r"drain_command must be one simple command",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", drain_command="a | b"),
            r"drain_command must be one simple command",
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
            lambda s: StopAppHook(s, "H", service_name="demo", timeout=Duration.seconds(60)),
            r"timeout must exceed the hook's worst-case run time of 60s so SSM never cuts it short; got timeout=1 minute",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_command="make `id`"),
            r"update_command must be one simple command",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", verify_command="x > /etc/passwd"),
            r"verify_command must be one simple command",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", update_timeout=Duration.hours(3)),
            r"update_timeout must be a whole number of seconds from 1 to 7200",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo"),
            r"provide health_url or health_port: the start hook needs a health check; got neither",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://x/health", health_port=80),
            r"provide either health_url or health_port, not both",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="ftp://x/health"),
            r"health_url must be an http:// or https:// URL without quotes, spaces or \$; got health_url='ftp://x/health'",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_url="http://x/health?a=$(id)"),
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
                s, "H", service_name="demo", health_port=8080, service_manager=ServiceManager.pidfile("/run/d.pid")
            ),
            r"service_manager pidfile needs a start_command for StartAppHook",
        ),
        (
            lambda s: ServiceManager.pidfile("run/demo.pid"),
            r"pid_file must be an absolute path such as /run/demo-app.pid; got pid_file='run/demo.pid'",
        ),
        (lambda s: ServiceManager.pidfile(""), r"pid_file must be an absolute path"),
        (
            lambda s: ServiceManager.pidfile("/run/demo.pid", start_command="demo & disown"),
            r"start_command must be one simple command",
        ),
        (
            lambda s: UpdateAppHook(s, "H", service_name="demo", platforms=[]),
            r"platforms must name Linux, Windows or both, once each; got platforms=\[\]",
        ),
        (
            lambda s: StopAppHook(s, "H", service_name="demo", platforms=[HookPlatform.LINUX, HookPlatform.LINUX]),
            r"platforms must name Linux, Windows or both, once each; got platforms=\['Linux', 'Linux'\]",
        ),
        (
            lambda s: StartAppHook(s, "H", service_name="demo", health_port=80, platforms=cast(Any, ["macOS"])),
            r"platforms must name Linux, Windows or both, once each; got platforms=\['macOS'\]",
        ),
    ],
)
def test_fails_on_invalid_settings(stack: Stack, build: Callable[[Stack], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(stack)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (SERVICE_NAME_PATTERN, ["demo-app", "demo@1.service", "W3SVC"], ["", "demo app", "demo;x", "a" * 257]),
        (
            PID_FILE_PATTERN,
            ["", "/run/demo.pid", "C:\\ProgramData\\demo\\demo.pid"],
            ["run/demo.pid", "/run/$x.pid", "/a b"],
        ),
        (
            COMMAND_PATTERN,
            ["", "dnf -y upgrade demo-app", "python3 -m demo --port=8080", "sh -c 'echo ok'"],
            ["a;b", "a|b", "a&b", "$(id)", "`id`", "a>b", "a\nb", "a\\b"],
        ),
        (SECONDS_PATTERN, ["0", "60", "999999"], ["", "-1", "08", "1.5", "1000000"]),
        (PORT_PATTERN, ["", "1", "8080", "65535"], ["0", "65536", "080", "http"]),
        (
            HEALTH_URL_PATTERN,
            ["", "http://127.0.0.1:8080/health", "https://app.internal/health?deep=1&x=2"],
            ["ftp://x", "http://x/a b", "http://x/'", "http://x/$y"],
        ),
    ],
)
def test_allowed_patterns_accept_and_refuse_as_documented(pattern: str, good: list[str], bad: list[str]) -> None:
    assert [value for value in good if not re.search(pattern, value)] == []
    assert [value for value in bad if re.search(pattern, value)] == []
