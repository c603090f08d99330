"""LifecycleHooks: the three hook documents of AWS-RunPatchBaselineWithHooks."""

from __future__ import annotations

from dataclasses import dataclass

from .._internal.constants import HOOK_PARAMETERS
from .._internal.typecheck import check_fields
from .document import IHookDocument, check_document_reference

__all__ = ["LifecycleHooks"]


@dataclass(frozen=True, kw_only=True)
class LifecycleHooks:
    """The documents run around patch installation by AWS-RunPatchBaselineWithHooks.

    Order: scan, pre_install, install (NoReboot), post_install, reboot if needed, on_exit. A failing
    hook or install jumps straight to on_exit, so on_exit runs on every Install path (a *finally*
    hook) and must be idempotent. With Operation Scan no hook runs at all.

    Args:
        pre_install: runs before patches are installed (e.g. stop the app gracefully). A failure
            means nothing is installed. Default: AWS-Noop.
        post_install: runs after installation, before any reboot (e.g. update the app). Default: AWS-Noop.
        on_exit: runs last, after the reboot if there is one (e.g. start the app and verify health).
            Default: AWS-Noop.
    """

    pre_install: IHookDocument | None = None
    post_install: IHookDocument | None = None
    on_exit: IHookDocument | None = None

    def __post_init__(self) -> None:
        check_fields(self)
        for slot, _ in HOOK_PARAMETERS:
            document: IHookDocument | None = getattr(self, slot)
            if document is not None:  # any object with a document_name: the name still has to be one
                check_document_reference(document.document_name)

    @property
    def is_empty(self) -> bool:
        """True when no hook is set."""
        return all(getattr(self, slot) is None for slot, _ in HOOK_PARAMETERS)

    def to_task_parameters(self) -> dict[str, list[str]]:
        """The task parameters naming each set hook; unset hooks default to AWS-Noop in SSM."""
        parameters: dict[str, list[str]] = {}
        for slot, parameter in HOOK_PARAMETERS:
            document: IHookDocument | None = getattr(self, slot)
            if document is not None:
                parameters[parameter] = [document.document_name]
        return parameters
