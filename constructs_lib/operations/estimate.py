"""Rollout estimate: how many batches max_concurrency implies, and whether a run ends before the cutoff.

A batch is the instances one patch run patches at the same time; "wave" is kept for the environments of
the organisation rollout.

Pure Python, used at synth (PatchWorkflow's warning) and by the patch-plan command.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .._internal.rules import check_int_range

_PERCENT = re.compile(r"^(\d+)%$")


def instances_at_once(max_concurrency: str, fleet_size: int) -> int:
    """How many instances patch at the same time.

    A percentage is taken of the fleet and rounded down, with at least one instance (AWS does not
    document its rounding; rounding down is the cautious reading, giving more batches, not fewer).
    """
    percent = _PERCENT.fullmatch(max_concurrency)
    if percent:
        return max(1, fleet_size * int(percent.group(1)) // 100)
    return max(1, min(int(max_concurrency), fleet_size))


@dataclass(frozen=True)
class RolloutEstimate:
    """A patch run's batches and length against the time its window leaves for starting work."""

    fleet_size: int
    at_once: int
    batches: int
    minutes: int
    available_minutes: int

    @property
    def fits(self) -> bool:
        """True when the last batch ends before the window's cutoff."""
        return self.minutes <= self.available_minutes

    def describe(self) -> str:
        verdict = "ends before the cutoff" if self.fits else "does NOT end before the cutoff"
        return (
            f"{self.fleet_size} instances, {self.at_once} at a time: {self.batches} batch(es) of "
            f"{self.minutes // max(self.batches, 1)} min = {_hours(self.minutes)}, {verdict} "
            f"({_hours(self.available_minutes)} after the window opens)"
        )


def estimate_rollout(
    *,
    fleet_size: int,
    max_concurrency: str,
    minutes_per_instance: int,
    duration_hours: int,
    cutoff_hours: int,
    at_most: int | None = None,
) -> RolloutEstimate:
    """Batches = ceil(fleet / instances at once); each batch takes ``minutes_per_instance``. ``at_most``: a
    cap on instances at once whatever max_concurrency says (100 automations per account; more queue)."""
    check_int_range("fleet_size", fleet_size, 1, 10**9)  # bool, float, NaN and inf refused here too
    check_int_range("minutes_per_instance", minutes_per_instance, 1, 48 * 60)
    at_once = instances_at_once(max_concurrency, fleet_size)
    if at_most is not None:
        at_once = min(at_once, at_most)
    batches = math.ceil(fleet_size / at_once)
    return RolloutEstimate(
        fleet_size, at_once, batches, batches * minutes_per_instance, (duration_hours - cutoff_hours) * 60
    )


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"
