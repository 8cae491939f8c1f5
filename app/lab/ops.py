"""The generic primitives every encoder is built from, and the timer the forward passes report to.

float32 in, float32 out. No I/O, no randomness. numpy has no ``erf``, so the exact GELU uses an
erfc approximation (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7, below float32's resolution
near 1) rather than pull in scipy for one function.

Speed: on the small matrices of one forward pass numpy's elementwise passes cost about as much as
the matmuls, and every temporary the size of an activation costs a fresh allocation (often fresh
pages). So ``gelu``, ``gelu_new``, ``softmax`` and ``layer_norm`` take an optional ``out=`` (which
may be the input itself; softmax is faster with a separate one), the activations also
``scratch=`` work arrays, and ``layer_norm_columns`` works in place with a scratch array; they do
their work in as few passes as they can; called without them the first four return a new array.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
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
    "layer_norm_columns",
    "linear",
    "softmax",
]

Array = NDArray[np.float32]


class Timer(Protocol):
    """Something a forward pass tells which module it is in: ``with timer("feed_forward"): ...``."""

    def __call__(self, module: str) -> AbstractContextManager[None]: ...


class NullTimer:
    """Times nothing; the default. It hands out one shared no-op context (``nullcontext`` is
    reusable), so an untimed forward pass pays a method call per block and allocates nothing."""

    _context: AbstractContextManager[None] = nullcontext()

    def __call__(self, module: str) -> AbstractContextManager[None]:
        return self._context


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
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
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
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32, copy=False)


# Abramowitz & Stegun 7.1.26: erfc(z) ~ t (a1 + a2 t + ... + a5 t^5) exp(-z^2), t = 1 / (1 + p z),
# z >= 0, |error| < 1.5e-7. The coefficients are halved here, since GELU needs erfc / 2 = Phi(-z).
_AS_P = 0.3275911
_AS_INV_C = np.float32(math.sqrt(2.0) / _AS_P)
_AS_HALF_A = tuple(
    np.float32(a / 2) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)


def gelu(
    x: Array, *, out: Array | None = None, scratch: tuple[Array, Array] | None = None
) -> Array:
    """GELU, exact form: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (BERT, RoBERTa, DeBERTa).

    Computed as relu(x) - |x| Phi(-|x|), which holds for both signs, so there is no sign branch;
    Phi(-|x|) = erfc(|x| / sqrt 2) / 2 by A&S 7.1.26. Twenty in-place passes over two work
    arrays of x's shape: ``scratch`` where given (allocating them doubles the cost on small
    inputs), else new ones. |error| < 1e-6.
    """
    t, poly = scratch if scratch is not None else (np.empty_like(x), np.empty_like(x))
    np.abs(x, out=t)  # [...] |x|
    t += _AS_INV_C
    np.divide(_AS_INV_C, t, out=t)  # t = 1 / (1 + c |x|) = (1/c) / (1/c + |x|), c = p / sqrt 2
    np.multiply(t, _AS_HALF_A[4], out=poly)  # [...] Horner, innermost term first
    for a in reversed(_AS_HALF_A[:4]):
        poly += a
        poly *= t  # ends as t (a1 + a2 t + ... + a5 t^5) / 2
    np.square(x, out=t)
    t *= np.float32(-0.5 / math.log(2.0))
    np.exp2(t, out=t)  # exp(-x^2 / 2) = 2^(-x^2 / (2 ln 2)); numpy's exp2 takes half exp's time
    poly *= t  # Phi(-|x|)
    np.abs(x, out=t)
    poly *= t  # |x| Phi(-|x|)
    np.maximum(x, np.float32(0.0), out=t)  # relu(x)
    return np.subtract(t, poly, out=np.empty_like(x) if out is None else out)  # [...]


def gelu_new(
    x: Array, *, out: Array | None = None, scratch: tuple[Array, Array] | None = None
) -> Array:
    """GELU, tanh approximation (ALBERT's ``gelu_new``, also GPT-2's); works in ``scratch[0]``."""
    c = np.float32(math.sqrt(2.0 / math.pi))
    inner = np.square(x, out=None if scratch is None else scratch[0])  # [...] x^2
    inner *= np.float32(0.044715) * c
    inner += c
    inner *= x  # c (x + 0.044715 x^3)
    np.tanh(inner, out=inner)
    inner += np.float32(1.0)
    inner *= np.float32(0.5)  # (1 + tanh(...)) / 2
    return np.multiply(x, inner, out=out)  # [...]


@functools.cache
def _row(width: int, value: float) -> Array:
    """[width] of ``value``, read-only and made once: a matrix-vector product with a row of ones
    is a row sum, with a row of 1/width a mean (cheaper than numpy's reductions here)."""
    row = np.full(width, value, dtype=np.float32)
    row.flags.writeable = False
    return row


# Softmax's shortcut is taken when a row's exp sums land in [_SUM_LOW, _SUM_HIGH]: no overflow, and
# the row's largest term is at least _SUM_LOW / n (the lab's rows have n <= 512 keys), far above
# float32's smallest normal number, so terms that underflow weigh less than 1e-15 of it.
_SUM_LOW, _SUM_HIGH = 1e-20, 1e30


def softmax(x: Array, axis: int = -1, *, out: Array | None = None) -> Array:
    """Softmax along ``axis``; ``out`` may be ``x`` (then the row max is always subtracted).

    Softmax is unchanged by subtracting a constant from a row; subtracting each row's max is what
    keeps exp from overflowing. Along the last axis, unless ``out`` shares ``x``'s memory, the max (a
    slow reduction and a broadcast pass) is skipped: exp goes straight into ``out``, the row sums
    are a BLAS matrix-vector product, and only if some sum is out of range (large scores, or a row
    that is all padding) is the row max subtracted after all, from ``x``, which is still intact.
    """
    if axis in (-1, x.ndim - 1) and (out is None or not np.may_share_memory(x, out)):
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow sends us the long way
            e: Array = np.exp(x, out=out)  # [..., n]
            sums = e @ _row(x.shape[-1], 1.0)  # [..., n] -> [...]
        low, high = float(sums.min()), float(sums.max())
        if low >= _SUM_LOW and high <= _SUM_HIGH:  # also False for NaN
            np.reciprocal(sums, out=sums)
            e *= sums[..., None]
            return e
    shifted: Array = np.subtract(x, x.max(axis=axis, keepdims=True), out=out)  # [...]
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def layer_norm(
    x: Array, weight: Array, bias: Array, eps: float, *, out: Array | None = None
) -> Array:
    """Layer norm over the last axis: [..., H] -> [..., H]; ``out`` may be ``x``.

    The two row reductions are BLAS calls (a matrix-vector product with 1/H, a row-wise dot):
    several times faster than ``mean`` over the last axis of a small float32 matrix.
    """
    width = x.shape[-1]
    mean: Array = x @ _row(width, 1.0 / width)  # [..., H] -> [...]
    centred = np.subtract(x, mean[..., None], out=out)  # [..., H]
    var = np.vecdot(centred, centred)  # [...] sum of squares
    var *= np.float32(1.0 / width)
    var += np.float32(eps)
    np.sqrt(var, out=var)  # [...] standard deviation
    centred /= var[..., None]
    centred *= weight
    centred += bias
    return centred


def layer_norm_columns(x: Array, weight: Array, bias: Array, eps: float, scratch: Array) -> Array:
    """Layer norm of each column of a feature-major [H, tokens] ``x``, in place.

    The mean and the variance of every column are two matrix-vector products with a row of 1/H;
    ``scratch`` ([H, tokens]) holds the squares in between.
    """
    mean_row = _row(x.shape[0], 1.0 / x.shape[0])
    mean = mean_row @ x  # [H] @ [H, tokens] -> [tokens]
    x -= mean  # [H, tokens] - [tokens]
    var = mean_row @ np.square(x, out=scratch)  # [tokens]
    var += np.float32(eps)
    np.sqrt(var, out=var)
    np.reciprocal(var, out=var)  # [tokens] 1 / standard deviation
    x *= var
    x *= weight[:, None]  # [H, tokens] * [H, 1]
    x += bias[:, None]
    return x


def linear(x: Array, weight: Array, bias: Array | None) -> Array:
    """x @ W^T + b with W stored as [out, in], as PyTorch stores it: [..., in] -> [..., out]."""
    y = x @ weight.T  # [..., out]
    if bias is not None:
        y += bias
    return y
