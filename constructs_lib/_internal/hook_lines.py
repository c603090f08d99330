"""The hook scripts' log lines that telemetry reads: a contract between hook_scripts/ and the metric filters.

Every line a hook prints is one line of standard output, on Linux and Windows alike::

    <time> <hook>: <message>

``<time>`` is UTC, e.g. ``2026-12-02T03:04:05Z``; ``<hook>`` is one of ``HOOK_NAMES``. The service name is one
word (the rule book allows no spaces in it). Three messages carry a duration, a whole number of seconds since
the hook started, as a word of its own followed by ``s``::

    <service> stopped after <seconds> s (verified: <evidence>)       stop_app_gracefully: the app is down
    <service> updated after <seconds> s (verified: <evidence>)       update_app: the update is in
    <service> is healthy after <seconds> s (<state>; <response>)     start_app_and_verify: the app is back

and a hook that fails ends with exactly one line whose message starts ``FAILED:`` (also when the script stops
unexpectedly or is cancelled on Linux; a cancelled Windows script ends without one, as the agent reports it).

``LINE_METRICS`` turns each into CloudWatch Logs space-delimited filter fields;
tests/hook_scripts run the real scripts and check the filters match their lines and miss the others. Change a
line's words only together with this module.
"""

from __future__ import annotations

from dataclasses import dataclass

HOOK_NAMES = ("stop_app_gracefully", "update_app", "start_app_and_verify")
FAILED_MARKER = "FAILED:"
# A field whose value the filter reads (named), or skips (named, no condition); "..." stands for the rest.
REST = "..."


@dataclass(frozen=True)
class LineMetric:
    """One kind of line as a metric: its name, the line's words as filter fields, the words those fields must
    equal, and the field holding the value (None: each line counts 1) and the service (None: no dimension)."""

    metric_name: str
    hook: str
    fields: tuple[str, ...]
    words: tuple[tuple[str, str], ...]
    description: str
    value_field: str | None = None
    service_field: str | None = None


def _duration(metric_name: str, hook: str, verb: tuple[str, ...], description: str) -> LineMetric:
    """``<time> <hook>: <service> <verb...> after <seconds> s ...``, its seconds by service."""
    verb_fields = tuple(f"word{index}" for index in range(1, len(verb) + 1))
    return LineMetric(
        metric_name=metric_name,
        hook=hook,
        fields=("time", "hook", "service", *verb_fields, "after", "seconds", "unit", REST),
        words=(("hook", f"{hook}:"), *zip(verb_fields, verb, strict=True), ("after", "after"), ("unit", "s")),
        description=description,
        value_field="seconds",
        service_field="service",
    )


def _failures(metric_name: str, hook: str) -> LineMetric:
    """``<time> <hook>: FAILED: <reason...>``: one per failed run of the hook (the line names no service)."""
    return LineMetric(
        metric_name=metric_name,
        hook=hook,
        fields=("time", "hook", "marker", REST),
        words=(("hook", f"{hook}:"), ("marker", FAILED_MARKER)),
        description=f"failed runs of {hook}",
    )


STOPPED = _duration("StopSeconds", "stop_app_gracefully", ("stopped",), "seconds until the app was verified down")
UPDATED = _duration("UpdateSeconds", "update_app", ("updated",), "seconds the update and its check took")
HEALTHY = _duration(
    "TimeToHealthySeconds", "start_app_and_verify", ("is", "healthy"), "seconds from start to a healthy answer"
)
FAILURES = (
    _failures("StopFailures", "stop_app_gracefully"),
    _failures("UpdateFailures", "update_app"),
    _failures("StartFailures", "start_app_and_verify"),
)
LINE_METRICS = (STOPPED, UPDATED, HEALTHY, *FAILURES)
