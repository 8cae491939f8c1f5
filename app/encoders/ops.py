"""The generic primitives every encoder is built from, and the timer the forward passes report to.

float32 in, float32 out. No I/O, no randomness. numpy has no ``erf``, so the exact GELU uses a
fitted logistic form of Phi (|error| < 1.8e-7 max(1, |x|), closer than the A&S erfc it replaced; see
``gelu`` and bench/fit_gelu.py) rather than pull in scipy for one function.

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


# GELU's Phi as a logistic function of an odd polynomial: Phi(x) = 1 / (1 + 2^(x Q(x^2))), with
# x Q(x^2) the degree-13 minimax fit (bench/fit_gelu.py) to -2 atanh(erf(x / sqrt 2)) / ln 2,
# weighted by how far an error there moves x Phi(x). Q's coefficients, lowest power first:
_PHI_Q = tuple(
    np.float32(c)
    for c in (
        -2.302207204e00,
        -1.048385813e-01,
        9.559299261e-05,
        1.593893943e-04,
        -1.145242757e-05,
        3.850448547e-07,
        -5.209905663e-09,
    )
)
# gelu_new's (1 + tanh(u)) / 2 is the same logistic: 1 / (1 + 2^(-2u / ln 2)), u = c (x + k x^3)
_NEW_C = -2.0 * math.sqrt(2.0 / math.pi) / math.log(2.0)
_NEW_Q = (np.float32(_NEW_C), np.float32(_NEW_C * 0.044715))
_ONE = np.float32(1.0)


def gelu(
    x: Array, *, out: Array | None = None, scratch: tuple[Array, Array] | None = None
) -> Array:
    """GELU, exact form: x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (BERT, RoBERTa, DeBERTa).

    numpy has no erf. Phi is computed as 1 / (1 + 2^(x Q(x^2))), Q a fitted polynomial (see
    ``_PHI_Q``): a square, a Horner scheme, one exp2, an add and a divide, 17 passes over two
    work arrays of x's shape (``scratch`` where given; allocating them doubles the cost on small
    inputs). |error| < 1.8e-7 max(1, |x|) for every finite float32 x: 1.75e-7 at worst, near
    x = 1.19, where that is 1.75 units in the last place (bench/fit_gelu.py measures it at every
    float32 where GELU bends). ALBERT's tanh form is off the erf form by up to 4.7e-4. No sign
    branch: for large |x| the power is 0 or inf, giving x or -0 exactly; +inf gives inf and -inf
    NaN (PyTorch's GELU gives NaN for both).
    """
    t, s = scratch if scratch is not None else (np.empty_like(x), np.empty_like(x))
    with np.errstate(over="ignore"):  # x^2 for |x| > 1.8e19, the power for x < -9: inf, still right
        np.square(x, out=s)  # [...] x^2
        np.multiply(s, _PHI_Q[-1], out=t)
        for c in reversed(_PHI_Q[1:-1]):
            t += c
            t *= s
        t += _PHI_Q[0]
        t *= x  # x Q(x^2)
        np.exp2(t, out=t)
    t += _ONE
    return np.divide(x, t, out=out)  # [...] x / (1 + 2^(x Q)) = x Phi(x)


def gelu_new(
    x: Array, *, out: Array | None = None, scratch: tuple[Array, Array] | None = None
) -> Array:
    """GELU, tanh approximation (ALBERT's ``gelu_new``, also GPT-2's); works in ``scratch[0]``.

    0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), is computed as x / (1 + 2^(-2u/ln 2)),
    the same function (tanh is a scaled logistic) in 7 passes with numpy's exp2, which is faster
    than its tanh: an ALBERT tiny pass (128 tokens, 2 threads) runs about 3.5% faster than with
    ``np.tanh`` (medians of 80 interleaved runs).
    """
    with np.errstate(over="ignore"):  # x below about -10: the power is inf and the result -0
        t = np.square(x, out=None if scratch is None else scratch[0])  # [...] x^2
        t *= _NEW_Q[1]
        t += _NEW_Q[0]
        t *= x  # -2u / ln 2
        np.exp2(t, out=t)
    t += _ONE
    return np.divide(x, t, out=out)  # [...]


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
