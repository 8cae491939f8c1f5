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

Each timed pass is run twice in a row and only the second is timed (``PASSES_PER_RUN``): the
untimed one brings that model's own weights back into the caches, so what a model ran after no
longer matters at all, and each timed figure is the warm latency a server answering the same
model again would see. The ratio to BERT is taken round by round (a model's time over BERT's
in the same round, so a slow spell that hits the whole round cancels out) and summarised by the
median and the 10th-90th percentiles of those per-round ratios (``ratio_spread``). On the 2-core
VM, under load from other work, RoBERTa/BERT's per-round median stayed in 0.98-1.05 over ten
compares where the ratio of the two medians ranged 0.77-1.41 (bench/README.md).

The module breakdown comes from ``MODULE_PASSES`` passes with a ``ModuleTimer``, each also
timed as a whole; the pass with the median whole time is reported, and whatever that pass spent
outside every module's section is its ``other_ms``, so modules plus other add up to the pass.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.encoders.ops import NULL_TIMER, ModuleTimer, Timer

__all__ = [
    "PASSES_PER_RUN",
    "Latency",
    "Measured",
    "Spread",
    "balanced_orders",
    "measure_interleaved",
    "percentile",
    "ratio_spread",
]

Pass = Callable[[Timer], object]

WARMUP = 1
MODULE_PASSES = 3
PASSES_PER_RUN = 2  # an untimed pass of the same model, then the timed one


@dataclass(frozen=True, slots=True)
class Latency:
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Measured:
    latency: Latency
    modules_ms: dict[str, float]  # the median module pass, by module
    other_ms: float = 0.0  # that pass's time outside every module's section
    module_pass_ms: float = 0.0  # that pass, whole: sum(modules_ms) + other_ms


@dataclass(frozen=True, slots=True)
class Spread:
    """A ratio's median and its 10th-90th percentile range over the rounds."""

    median: float
    p10: float
    p90: float

    @property
    def within_noise(self) -> bool:
        """The range holds 1: these runs cannot tell the two apart."""
        return self.p10 <= 1.0 <= self.p90


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
            passes[i](NULL_TIMER)  # untimed: this model's weights back in the caches
            start = time.perf_counter()
            passes[i](NULL_TIMER)
            times[i].append((time.perf_counter() - start) * 1000)
            done += 1
            if progress is not None:
                progress(done, total)
    return [Measured(_latency(t), *_modules(one)) for t, one in zip(times, passes, strict=True)]


def _latency(ms: list[float]) -> Latency:
    return Latency(
        median_ms=statistics.median(ms),
        p10_ms=percentile(ms, 10),
        p90_ms=percentile(ms, 90),
        runs_ms=tuple(ms),
    )


def ratio_spread(runs_ms: Sequence[float], base_ms: Sequence[float]) -> Spread:
    """Round-by-round ratios of one model's times to the baseline's (the same rounds, in order):
    their median and 10th-90th percentiles."""
    ratios = [a / b for a, b in zip(runs_ms, base_ms, strict=True) if b > 0]
    if not ratios:
        return Spread(math.nan, math.nan, math.nan)
    return Spread(statistics.median(ratios), percentile(ratios, 10), percentile(ratios, 90))


def _modules(one: Pass) -> tuple[dict[str, float], float, float]:
    """Time by module, time outside them and the whole, of the median of the module passes."""
    taken: list[tuple[float, dict[str, float]]] = []
    for _ in range(MODULE_PASSES):
        timer = ModuleTimer()
        start = time.perf_counter()
        one(timer)
        whole = (time.perf_counter() - start) * 1000
        taken.append((whole, {name: s * 1000 for name, s in timer.seconds.items()}))
    whole, modules = sorted(taken, key=lambda t: t[0])[len(taken) // 2]
    inside = sum(modules.values())
    whole = max(whole, inside)  # the sections lie inside the pass; guard against rounding
    return modules, whole - inside, whole
