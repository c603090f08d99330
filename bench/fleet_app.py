"""A fleet app for the scale benchmark: N patch groups, each a PatchWorkflow with Amazon Linux 2023 and
Windows baselines and a hooked task, spread by PatchFleet; the hook documents are shared.

    python bench/fleet_app.py 300    (writes to $CDK_OUTDIR)
"""

from __future__ import annotations

import sys

from aws_cdk import App, Duration

from constructs_lib import (
    ApprovalRule,
    LifecycleHooks,
    OperatingSystem,
    PatchBaselineOptions,
    StartAppHook,
    StopAppHook,
    WindowSchedule,
)
from constructs_lib.fleet.packing import PatchFleet


def build(app: App, groups: int) -> PatchFleet:
    fleet = PatchFleet(app, "Fleet", stack_name_prefix="PatchingFleet")
    shared = fleet.shared_stack
    hooks = LifecycleHooks(
        pre_install=StopAppHook(shared, "Stop", service_name="app", document_name="PatchingFleet-Stop"),
        on_exit=StartAppHook(
            shared, "Start", service_name="app", health_port=8080, document_name="PatchingFleet-Start"
        ),
    )
    rule = [ApprovalRule(approve_after=Duration.days(7))]
    for index in range(groups):
        fleet.add_group(
            f"Group{index:03d}",
            schedule=WindowSchedule.cron(f"0 {index % 24} ? * SUN *"),
            duration=Duration.hours(3),
            patch_groups=[f"group-{index:03d}"],
            hooks=hooks,
            baselines=[
                PatchBaselineOptions(operating_system=OperatingSystem.AMAZON_LINUX_2023, approval_rules=rule),
                PatchBaselineOptions(operating_system=OperatingSystem.WINDOWS, approval_rules=rule),
            ],
        )
    return fleet


if __name__ == "__main__":
    app = App()
    build(app, int(sys.argv[1]))
    app.synth()
