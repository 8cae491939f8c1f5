"""The generic primitives every encoder is built from, and the timer the forward passes report to.

float32 in, float32 out. No I/O, no randomness. numpy has no ``erf``, so the exact GELU uses an
erf approximation (the Chebyshev-fitted erfc of Numerical Recipes, |error| < 1.2e-7, below
float32's resolution near 1) rather than pull in scipy for one function.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "NULL_TIMER",
    "Array",
    "ModuleTimer",
    "NullTimer",
    "Timer",
    "erf",
    "gelu",
    "gelu_new",
    "layer_norm",
    "linear",
    "softmax",
]

Array = NDArray[np.float32]


class Timer(Protocol):
    """Something a forward pass tells which module it is in: ``with timer("feed_forward"): ...``."""

    def __call__(self, module: str) -> AbstractContextManager[None]: ...


class NullTimer:
    """Times nothing; the default, so an untimed forward pass pays one no-op ``with`` per block."""

    @contextmanager
    def __call__(self, module: str) -> Iterator[None]:
        yield


NULL_TIMER = NullTimer()


class ModuleTimer:
    """Adds up wall time per module name across a forward pass (or several)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, module: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[module] = self.seconds.get(module, 0.0) + time.perf_counter() - start


def erf(x: Array) -> Array:
    """Error function, elementwise: erf(x) = 1 - erfc(|x|) with sign (|error| < 1.2e-7)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32, copy=False)


def gelu(x: Array) -> Array:
    """GELU, exact form: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (BERT, RoBERTa, DeBERTa)."""
    return (0.5 * x * (1.0 + erf(x * np.float32(1.0 / math.sqrt(2.0))))).astype(
        np.float32, copy=False
    )


def gelu_new(x: Array) -> Array:
    """GELU, tanh approximation (ALBERT's ``gelu_new``, also GPT-2's)."""
    c = np.float32(math.sqrt(2.0 / math.pi))
    return (0.5 * x * (1.0 + np.tanh(c * (x + np.float32(0.044715) * x * x * x)))).astype(
        np.float32, copy=False
    )


def softmax(x: Array, axis: int = -1) -> Array:
    """Numerically stable softmax along ``axis``."""
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)  # type: ignore[no-any-return]


def layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    """Layer norm over the last axis: [..., H] -> [..., H]."""
    mean = x.mean(axis=-1, keepdims=True)  # [..., 1]
    centred = x - mean  # [..., H]
    var = (centred * centred).mean(axis=-1, keepdims=True)  # [..., 1]
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias  # type: ignore[no-any-return]


def linear(x: Array, weight: Array, bias: Array | None) -> Array:
    """x @ W^T + b with W stored as [out, in], as PyTorch stores it: [..., in] -> [..., out]."""
    y = x @ weight.T  # [..., out]
    if bias is not None:
        y += bias
    return y  # type: ignore[no-any-return]
