"""StartAppHook: the on-exit hook that starts the app and verifies it is healthy."""

from __future__ import annotations

from typing import Unpack

from aws_cdk import Duration
from constructs import Construct

from ..._internal import defaults, rules
from ..._internal.options import check_keywords
from ..._internal.rules import HEALTH_URL_PATTERN, HEALTH_URL_RULE, HTTP_STATUS_PATTERN, check_one_health_check, fail
from ..._internal.typecheck import typed
from .base import AppHook, AppHookOptions
from .parameters import parameter, port_parameter, seconds_parameter
from .per_platform import ALL_PLATFORMS, PerPlatform, chosen_platforms, describe
from .service_manager import ServiceManager, ServiceManagerKind

# One health check may take up to 5 s (curl --max-time), a service start up to the start timeout.
_CHECK_SECONDS = 5


class StartAppHook(AppHook):
    """Defines the on-exit hook document running hook_scripts/*/start_app_and_verify.

    Steps: take the app's run lock; if the app runs and is healthy, succeed (on-exit runs on every
    Install path, so it is idempotent); if it is not running and ``port`` is taken by another process,
    fail; else start it; poll the health check (50 ms apart at first, backing off to ``health_interval``)
    until ``start_timeout``, failing at once if the app stops meanwhile, else at the end with the last
    response (its status, never its body).
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str | PerPlatform,
        service_manager: ServiceManager | None = None,
        port: int | None = None,
        health_url: str | None = None,
        expected_status: int = defaults.EXPECTED_STATUS,
        health_port: int | None = None,
        start_timeout: Duration | None = None,
        health_interval: Duration | None = None,
        **options: Unpack[AppHookOptions],
    ) -> None:
        """Define the hook. Give exactly one of health_url and health_port.

        Args:
            service_name: the systemd unit or Windows service (a label with pidfile); PerPlatform where the
                names differ.
            service_manager: how to start the app; pidfile needs a start_command.
                Default: ServiceManager.service().
            port: the app's own TCP port: when another process holds it, the app is not started and the
                hook fails. Default: none, no such check (a reverse proxy on the health port is no conflict).
            health_url: an http(s) URL on a loopback address (127.0.0.1, localhost or [::1]) that answers
                ``expected_status`` when the app is healthy; https certificates are not verified, as load
                balancers' health checks do. Default: none; then health_port is required.
            expected_status: the HTTP status that means healthy. Default: 200.
            health_port: a TCP port on localhost that accepts connections when the app is healthy.
                Default: none; then health_url is required.
            start_timeout: how long to wait for health, 1 s to 1 h. Default: 2 minutes.
            health_interval: the longest pause between checks, 1 s to 5 min and shorter than start_timeout;
                checks start 50 ms apart and back off, doubling, to it. Default: 2 seconds.
            options: document_name, description, timeout and platforms, as for every app hook (AppHookOptions).
                Default description: "On-exit hook: start <service_name> and verify it is healthy".
        """
        check_keywords(StartAppHook.__init__, options, AppHookOptions)
        platforms = chosen_platforms(options.get("platforms", ALL_PLATFORMS))
        manager = service_manager or ServiceManager.service()
        start_timeout = start_timeout or Duration.seconds(defaults.START_TIMEOUT_SECONDS)
        health_interval = health_interval or Duration.seconds(defaults.HEALTH_INTERVAL_SECONDS)
        check_one_health_check(health_url, health_port)
        if manager.kind is ServiceManagerKind.PIDFILE and not manager.start_command:
            fail(
                "service_manager pidfile needs a start_command for StartAppHook; "
                "use ServiceManager.pidfile(start_command=...)"
            )
        if not 100 <= expected_status <= 599:
            fail(f"expected_status must be an HTTP status from 100 to 599; got expected_status={expected_status!r}")
        parameters = {
            **manager.to_parameters(platforms, needs_start=True),
            "Port": port_parameter("port", port, "The app's own TCP port, free before it starts"),
            "HealthUrl": parameter("health_url", health_url or "", HEALTH_URL_PATTERN, HEALTH_URL_RULE, "URL to poll"),
            "ExpectedStatus": parameter(
                "expected_status",
                str(expected_status),
                HTTP_STATUS_PATTERN,
                "an HTTP status",
                "HTTP status that means healthy",
            ),
            "HealthPort": port_parameter("health_port", health_port, "TCP port that must accept connections"),
            "StartTimeoutSeconds": seconds_parameter(
                "start_timeout", start_timeout, rules.START_TIMEOUT_RANGE, "How long to wait for health"
            ),
            "HealthIntervalSeconds": seconds_parameter(
                "health_interval", health_interval, rules.HEALTH_INTERVAL_RANGE, "Longest pause between health checks"
            ),
        }
        start_seconds = int(start_timeout.to_seconds())
        if health_interval.to_seconds() >= start_seconds:
            fail(
                f"health_interval must be shorter than start_timeout; got health_interval="
                f"{health_interval.to_human_string()}, start_timeout={start_timeout.to_human_string()}"
            )
        # Starting the service (bounded by the start timeout), then polling until the deadline, where
        # the last check and pause may overrun it once.
        worst_case = 2 * start_seconds + _CHECK_SECONDS + int(health_interval.to_seconds())
        super().__init__(
            scope,
            construct_id,
            script="start_app_and_verify",
            service_name=service_name,
            parameters=parameters,
            worst_case_seconds=worst_case,
            default_description=f"On-exit hook: start {describe(service_name)} and verify it is healthy",
            **options,
        )
