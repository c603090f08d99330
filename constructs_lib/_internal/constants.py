"""Plain constants shared by the constructs and the command-line tools (no CDK import here)."""

# The AWS-owned document that runs patching with the three lifecycle hooks.
PATCH_DOCUMENT = "AWS-RunPatchBaselineWithHooks"
# The AWS-owned document that does nothing: what every unset hook runs.
NOOP_DOCUMENT = "AWS-Noop"
# Each hook slot and the task parameter of PATCH_DOCUMENT that names its document, in lifecycle order.
HOOK_PARAMETERS = (
    ("pre_install", "PreInstallHookDocName"),
    ("post_install", "PostInstallHookDocName"),
    ("on_exit", "OnExitHookDocName"),
)
# PatchWaves: a later wave's halt record says this until a failure halts it; its gate task's name.
HALT_RECORD_OPEN = "open"
HALT_GATE_TASK = "HaltGate"
# Automation runs at most 100 automations at once per account; more are queued (user guide
# "scheduling-automations-maintenance-windows"): a runbook task's rollout counts at most this many at once.
CONCURRENT_AUTOMATIONS = 100
# Systems Manager's event for a maintenance window execution's end (user guide
# "monitoring-systems-manager-event-examples"), and its statuses.
WINDOW_EXECUTION_EVENT = "Maintenance Window Execution State-change Notification"
WINDOW_FAILED_STATUSES = ("FAILED", "TIMED_OUT")
