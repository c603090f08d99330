"""ServiceManager: how the typed app hooks stop and start the app (the host's service manager, or a process
the start hook launched and recorded)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..._internal.rules import RUN_AS_PATTERN, RUN_AS_RULE, SERVICE_MANAGER_PATTERN, fail
from ..._internal.typecheck import check_fields, typed
from ..._internal.vocabulary import HookPlatform
from ..document import HookParameter
from .parameters import command_parameters, parameter
from .per_platform import PerPlatform


class ServiceManagerKind(StrEnum):
    """How the hooks control the app."""

    SERVICE = "service"
    PIDFILE = "pidfile"


@dataclass(frozen=True)
class ServiceManager:
    """How hooks stop and start the app. Build one with the static factories.

    ``ServiceManager.service()`` uses the host's service manager (systemd on Linux, the Service
    Control Manager on Windows). ``ServiceManager.pidfile(start_command="...")`` is for hosts without
    systemd: the start hook launches the command without a shell, in a session of its own, and records the
    process with its start time in the hooks' root-only run folder (/run/patch-hooks/<service>.pid); the
    stop hook signals that process only while the record still identifies it.
    """

    kind: ServiceManagerKind
    start_command: str | PerPlatform = ""
    run_as: str = ""

    def __post_init__(self) -> None:
        check_fields(self)

    @staticmethod
    @typed
    def service() -> ServiceManager:
        """The host's service manager: systemd on Linux, the Service Control Manager on Windows."""
        return ServiceManager(ServiceManagerKind.SERVICE)

    @staticmethod
    @typed
    def pidfile(*, start_command: str | PerPlatform = "", run_as: str | None = None) -> ServiceManager:
        """A process the start hook launches with ``start_command`` and records.

        Args:
            start_command: the app's command line, run without a shell; per platform on a hook with both.
                Default: empty, which only StopAppHook accepts (start needs a command).
            run_as: the Linux user the app runs as. Default: root, the agent's user (Windows: SYSTEM).
        """
        run_as = "" if run_as is None else run_as
        parameter("run_as", run_as, RUN_AS_PATTERN, RUN_AS_RULE)
        return ServiceManager(ServiceManagerKind.PIDFILE, start_command, run_as)

    def to_parameters(
        self, platforms: Sequence[HookPlatform], *, needs_start: bool = False
    ) -> dict[str, HookParameter]:
        """The ServiceManager, ``<Platform>StartCommand`` and (with Linux) RunAs document parameters;
        ``needs_start``: a pidfile manager must have a start command for each platform."""
        if self.run_as and HookPlatform.LINUX not in platforms:
            fail(f"run_as works on Linux only; got run_as={self.run_as!r} for platforms={[str(p) for p in platforms]}")
        parameters = {
            "ServiceManager": HookParameter(
                default=self.kind.value,
                allowed_pattern=SERVICE_MANAGER_PATTERN,
                description="service (systemd or the Windows SCM) or pidfile",
            ),
            **command_parameters(
                "start_command",
                "StartCommand",
                self.start_command or None,
                platforms,
                "How to start the app, with ServiceManager pidfile",
                required=needs_start and self.kind is ServiceManagerKind.PIDFILE,
            ),
        }
        if HookPlatform.LINUX in platforms:
            parameters["RunAs"] = HookParameter(
                default=self.run_as, allowed_pattern=RUN_AS_PATTERN, description="The user the app runs as (Linux)"
            )
        return parameters
