"""EventBridge patterns on Systems Manager's maintenance-window events, as it sends them to the default bus
(user guide "monitoring-systems-manager-event-examples"); plain values, no CDK import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def window_event_pattern(
    detail_types: Sequence[str], window_ids: Sequence[str], statuses: Sequence[str]
) -> dict[str, Any]:
    """Events of ``detail_types`` from any of ``window_ids`` reaching one of ``statuses``."""
    return {
        "source": ["aws.ssm"],
        "detail-type": list(detail_types),
        "detail": {"window-id": list(window_ids), "status": list(statuses)},
    }
