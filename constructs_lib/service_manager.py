"""ServiceManager and the parameter patterns shared by the typed app hooks (StopAppHook, UpdateAppHook,
StartAppHook)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict

from aws_cdk import Duration

from ._validation import fail, whole_seconds
from .hook_document import HookParameter
from .hook_script import HookScript

# Precise allowedPatterns, valid in Java and Go regex; Python checks the defaults at synth.
SERVICE_NAME_PATTERN = r"^[A-Za-z0-9@_.:-]{1,256}$"
SERVICE_MANAGER_PATTERN = r"^(service|pidfile)$"
PID_FILE_PATTERN = r"^$|^/[A-Za-z0-9._/-]{1,1024}$|^[A-Za-z]:\\[A-Za-z0-9._\\ -]{1,259}$"
# One simple command: no ; | & $ ` < > \ or line breaks, so a value can't chain or redirect.
COMMAND_PATTERN = r"^[A-Za-z0-9 _./:=@%+,~'\"-]{0,1024}$"
SECONDS_PATTERN = r"^(0|[1-9][0-9]{0,5})$"
PORT_PATTERN = r"^$|^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
HEALTH_URL_PATTERN = r"^$|^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/?=&+-]*)?$"
HTTP_STATUS_PATTERN = r"^[1-5][0-9]{2}$"
BOOLEAN_PATTERN = r"^(true|false)$"
# Added to a hook's worst-case run time to give SSM's step timeout room for process start-up.
STEP_TIMEOUT_MARGIN_SECONDS = 60


class ServiceManagerKind(StrEnum):
    """How the hooks control the app."""

    SERVICE = "service"
    PIDFILE = "pidfile"


@dataclass(frozen=True)
class ServiceManager:
    """How hooks stop and start the app. Build one with the static factories.

    ``ServiceManager.service()`` uses the host's service manager (systemd on Linux, the Service
    Control Manager on Windows). ``ServiceManager.pidfile("/run/app.pid", start_command="...")`` is
    for hosts without systemd: the app's process id lives in a pid file, stop sends SIGTERM (a close
    request on Windows), start runs the command in a session of its own and records its pid.
    """

    kind: ServiceManagerKind
    pid_file_path: str = ""
    start_command: str = ""

    @staticmethod
    def service() -> ServiceManager:
        """The host's service manager: systemd on Linux, the Service Control Manager on Windows."""
        return ServiceManager(ServiceManagerKind.SERVICE)

    @staticmethod
    def pidfile(path: str, *, start_command: str = "") -> ServiceManager:
        """A process recorded in a pid file (absolute path), started with ``start_command``.

        Default: ``start_command`` empty, which only StopAppHook accepts (start needs a command).
        """
        parameter("pid_file", path, PID_FILE_PATTERN, "an absolute path such as /run/demo-app.pid")
        if not path:
            fail("pid_file must be an absolute path such as /run/demo-app.pid; got pid_file=''")
        parameter("start_command", start_command, COMMAND_PATTERN, COMMAND_RULE)
        return ServiceManager(ServiceManagerKind.PIDFILE, path, start_command)

    def to_parameters(self) -> dict[str, HookParameter]:
        """The ServiceManager, PidFile and StartCommand document parameters."""
        return {
            "ServiceManager": HookParameter(
                default=self.kind.value,
                allowed_pattern=SERVICE_MANAGER_PATTERN,
                description="service (systemd or the Windows SCM) or pidfile",
            ),
            "PidFile": HookParameter(
                default=self.pid_file_path,
                allowed_pattern=PID_FILE_PATTERN,
                description="The app's pid file, with ServiceManager pidfile",
            ),
            "StartCommand": HookParameter(
                default=self.start_command,
                allowed_pattern=COMMAND_PATTERN,
                description="How to start the app, with ServiceManager pidfile",
            ),
        }


COMMAND_RULE = (
    "one simple command of at most 1024 characters without ; | & $ ` < > \\ or line breaks "
    "(put pipelines in a script on the instance)"
)


def parameter(keyword: str, value: str, pattern: str, rule: str, description: str | None = None) -> HookParameter:
    """A document parameter whose value is checked here first, for a message naming the keyword."""
    if not re.search(pattern, value):
        fail(f"{keyword} must be {rule}; got {keyword}={value!r}")
    return HookParameter(default=value, allowed_pattern=pattern, description=description)


def command_parameter(keyword: str, command: str | None, description: str) -> HookParameter:
    """A command parameter; None is an empty value (the step is skipped)."""
    return parameter(keyword, command or "", COMMAND_PATTERN, COMMAND_RULE, description)


def seconds_parameter(keyword: str, duration: Duration, low: int, high: int, description: str) -> HookParameter:
    """A whole-seconds parameter in ``low..high``."""
    seconds = whole_seconds(keyword, duration, low, high)
    return HookParameter(default=str(seconds), allowed_pattern=SECONDS_PATTERN, description=description)


def service_name_parameter(service_name: str) -> HookParameter:
    """The ServiceName parameter."""
    return parameter(
        "service_name",
        service_name,
        SERVICE_NAME_PATTERN,
        "1 to 256 characters from A-Z, a-z, 0-9, @, _, ., : and -",
        "The app's service name",
    )


def port_parameter(keyword: str, port: int | None, description: str) -> HookParameter:
    """A TCP port parameter; None is an empty value."""
    if port is not None and (isinstance(port, bool) or not 1 <= port <= 65535):
        fail(f"{keyword} must be a TCP port from 1 to 65535; got {keyword}={port!r}")
    return HookParameter(
        default="" if port is None else str(port), allowed_pattern=PORT_PATTERN, description=description
    )


def step_timeout(keyword: str, timeout: Duration | None, worst_case_seconds: int) -> Duration:
    """The SSM step timeout: the hook's worst case plus a margin, or a given one that exceeds the worst case."""
    if timeout is None:
        return Duration.seconds(worst_case_seconds + STEP_TIMEOUT_MARGIN_SECONDS)
    seconds = whole_seconds(keyword, timeout, 1, 172_800)
    if seconds is not None and seconds <= worst_case_seconds:
        fail(
            f"{keyword} must exceed the hook's worst-case run time of {worst_case_seconds}s so SSM never cuts it "
            f"short; got {keyword}={timeout.to_human_string()}"
        )
    return timeout


class HookPlatform(StrEnum):
    """An instance platform a bundled app hook has a step for (the step's ``platformType`` precondition)."""

    LINUX = "Linux"
    WINDOWS = "Windows"


ALL_PLATFORMS = (HookPlatform.LINUX, HookPlatform.WINDOWS)


class AppHookScripts(TypedDict, total=False):
    """The Linux and/or Windows scripts of one bundled app hook, as HookDocument keywords."""

    linux: HookScript
    windows: HookScript


def app_hook_scripts(name: str, platforms: Sequence[HookPlatform] = ALL_PLATFORMS) -> AppHookScripts:
    """hook_scripts/linux/<name>.sh and/or hook_scripts/windows/<name>.ps1, for the given platforms.

    A document for one platform is about half the size: more groups fit in a template.
    """
    chosen = set(platforms)
    if not chosen or not chosen <= set(HookPlatform) or len(chosen) != len(platforms):
        fail(f"platforms must name Linux, Windows or both, once each; got platforms={[str(p) for p in platforms]}")
    scripts: AppHookScripts = {}
    if HookPlatform.LINUX in chosen:
        scripts["linux"] = HookScript.from_file(f"linux/{name}.sh")
    if HookPlatform.WINDOWS in chosen:
        scripts["windows"] = HookScript.from_file(f"windows/{name}.ps1")
    return scripts
