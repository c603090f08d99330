"""ServiceManager: how the typed app hooks stop and start the app (the host's service manager, or a pid file)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..._internal.rules import COMMAND_PATTERN, COMMAND_RULE, PID_FILE_PATTERN, SERVICE_MANAGER_PATTERN, fail
from ..document import HookParameter
from .parameters import parameter


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
