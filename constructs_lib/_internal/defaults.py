"""Every default the library applies in more than one place, written once.

The constructs' keyword defaults and the fleet description's field defaults both read these, so a
docstring's ``Default:`` line and the behaviour can't drift apart.
"""

from __future__ import annotations

from .vocabulary import ComplianceLevel, PatchOperation, RebootOption

# What a patch run does, and its rate control (Run Command's MaxConcurrency and MaxErrors).
OPERATION = PatchOperation.INSTALL
REBOOT_OPTION = RebootOption.REBOOT_IF_NEEDED
MAX_CONCURRENCY = "10%"
MAX_ERRORS = "1"
PRIORITY = 1

# Maintenance windows.
SCHEDULE = "cron(0 3 ? * SUN *)"
DURATION_HOURS = 3
CUTOFF_HOURS = 1
SCAN_DURATION_HOURS = 1

# Baselines a fleet defines.
APPROVE_AFTER_DAYS = 7
COMPLIANCE_LEVEL = ComplianceLevel.UNSPECIFIED

# The typed app hooks.
STOP_TIMEOUT_SECONDS = 60
DRAIN_TIMEOUT_SECONDS = 60
UPDATE_TIMEOUT_SECONDS = 600
VERIFY_TIMEOUT_SECONDS = 60
START_TIMEOUT_SECONDS = 120
HEALTH_INTERVAL_SECONDS = 2
EXPECTED_STATUS = 200
# Added to a hook's worst-case run time to give SSM's step timeout room for process start-up.
STEP_TIMEOUT_MARGIN_SECONDS = 60
# How long a hook waits for another run on the same app to release its run lock (the scripts' own
# PATCH_HOOKS_LOCK_WAIT_SECONDS default); part of every app hook's worst case.
HOOK_LOCK_WAIT_SECONDS = 30
# A hook document's step timeout when none is given.
HOOK_TIMEOUT_SECONDS = 3600

# Where command output goes: the first part of every task's S3 key prefix.
OUTPUT_KEY_PREFIX = "patching"

# The patch runbook's waits (off-instance steps around the hooked patch).
DRAIN_WAIT_SECONDS = 360  # the default deregistration delay (300 s) and a minute's room
HEALTHY_WAIT_SECONDS = 600
STANDBY_WAIT_SECONDS = 600
PATCH_STEP_SECONDS = 7200

# Rollout estimates.
MINUTES_PER_INSTANCE = 30


def cutoff_hours_for(duration_hours: int) -> int:
    """The default cutoff: 1 hour, or 0 when the window lasts 1 hour (the cutoff must be shorter)."""
    return 0 if duration_hours == 1 else CUTOFF_HOURS
