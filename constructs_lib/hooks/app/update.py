"""UpdateAppHook: the post-install hook that updates the app itself."""

from __future__ import annotations

from typing import Unpack

from aws_cdk import Duration
from constructs import Construct

from ..._internal import defaults, rules
from ..._internal.options import check_keywords
from ..._internal.rules import fail
from ..._internal.typecheck import typed
from .base import AppHook, AppHookOptions
from .parameters import command_parameters, seconds_parameter
from .per_platform import ALL_PLATFORMS, PerPlatform, chosen_platforms, describe

_KILL_AFTER_SECONDS = 5


class UpdateAppHook(AppHook):
    """Defines the post-install hook document running hook_scripts/*/update_app.

    Steps: with no update command, succeed; take the app's run lock; run the update command (bounded,
    without a shell); run the verify
    command (bounded); a failure logs the command's last 20 output lines and fails the hook, which
    makes AWS-RunPatchBaselineWithHooks skip the reboot and run on-exit.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str | PerPlatform,
        update_command: str | PerPlatform | None = None,
        update_timeout: Duration | None = None,
        verify_command: str | PerPlatform | None = None,
        verify_timeout: Duration | None = None,
        **options: Unpack[AppHookOptions],
    ) -> None:
        """Define the hook.

        Args:
            service_name: the app's name, used in the log and for its run lock; PerPlatform where names differ.
            update_command: one program and its arguments that update the app, run without a shell;
                PerPlatform on a hook for Linux and Windows (a plain string there is refused: a command
                line hardly ever runs on both). Default: none, the hook succeeds without doing anything.
            update_timeout: limit for update_command, 1 s to 2 h. Default: 10 minutes.
            verify_command: one program and its arguments that prove the update worked (e.g. a version
                check); PerPlatform as update_command. Default: none, the update command's exit code decides.
            verify_timeout: limit for verify_command, 1 s to 1 h. Default: 60 seconds.
            options: document_name, description, timeout and platforms, as for every app hook (AppHookOptions).
                Default description: "Post-install hook: update <service_name>".
        """
        check_keywords(UpdateAppHook.__init__, options, AppHookOptions)
        rules.check_needs("update_timeout", update_timeout is not None, "update_command", update_command is not None)
        rules.check_needs("verify_timeout", verify_timeout is not None, "verify_command", verify_command is not None)
        update_timeout = update_timeout or Duration.seconds(defaults.UPDATE_TIMEOUT_SECONDS)
        verify_timeout = verify_timeout or Duration.seconds(defaults.VERIFY_TIMEOUT_SECONDS)
        platforms = chosen_platforms(options.get("platforms", ALL_PLATFORMS))
        if verify_command and not update_command:
            fail(
                "verify_command runs only after update_command, which is not set: the hook would skip it; "
                f"got verify_command={verify_command!r}"
            )
        parameters = {
            **command_parameters("update_command", "UpdateCommand", update_command, platforms, "Updates the app"),
            "UpdateTimeoutSeconds": seconds_parameter(
                "update_timeout", update_timeout, rules.UPDATE_TIMEOUT_RANGE, "Limit for UpdateCommand"
            ),
            **command_parameters(
                "verify_command", "VerifyCommand", verify_command, platforms, "Proves the update worked"
            ),
            "VerifyTimeoutSeconds": seconds_parameter(
                "verify_timeout", verify_timeout, rules.VERIFY_TIMEOUT_RANGE, "Limit for VerifyCommand"
            ),
        }
        worst_case = (int(update_timeout.to_seconds()) + _KILL_AFTER_SECONDS if update_command else 0) + (
            int(verify_timeout.to_seconds()) + _KILL_AFTER_SECONDS if verify_command else 0
        )
        super().__init__(
            scope,
            construct_id,
            script="update_app",
            service_name=service_name,
            parameters=parameters,
            worst_case_seconds=worst_case,
            default_description=f"Post-install hook: update {describe(service_name)}",
            **options,
        )
