"""The core layer: schedules, maintenance windows, window targets, patch baselines, patch tasks, the
window role, command output and notifications. Imports only ``_internal``; names are public through
``constructs_lib``."""
