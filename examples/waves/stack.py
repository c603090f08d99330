"""CanaryWavesStack: a canary of the web group patched on Saturday, the whole group on Sunday; a failed
canary halts Sunday's window before it opens (PatchWaves). ``make drill`` rehearses the brake offline."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from constructs import Construct

from constructs_lib import PatchNotifications, PatchWaves, PatchWorkflow, WindowSchedule, WindowTargets


class CanaryWavesStack(Stack):
    """Two waves in one account: ``Canary`` (instances tagged Canary=true) then ``Web`` (the whole group)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        canary = PatchWorkflow(
            self,
            "Canary",
            schedule=WindowSchedule.cron("0 3 ? * SAT *"),
            duration=Duration.hours(2),
            targets=WindowTargets.from_tags({"PatchGroup": ["web"], "Canary": ["true"]}),
        )
        notifications = PatchNotifications(self, "Notify")
        main = PatchWorkflow(
            self,
            "Web",
            schedule=WindowSchedule.cron("0 3 ? * SUN *"),
            duration=Duration.hours(3),
            patch_groups=["web"],
            notifications=notifications,
        )
        self.waves = PatchWaves(self, "Waves", waves=[canary, main], notifications=notifications)
