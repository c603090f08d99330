"""The downtime measurement of `make bench` runs the real hooks against the demo service (its numbers are
benchmarks, not asserted here beyond being measurements)."""

from __future__ import annotations

from examples.demo.downtime import describe, measure


def test_one_cycle_measures_the_app_and_the_hooks() -> None:
    result = measure(runs=1)
    for key in ("own_stop_s", "own_start_s", "hook_stop_s", "hook_start_s"):
        assert result[key] > 0, key
    added = result["hook_stop_s"] - result["own_stop_s"] + result["hook_start_s"] - result["own_start_s"]
    # The sum and its four parts are each rounded to the millisecond: at most 5 x 0.5 ms apart.
    assert abs(result["added_s"] - added) <= 0.0025 + 1e-9
    assert describe(result).startswith(f"hooks add {result['added_s']:.2f} s of downtime per instance")
