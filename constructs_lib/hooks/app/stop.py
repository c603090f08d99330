"""StopAppHook: the pre-install hook that drains and stops the app gracefully."""

from __future__ import annotations

from typing import Unpack

from aws_cdk import Duration
from constructs import Construct

from ..._internal import defaults, rules
from ..._internal.options import check_keywords
from ..._internal.rules import BOOLEAN_PATTERN
from ..._internal.typecheck import typed
from .base import AppHook, AppHookOptions
from .parameters import command_parameters, parameter, port_parameter, seconds_parameter
from .per_platform import ALL_PLATFORMS, PerPlatform, chosen_platforms, describe
from .service_manager import ServiceManager

# Extra wait after SIGKILL, and the grace timeout gives a drain command before killing it.
_KILL_WAIT_SECONDS = 10
_KILL_AFTER_SECONDS = 5


class StopAppHook(AppHook):
    """Defines the pre-install hook document running hook_scripts/*/stop_app_gracefully.

    Steps: take the app's run lock (one hook run per app and instance); if the app is verifiably stopped,
    succeed; if the manager cannot tell, fail; run the drain command (bounded); wait the drain period; ask
    the service manager to stop the app; wait up to ``stop_timeout`` until the manager says stopped
    (inactive or failed, not deactivating; or the recorded process has exited) and ``port`` is closed; then
    SIGKILL it if ``escalate_to_kill``, else fail, which makes AWS-RunPatchBaselineWithHooks skip
    installation and run on-exit. "Stopped" is only ever reported with that evidence, named in the hook's
    last line; a process is signalled only while its record (pid and start time) still identifies it.
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
        drain_command: str | PerPlatform | None = None,
        drain_timeout: Duration | None = None,
        drain_wait: Duration | None = None,
        stop_timeout: Duration | None = None,
        escalate_to_kill: bool = False,
        **options: Unpack[AppHookOptions],
    ) -> None:
        """Define the hook.

        Args:
            service_name: the systemd unit or Windows service (a label with pidfile); PerPlatform where the
                names differ.
            service_manager: how to stop the app. Default: ServiceManager.service().
            port: a TCP port on localhost that must close before the app counts as stopped.
                Default: none, only the process is watched.
            drain_command: one program and its arguments run first (without a shell), e.g. to deregister from
                a load balancer; PerPlatform on a hook for Linux and Windows. Default: none.
            drain_timeout: limit for drain_command, 1 s to 1 h. Default: 60 seconds.
            drain_wait: pause after draining for connections to finish, 0 to 1 h. Default: 0 seconds, no pause.
            stop_timeout: how long to wait for the app to stop, 1 s to 1 h. Default: 60 seconds.
            escalate_to_kill: kill the app when it does not stop in time. Default: False, the hook fails.
            options: document_name, description, timeout and platforms, as for every app hook (AppHookOptions).
                Default description: "Pre-install hook: stop <service_name> gracefully".
        """
        check_keywords(StopAppHook.__init__, options, AppHookOptions)
        manager = service_manager or ServiceManager.service()
        rules.check_needs("drain_timeout", drain_timeout is not None, "drain_command", drain_command is not None)
        drain_timeout = drain_timeout or Duration.seconds(defaults.DRAIN_TIMEOUT_SECONDS)
        drain_wait = drain_wait or Duration.seconds(0)
        stop_timeout = stop_timeout or Duration.seconds(defaults.STOP_TIMEOUT_SECONDS)
        platforms = chosen_platforms(options.get("platforms", ALL_PLATFORMS))
        parameters = {
            **manager.to_parameters(platforms),
            "Port": port_parameter("port", port, "A TCP port that must close"),
            **command_parameters("drain_command", "DrainCommand", drain_command, platforms, "Run before stopping"),
            "DrainTimeoutSeconds": seconds_parameter(
                "drain_timeout", drain_timeout, rules.DRAIN_TIMEOUT_RANGE, "Limit for DrainCommand"
            ),
            "DrainSeconds": seconds_parameter("drain_wait", drain_wait, rules.DRAIN_WAIT_RANGE, "Pause after draining"),
            "StopTimeoutSeconds": seconds_parameter(
                "stop_timeout", stop_timeout, rules.STOP_TIMEOUT_RANGE, "How long to wait for the app to stop"
            ),
            "EscalateToKill": parameter(
                "escalate_to_kill",
                str(escalate_to_kill).lower(),
                BOOLEAN_PATTERN,
                "true or false",
                "Kill the app when it does not stop in time",
            ),
        }
        worst_case = (
            (int(drain_timeout.to_seconds()) + _KILL_AFTER_SECONDS if drain_command else 0)
            + int(drain_wait.to_seconds())
            + int(stop_timeout.to_seconds())
            + (_KILL_WAIT_SECONDS if escalate_to_kill else 0)
        )
        super().__init__(
            scope,
            construct_id,
            script="stop_app_gracefully",
            service_name=service_name,
            parameters=parameters,
            worst_case_seconds=worst_case,
            default_description=f"Pre-install hook: stop {describe(service_name)} gracefully",
            **options,
        )
