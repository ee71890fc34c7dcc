"""Timing summaries: medians and tail latencies from per-call samples."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def summarize_ns(samples_ns: Sequence[int], keep_samples: bool = False) -> dict[str, Any]:
    """Median, p99 (nearest rank), min, max and mean of per-call times, in microseconds;
    with ``keep_samples``, every sample too (µs, in call order)."""
    if not samples_ns:
        raise ValueError("no samples to summarize")
    ordered = sorted(samples_ns)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    extra = {"samples_us": [round(ns / 1000, 2) for ns in samples_ns]} if keep_samples else {}
    return {
        "calls": len(ordered),
        "median_us": statistics.median(ordered) / 1000,
        "p99_us": p99 / 1000,
        "min_us": ordered[0] / 1000,
        "max_us": ordered[-1] / 1000,
        "mean_us": statistics.fmean(ordered) / 1000,
        **extra,
    }


def time_calls(call: Callable[[Any], object], arguments: Sequence[Any], calls: int,
               budget_s: float | None = None) -> list[int]:
    """Time ``call(argument)`` once per call, cycling through ``arguments``.

    Stops early after ``budget_s`` seconds (at least 5 calls are always made),
    so a slow peer gets fewer samples instead of an unbounded run. The garbage
    collector is paused so a collection lands in no one sample by chance.
    """
    samples: list[int] = []
    started = time.perf_counter()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(calls):
            argument = arguments[i % len(arguments)]
            before = time.perf_counter_ns()
            call(argument)
            samples.append(time.perf_counter_ns() - before)
            if budget_s is not None and i >= 4 and time.perf_counter() - started > budget_s:
                break
    finally:
        if was_enabled:
            gc.enable()
    return samples


def ratio(peer: float | None, ours: float | None) -> float | None:
    """How many times the peer's figure is ours (peer / ours); None when undefined."""
    if peer is None or ours is None or ours <= 0:
        return None
    return peer / ours
