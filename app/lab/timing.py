"""Measuring a forward pass: warm-up, repeated timed runs, percentiles, time per module.

Latency comes from untimed-inside passes (one ``perf_counter`` pair around the whole pass); the
per-module breakdown comes from separate passes with a ``ModuleTimer``, so its bookkeeping never
inflates the latency figures. Runs of several models are interleaved (round-robin), so drift on
a busy machine hits all of them alike and ratios taken in one request are fair; and the order
rotates by one place every round, so no model always follows the same one. The pass that opens
a round runs measurably slower (by about 5% at tiny, behind the largest model's pass), and with a
fixed order that was always BERT's: every ratio to it came out low, RoBERTa "6% faster".
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.lab.ops import NULL_TIMER, ModuleTimer, Timer

__all__ = ["Latency", "Measured", "measure_interleaved", "percentile"]

Pass = Callable[[Timer], object]

WARMUP = 1
MODULE_PASSES = 2


@dataclass(frozen=True, slots=True)
class Latency:
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Measured:
    latency: Latency
    modules_ms: dict[str, float]  # median over the module passes, per pass


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure_interleaved(
    passes: Sequence[Pass], runs: int, *, progress: Callable[[int, int], None] | None = None
) -> list[Measured]:
    """Time each of ``passes`` ``runs`` times, interleaved, after a warm-up of each."""
    for one in passes:
        for _ in range(WARMUP):
            one(NULL_TIMER)
    times: list[list[float]] = [[] for _ in passes]
    total = runs * len(passes)
    count = len(passes)
    for r in range(runs):
        for step in range(count):
            i = (r + step) % count  # round r starts with model r mod count
            start = time.perf_counter()
            passes[i](NULL_TIMER)
            times[i].append((time.perf_counter() - start) * 1000)
            if progress is not None:
                progress(r * count + step + 1, total)
    return [Measured(_latency(t), _modules(one)) for t, one in zip(times, passes, strict=True)]


def _latency(ms: list[float]) -> Latency:
    return Latency(
        median_ms=statistics.median(ms),
        p10_ms=percentile(ms, 10),
        p90_ms=percentile(ms, 90),
        runs_ms=tuple(ms),
    )


def _modules(one: Pass) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(MODULE_PASSES):
        timer = ModuleTimer()
        one(timer)
        for name, seconds in timer.seconds.items():
            samples.setdefault(name, []).append(seconds * 1000)
    return {name: statistics.median(ms) for name, ms in samples.items()}
