"""Derive the coefficients of ``app.encoders.ops.gelu``'s erf-GELU and print its worst error.

The exact GELU is x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2. numpy has no erf, and on an
activation every numpy pass costs about the same few microseconds, so the cheapest accurate form
is the one with the fewest passes. ``gelu`` writes Phi as a logistic function of an odd polynomial,

    Phi(x) = 1 / (1 + 2^(x Q(x^2))),   x Q(x^2) ~ -2 atanh(erf(x / sqrt 2)) / ln 2,

a square, a Horner scheme in x^2, one exp2, an add and a divide: 17 passes at degree 13, where
Abramowitz & Stegun's erfc (7.1.26) with the sign handling took 20 (one of them numpy's slow
maximum). Degree 9 stops at an error of 3e-6 and degree 11's fit turns the wrong way past the fitted
range; degree 13 reaches 1.75e-7 (near x = 1.19, where that is 1.75 units in the last place). This
script fits Q by Lawson's algorithm (iteratively reweighted least squares, which converges to the
minimax fit), each point weighted by how far an error in the polynomial moves GELU's output there,
then measures the float32 implementation's worst error against math.erf in float64: at every float32
with 2^-8 <= |x| < 16, where GELU bends, and on a grid beyond (out to float32's largest values and
down to its smallest).

    .venv/bin/python bench/fit_gelu.py [--degree 13] [--fit-to 5.5]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


_ERF = np.frompyfunc(math.erf, 1, 1)


def exact_gelu(x: np.ndarray) -> np.ndarray:
    """x Phi(x) in float64, from math.erf."""
    v = x.astype(np.float64)
    return 0.5 * v * (1.0 + _ERF(v / math.sqrt(2.0)).astype(np.float64))


def every_float32(low_exponent: int, high_exponent: int) -> Iterator[np.ndarray]:
    """Every float32 x with 2^low <= |x| < 2^high, one binade (8.4 million values) at a time."""
    for exponent in range(low_exponent, high_exponent):
        first = np.float32(2.0**exponent).view(np.uint32)
        binade = np.arange(first, first + (1 << 23), dtype=np.uint32).view(np.float32)
        yield binade
        yield -binade


def worst_error(gelu: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float]:
    """The largest |gelu(x) - x Phi(x)| / max(1, |x|) and where: every float32 with
    2^-8 <= |x| < 16 (where GELU bends), then a grid out to float32's largest values."""
    worst, at = 0.0, 0.0
    tails = np.geomspace(16, np.finfo(np.float32).max, 20000)
    tiny = np.geomspace(np.finfo(np.float32).smallest_subnormal, 2.0**-8, 20000)
    grid = np.concatenate([tails, -tails, tiny, -tiny, [0.0]]).astype(np.float32)
    for x in itertools.chain(every_float32(-8, 4), [grid]):
        error = np.abs(gelu(x).astype(np.float64) - exact_gelu(x)) / np.maximum(1.0, np.abs(x))
        i = int(np.argmax(error))
        if error[i] > worst:
            worst, at = float(error[i]), float(x[i])
    return worst, at


def fit(degree: int, fit_to: float, points: int = 6000, rounds: int = 3000) -> np.ndarray:
    """Coefficients c_1, c_3, ..., c_degree of the odd g(x) ~ atanh(erf(x / sqrt 2)) (minimax)."""
    x = np.linspace(1e-4, fit_to, points)
    e = np.array([math.erf(t / math.sqrt(2.0)) for t in x])
    target = np.arctanh(e)
    # d GELU = x/2 d tanh(g) = x/2 (1 - tanh(g)^2) d g: the weight of an error in g at x
    weight = x / 2 * (1 - e * e)
    basis = np.stack([(x / fit_to) ** k for k in range(1, degree + 1, 2)], axis=1) * weight[:, None]
    goal = target * weight
    lawson = np.full(points, 1.0 / points)
    for _ in range(rounds):
        root = np.sqrt(lawson)
        scaled, *_ = np.linalg.lstsq(basis * root[:, None], goal * root, rcond=None)
        residual = np.abs(basis @ scaled - goal)
        lawson *= residual
        lawson /= lawson.sum()
    return np.array([c / fit_to**k for c, k in zip(scaled, range(1, degree + 1, 2), strict=True)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--degree", type=int, default=13, help="odd degree of x Q(x^2) (default 13)"
    )
    parser.add_argument("--fit-to", type=float, default=5.5, help="fit on (0, this] (default 5.5)")
    args = parser.parse_args()

    g = fit(args.degree, args.fit_to)
    exp2_args = -2.0 * g / math.log(2.0)  # 1 / (1 + exp(-2 g)) = 1 / (1 + 2^(-2 g / ln 2))
    print("_PHI_Q, the coefficients of Q(s), s = x^2, lowest power first:")
    print("    " + ", ".join(f"{c:.9e}" for c in exp2_args))

    from app.encoders import ops

    print(
        "measuring app.encoders.ops.gelu over 201 million float32 values (about half a minute)..."
    )
    worst, at = worst_error(ops.gelu)
    print(f"app.encoders.ops.gelu: worst |error| / max(1, |x|) = {worst:.3e} at x = {at:.9g}")
    x = np.linspace(-8, 8, 160_001, dtype=np.float32)
    gap = np.max(np.abs(ops.gelu_new(x) - exact_gelu(x)))
    print(f"gelu_new (ALBERT's tanh form) differs from the erf form by up to {gap:.2e}")


if __name__ == "__main__":
    main()
