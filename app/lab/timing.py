"""Measuring a forward pass: warm-up, repeated timed runs, percentiles, time per module.

Latency comes from untimed-inside passes (one ``perf_counter`` pair around the whole pass); the
per-module breakdown comes from separate passes with a ``ModuleTimer``, so its bookkeeping never
inflates the latency figures. Runs of several models are interleaved (round-robin), so drift on
a busy machine hits all of them alike and ratios taken in one request are fair. Which model runs
just before another matters too: a pass right after MiniLM's (90 MB of weights streamed through
the caches) starts cold, and the pass that opens a round runs slower (by about 5% at tiny). With a
fixed order, or one merely rotated each round, a model always follows the same one: BERT always
came after MiniLM and read 3-10% slower than RoBERTa, its own encoder. So the rounds follow a
balanced Latin square (Williams' design): over each cycle of n rounds (2n for an odd n) every model
takes every place equally often and, within the rounds, follows every other model equally often.
Two imbalances remain, both small: a compare's runs need not fill whole cycles (10 runs of six
models is one cycle and four rounds), and where one round ends and the next begins, the same
pairs recur (with six models, each model has one predecessor twice a cycle and the other four
once; BERT's is DistilBERT).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.encoders.ops import NULL_TIMER, ModuleTimer, Timer

__all__ = ["Latency", "Measured", "balanced_orders", "measure_interleaved", "percentile"]

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


def balanced_orders(count: int) -> list[list[int]]:
    """Williams' design for ``count`` models: rows of a Latin square in which each model directly
    follows each other model equally often (once each for an even count; twice, over twice the
    rows, for an odd count, where the square is followed by its mirror image)."""
    first, low, high = [0], 1, count - 1
    while len(first) < count:  # 0, 1, n-1, 2, n-2, ...: every step between neighbours differs
        if len(first) % 2:
            first.append(low)
            low += 1
        else:
            first.append(high)
            high -= 1
    rows = [[(i + shift) % count for i in first] for shift in range(count)]
    if count % 2:
        rows += [row[::-1] for row in rows]
    return rows


def measure_interleaved(
    passes: Sequence[Pass], runs: int, *, progress: Callable[[int, int], None] | None = None
) -> list[Measured]:
    """Time each of ``passes`` ``runs`` times, interleaved in balanced orders, after a warm-up."""
    for one in passes:
        for _ in range(WARMUP):
            one(NULL_TIMER)
    if not passes:
        return []
    times: list[list[float]] = [[] for _ in passes]
    total = runs * len(passes)
    orders = balanced_orders(len(passes))
    done = 0
    for r in range(runs):
        for i in orders[r % len(orders)]:
            start = time.perf_counter()
            passes[i](NULL_TIMER)
            times[i].append((time.perf_counter() - start) * 1000)
            done += 1
            if progress is not None:
                progress(done, total)
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
