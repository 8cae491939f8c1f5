"""Derive the coefficients of ``app.lab.ops.gelu``'s erf-GELU and print its worst error.

The exact GELU is x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2. numpy has no erf, and on an
activation every numpy pass costs about the same few microseconds, so the cheapest accurate form
is the one with the fewest passes. ``gelu`` writes Phi as a logistic function of an odd polynomial,

    Phi(x) = 1 / (1 + 2^(x Q(x^2))),   x Q(x^2) ~ -2 atanh(erf(x / sqrt 2)) / ln 2,

a square, a Horner scheme in x^2, one exp2, an add and a divide: 17 passes at degree 13, where
Abramowitz & Stegun's erfc (7.1.26) with the sign handling took 20 (one of them numpy's slow
maximum). Degree 9 stops at an error of 3e-6 and degree 11's fit turns the wrong way past the
fitted range; degree 13 reaches 1.6e-7. This script fits Q by Lawson's algorithm (iteratively
reweighted least squares, which converges to the minimax fit), each point weighted by how far an
error in the polynomial moves GELU's output there, then measures the float32 implementation's
worst error against math.erf in float64, over every magnitude float32 has.

    .venv/bin/python bench/fit_gelu.py [--degree 13] [--fit-to 5.5]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def exact_gelu(x: np.ndarray) -> np.ndarray:
    """x Phi(x) in float64, from math.erf."""
    v = x.astype(np.float64).ravel()
    erf = np.array([math.erf(t / math.sqrt(2.0)) for t in v])
    return (0.5 * v * (1.0 + erf)).reshape(x.shape)


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

    from app.lab import ops

    x = np.concatenate(
        [
            np.linspace(-30, 30, 1_200_001),
            np.geomspace(30, 3e38, 2000),
            -np.geomspace(30, 3e38, 2000),
        ]
    ).astype(np.float32)
    ours = ops.gelu(x)
    error = np.abs(ours.astype(np.float64) - exact_gelu(x)) / np.maximum(1.0, np.abs(x))
    worst = int(np.argmax(error))
    print(
        f"app.lab.ops.gelu: worst |error| / max(1, |x|) = {error[worst]:.2e} at x = {x[worst]:.4g}"
    )
    print(
        f"gelu_new (ALBERT's tanh form) differs from the erf form by up to "
        f"{np.max(np.abs(ops.gelu_new(x[:1_200_001]) - exact_gelu(x[:1_200_001]))):.2e}"
    )


if __name__ == "__main__":
    main()
