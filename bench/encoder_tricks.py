"""What each speed trick of the fast BERT (``app.encoders.bert``) and DeBERTa buys, measured A/B.

Each variant is the fast path with one trick taken out (the others kept), timed interleaved
with the fast path itself, on BERT at one preset, batch 1, 128 tokens: the share it adds to the
forward pass is what the trick buys. The comments next to the tricks quote it. Three tricks this
script measured (at commit f26a747) earned less than 3% and were taken out: packing the layers
into one buffer, folding 1/sqrt(head_dim) into the query weights, skipping the mask add without
padding.

    .venv/bin/python bench/encoder_tricks.py [--model bert|deberta] [--preset tiny] [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.encoders import bert, deberta
from app.encoders.configs import config_for

BLOCK = 1  # one run of each variant in turn: a burst of load on the shared machine hits them all


@contextmanager
def patched(**names: Any) -> Iterator[None]:
    """``bert``'s globals replaced for the duration (the forward pass looks them up by name)."""
    old = {name: getattr(bert, name) for name in names}
    for name, value in names.items():
        setattr(bert, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(bert, name, value)


def softmax_with_max(x: Any, axis: int = -1, *, out: Any = None) -> Any:
    """Softmax without the shortcut: the row max is always subtracted first."""
    shifted = np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def layer_norm_columns_numpy(x: Any, weight: Any, bias: Any, eps: float, scratch: Any) -> Any:
    """Column layer norm with numpy's reductions instead of matrix-vector products."""
    x -= x.mean(axis=0)
    var = np.square(x, out=scratch).mean(axis=0)
    var += np.float32(eps)
    x /= np.sqrt(var)
    x *= weight[:, None]
    x += bias[:, None]
    return x


def product(weight: Any, x: Any, out: Any, *, bias_column: bool) -> None:
    """W x (+ b): the bias as the matrix's last column times a row of ones, or added after."""
    if bias_column:
        np.matmul(weight, x, out=out)
    else:
        np.matmul(weight[:, :-1], x[:-1], out=out)
        out += weight[:, -1:]


def layer_without(trick: str) -> Callable[..., None]:
    """``bert.encoder_layer`` with one trick taken out."""

    def encoder_layer(layer: Any, config: Any, bias: Any, buffers: Any, timer: Any) -> None:
        h, eps = config.hidden_size, config.layer_norm_eps
        columns = trick != "bias columns"
        x, attended, qkv = buffers.hidden, buffers.attended, buffers.qkv
        if trick == "fused QKV":
            for part in range(3):
                rows = slice(part * h, (part + 1) * h)
                product(layer.qkv[rows], x, qkv[rows], bias_column=columns)
        else:
            product(layer.qkv, x, qkv, bias_column=columns)
        bert.self_attention(buffers, config.num_attention_heads, bias)
        product(layer.attention_output, buffers.context, attended[:h], bias_column=columns)
        attended[:h] += x[:h]
        bert.layer_norm_columns(
            attended[:h], layer.attention_norm_weight, layer.attention_norm_bias, eps, qkv[:h]
        )
        inner = buffers.intermediate
        width = inner.shape[0] - 1
        product(layer.intermediate, attended, inner[:width], bias_column=columns)
        bert.ACTIVATIONS[config.hidden_act](
            inner[:width], out=inner[:width], scratch=buffers.scratch
        )
        product(layer.output, inner, x[:h], bias_column=columns)
        x[:h] += attended[:h]
        bert.layer_norm_columns(
            x[:h], layer.output_norm_weight, layer.output_norm_bias, eps, qkv[:h]
        )

    return encoder_layer


def fresh_buffers_per_layer(layer: Any, config: Any, bias: Any, buffers: Any, timer: Any) -> None:
    """Every activation in a new array each layer, as numpy's temporaries would be."""
    batch, _, seq, _ = buffers.scores.shape
    fresh = bert.Buffers.allocate(config, batch, seq)
    fresh.hidden[...] = buffers.hidden
    ORIGINAL_LAYER(layer, config, bias, fresh, timer)
    buffers.hidden[...] = fresh.hidden


def self_attention_copying(buffers: Any, heads: int, bias: Any) -> None:
    """The context computed into a new array and then copied into its buffer."""
    batch, _, seq, _ = buffers.scores.shape
    hidden = buffers.qkv.shape[0] // 3
    d = hidden // heads
    q, k, v = buffers.qkv.reshape(3, heads, d, batch, seq).transpose(0, 3, 1, 2, 4)
    scores = np.matmul(q.swapaxes(-1, -2), k, out=buffers.scores)
    if bias is not None:
        scores += bias
    probs = bert.softmax(scores, out=buffers.probs)
    context = buffers.context[:hidden].reshape(heads, d, batch, seq).transpose(2, 0, 1, 3)
    context[...] = np.matmul(v, probs.swapaxes(-1, -2))


ORIGINAL_LAYER = bert.encoder_layer


def layer_products(config: Any, weights: Any, feature_major: bool) -> Callable[[], None]:
    """The six matrix products of every layer alone, as [out, in] @ [in, tokens] (our layout) or
    as [tokens, in] @ [in, out] (token-major, weights stored transposed), fixed random inputs."""
    rng = np.random.default_rng(0)
    tokens, h, heads = 128, config.hidden_size, config.num_attention_heads
    d, i = h // heads, config.intermediate_size
    steps = []
    for layer in weights.layers:
        for matrix in (layer.qkv, layer.attention_output, layer.intermediate, layer.output):
            w = matrix if feature_major else np.ascontiguousarray(matrix.T)
            shape_x = (matrix.shape[1], tokens) if feature_major else (tokens, matrix.shape[1])
            x = rng.standard_normal(shape_x, dtype=np.float32)
            out = np.empty(
                (matrix.shape[0], tokens) if feature_major else (tokens, matrix.shape[0]),
                np.float32,
            )
            steps.append((w, x, out, feature_major))
    q = rng.standard_normal((1, heads, tokens, d), dtype=np.float32)
    probs = rng.standard_normal((1, heads, tokens, tokens), dtype=np.float32)
    scores = np.empty_like(probs)
    context = np.empty((1, heads, tokens, d), np.float32)
    del i

    def go() -> None:
        for w, x, out, fm in steps:
            if fm:
                np.matmul(w, x, out=out)
            else:
                np.matmul(x, w, out=out)
        for _ in weights.layers:  # the same in either layout
            np.matmul(q, q.swapaxes(-1, -2), out=scores)
            np.matmul(probs, q, out=context)

    return go


def deberta_full_table(seq_len: int, config: Any) -> Any:
    """DeBERTa's gather indices over all 2k table rows, as the reference projects them."""
    span, positions = config.relative_span, np.arange(seq_len)
    relative = positions[:, None] - positions[None, :]  # [n, n]
    delta = np.clip(deberta.log_bucket_position(relative, span, 512) + span, 0, 2 * span - 1)
    rows = 2 * span
    c2p, p2c = positions[:, None] * rows + delta, positions[None, :] * rows + delta
    return deberta.RelativeIndex(lo=0, hi=rows, c2p=c2p.ravel(), p2c=p2c.ravel())


def deberta_along_axis(layer: Any, config: Any, q: Any, k: Any, rel: Any, idx: Any) -> Any:
    """c2p + p2c gathered with ``np.take_along_axis`` and a broadcast [n, n] index."""
    h, (batch, heads, n, _) = config.hidden_size, q.shape
    pos = deberta.linear(rel, layer.qkv_weight[: 2 * h], layer.qkv_bias[: 2 * h])
    pos_q = deberta.split_heads(pos[:, :h] * deberta.attention_scale(config), heads)
    pos_k = deberta.split_heads(pos[:, h:], heads)
    delta = idx.c2p.reshape(n, n) - np.arange(n)[:, None] * pos.shape[0]  # [n, n]
    shape = (batch, heads, n, n)
    c2p = np.take_along_axis(q @ np.swapaxes(pos_k, -1, -2), np.broadcast_to(delta, shape), -1)
    p2c = np.take_along_axis(k @ np.swapaxes(pos_q, -1, -2), np.broadcast_to(delta.T, shape), -1)
    return c2p + np.swapaxes(p2c, -1, -2)


def deberta_variants(preset: str) -> dict[str, Callable[[], None]]:
    config = config_for("deberta", preset)
    weights = deberta.init_weights(config, 0)
    ids = np.random.default_rng(0).integers(1000, 29000, size=(1, 128)).astype(np.int64)
    mask = np.ones_like(ids)

    def run(**names: Any) -> Callable[[], None]:
        def go() -> None:
            old = {name: getattr(deberta, name) for name in names}
            for name, value in names.items():
                setattr(deberta, name, value)
            try:
                deberta.forward(weights, config, ids, mask)
            finally:
                for name, value in old.items():
                    setattr(deberta, name, value)

        return go

    return {
        "fast path": run(),
        "projecting just the reachable rows": run(relative_index=deberta_full_table),
        "flat np.take gathers": run(relative_scores=deberta_along_axis),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", choices=("bert", "deberta"), default="bert")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="time only the variants whose name has this")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads, user_api="blas")
    config = config_for("bert", args.preset)
    weights = bert.init_weights(config, 0)
    ids = np.random.default_rng(0).integers(1000, 29000, size=(1, 128)).astype(np.int64)
    mask = np.ones_like(ids)

    def run(w: Any = weights, **names: Any) -> Callable[[], None]:
        def go() -> None:
            with patched(**names):
                bert.forward(w, config, ids, mask)

        return go

    variants: dict[str, Callable[[], None]] = {
        "fast path": run(),
        "its layer re-written here (check)": run(encoder_layer=layer_without("")),
        "softmax shortcut": run(softmax=softmax_with_max),
        "layer norm by matrix-vector": run(layer_norm_columns=layer_norm_columns_numpy),
        "bias columns": run(encoder_layer=layer_without("bias columns")),
        "fused QKV": run(encoder_layer=layer_without("fused QKV")),
        "context written in place": run(self_attention=self_attention_copying),
        "buffers allocated once": run(encoder_layer=fresh_buffers_per_layer),
        "products feature-major (products only)": layer_products(config, weights, True),
        "products token-major (products only)": layer_products(config, weights, False),
    }
    if args.model == "deberta":
        variants = deberta_variants(args.preset)
    if args.only:
        variants = {k: v for k, v in variants.items() if k == "fast path" or args.only in k}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()
    for _ in range(args.rounds):
        for name, fn in variants.items():
            fn()
            for _ in range(BLOCK):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    # The median, and the 10th percentile: on a shared machine load only ever adds time.
    base = statistics.median(times["fast path"])
    low = statistics.quantiles(times["fast path"], n=10)[0]
    print(
        f"{args.model} {args.preset}, batch 1, seq 128, {args.threads} threads, {args.rounds} rounds"
    )
    print(f"  {'':<40} {'median':>8}    {'10th percentile':>15}")
    print(f"  {'fast path':<40} {base * 1000:8.2f} ms {low * 1000:8.2f} ms")
    for name in list(variants)[1:]:
        median = statistics.median(times[name])
        p10 = statistics.quantiles(times[name], n=10)[0]
        label = name if name.endswith(")") else f"without {name}"
        print(
            f"  {label:<40} {median * 1000:8.2f} ms {median / base - 1:+6.1%}"
            f" {p10 * 1000:8.2f} ms {p10 / low - 1:+6.1%}"
        )


if __name__ == "__main__":
    main()
