"""The hook scripts' lines that telemetry reads: a contract between hook_scripts/ and the metric filters.

SSM Agent ships a command's output and error streams to CloudWatch Logs as events of whatever the last second
brought, several lines each; a space-delimited metric filter reads fields only at the start of an event, a
term filter anywhere in it. So:

- **Durations** are one line each on the hook's **error stream**, where a hook that succeeds writes nothing else
  (its commands' output goes to files or is captured), so each starts an event of its own::

      patch-hook-metric <hook> <service> <name> <seconds>

  ``<hook>`` is the hook's name (``stop_app_gracefully``, ``update_app``, ``start_app_and_verify``),
  ``<service>`` one word (the rule book allows no spaces in it), ``<name>`` ``StopSeconds`` (until the app was
  verified down), ``UpdateSeconds`` (the update and its check) or ``TimeToHealthySeconds`` (from start to a
  healthy answer), ``<seconds>`` a whole number.
- **Failures** end a hook with exactly one line on its output stream, found anywhere in an event::

      <time> <hook>: FAILED: <reason>

People read the output stream's own lines (``<service> stopped after <seconds> s (verified: ...)``, ...); the
metrics do not. Linux and Windows scripts print the same words. Change a line only together with this module:
tests/hook_scripts run the real scripts, ship their streams as the agent would (every line alone, or all in
one event) and check the synthesized filters count the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

METRIC_MARKER = "patch-hook-metric"
FAILED_MARKER = "FAILED:"


@dataclass(frozen=True)
class LineMetric:
    """One kind of line as a metric: its name and hook, and either the space-delimited fields of a metric line
    (its value and service read from them) or the phrase a failure line holds (each counts 1)."""

    metric_name: str
    hook: str
    description: str
    fields: tuple[str, ...] = ()
    words: tuple[tuple[str, str], ...] = ()
    phrase: str | None = None
    value_field: str | None = None
    service_field: str | None = None


def _duration(metric_name: str, hook: str, description: str) -> LineMetric:
    """``patch-hook-metric <hook> <service> <metric name> <seconds>``, its seconds by service."""
    return LineMetric(
        metric_name=metric_name,
        hook=hook,
        description=description,
        fields=("marker", "hook", "service", "name", "seconds"),
        words=(("marker", METRIC_MARKER), ("hook", hook), ("name", metric_name)),
        value_field="seconds",
        service_field="service",
    )


def _failures(metric_name: str, hook: str) -> LineMetric:
    """``<time> <hook>: FAILED: <reason...>``, anywhere in an event: one per failed run (the line names no
    service)."""
    return LineMetric(
        metric_name=metric_name, hook=hook, description=f"failed runs of {hook}", phrase=f"{hook}: {FAILED_MARKER}"
    )


STOPPED = _duration("StopSeconds", "stop_app_gracefully", "seconds until the app was verified down")
UPDATED = _duration("UpdateSeconds", "update_app", "seconds the update and its check took")
HEALTHY = _duration("TimeToHealthySeconds", "start_app_and_verify", "seconds from start to a healthy answer")
FAILURES = (
    _failures("StopFailures", "stop_app_gracefully"),
    _failures("UpdateFailures", "update_app"),
    _failures("StartFailures", "start_app_and_verify"),
)
LINE_METRICS = (STOPPED, UPDATED, HEALTHY, *FAILURES)
