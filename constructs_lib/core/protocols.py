"""The interfaces the core constructs refer to one another by, so no module imports another in a circle.

A window target names its window, a task its window and hooks, through these protocols; the window
module imports the target and task modules, never the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from aws_cdk import aws_iam as iam


@runtime_checkable
class IMaintenanceWindow(Protocol):
    """Anything that identifies a maintenance window."""

    @property
    def window_id(self) -> str:
        """The window ID (``mw-...``; a CloudFormation reference for windows defined in the stack)."""
        ...


@runtime_checkable
class ITaskRoleSource(Protocol):
    """A window that provides the service role of tasks that name none (MaintenanceWindow does)."""

    def task_service_role(self, pass_role: iam.IRole | None, targets: Sequence[Any] = ()) -> iam.IRole:
        """The role a task assumes; ``pass_role`` (a notification role) must be passable by it, and the
        instances ``targets`` (WindowTargets) select reachable."""
        ...


@runtime_checkable
class ILifecycleHooks(Protocol):
    """The hook documents a patch task sends (LifecycleHooks, in the hooks layer, is the one to use)."""

    @property
    def is_empty(self) -> bool:
        """True when no hook is set."""
        ...

    def to_task_parameters(self) -> dict[str, list[str]]:
        """The task parameters naming each set hook."""
        ...


@runtime_checkable
class ISizedDocument(Protocol):
    """A document whose content size is known in Python (HookDocument), for the template size checks."""

    compact_bytes: int
    indented_bytes: int
