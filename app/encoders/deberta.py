"""DeBERTa-v3 (Hugging Face ``DebertaV2Model``), inference only, float32 numpy.

The layer skeleton is BERT's (post-norm residual blocks, exact GELU); what differs:

* **No absolute positions in the input.** ``position_biased_input=False``: the embeddings are the
  word embeddings alone, layer-normed, then multiplied by the attention mask (padding rows become
  zero). There are no token type embeddings either (``type_vocab_size=0``) and no pooler.
* **One relative position table for all layers.** ``encoder.rel_embeddings`` holds 2k rows (k =
  ``position_buckets`` = 256), one per bucketed distance; it is layer-normed once
  (``encoder.LayerNorm``, ``norm_rel_ebd="layer_norm"``) and every layer projects it through its
  own query and key projections (``share_att_key=True``: no separate positional projections).
* **Disentangled attention: three score terms.** For query i, key j and delta = bucket(i - j) + k::

      content->content  c2c[i, j] = Q_i . K_j
      content->position c2p[i, j] = Q_i . Kr_delta      (Kr = LN(rel) projected by the key proj)
      position->content p2c[i, j] = K_j . Qr_delta      (Qr = LN(rel) projected by the query proj)

  The paper writes p2c with delta(j, i) = bucket(j - i) + k; the released code (and every
  checkpoint) indexes it with ``-bucket(j - i) + k``, which is the same delta(i, j) as c2p because
  the bucket function is odd. We follow the code.
* **Scaled by sqrt(3 d), not sqrt(d)**: three terms of the same magnitude are summed
  (scale_factor = 1 + len(pos_att_type)).
* **Log buckets.** Distances within +-k/2 (= 128) keep their own bucket; beyond that they share
  log-spaced buckets up to max_relative_positions (512), so the table covers any length with 2k rows.
* **The vocabulary dominates.** 128,100 x 768 word embeddings are ~98M of the ~184M parameters of
  DeBERTa-v3-base, against ~86M in the 12 layers.

``reference_deberta`` computes the same thing plainly (``tests/lab/test_reference.py`` holds
this module to it within 1e-5). What this fast path does differently, measured by taking it out
(``bench/encoder_tricks.py --model deberta``: tiny, batch 1, 128 tokens, 2 threads, medians of
60 interleaved runs, on the shared machine in a quiet spell; under load both gains read larger):

* **Only the reachable table rows are projected.** The reference sends all 2k rows through Q and
  K in every layer, though n tokens only reach rows [k - bucket(n-1), k + bucket(n-1)] (the
  bucket function is monotonic): 255 of 512 at n = 128. We project those and re-base the
  indices; every score is the same. All 2k rows: +18%.
* **Flat gathers.** c2p and p2c are read with ``np.take`` on flattened indices computed once per
  pass and shared by all layers: ``np.take_along_axis`` with a broadcast index costs 22% more.
* Q, K and V are one matmul, as in ``bert``; the layout stays token-major.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig
from app.encoders.deberta_weights import (
    KEYS,
    DebertaWeights,
    EmbeddingWeights,
    LayerWeights,
    from_state_dict,
    init_weights,
    part_shapes,
    state_dict_shapes,
    to_state_dict,
)
from app.encoders.encoder import EncoderOutput, check_inputs
from app.encoders.ops import NULL_TIMER, Array, Timer, gelu, layer_norm, linear, softmax
from app.encoders.relative import (
    log_bucket,
    max_relative_positions,
    reachable_range,
    reachable_relative_rows,
)

__all__ = [
    "KEYS",
    "DebertaWeights",
    "EmbeddingWeights",
    "LayerWeights",
    "RelativeIndex",
    "forward",
    "from_state_dict",
    "init_weights",
    "log_bucket_position",
    "part_shapes",
    "reachable_relative_rows",
    "relative_index",
    "state_dict_shapes",
    "to_state_dict",
]

# pos_att_type = ["p2c", "c2p"]: c2c plus two relative terms.
SCALE_FACTOR = 3


# --- relative positions ------------------------------------------------------------------------


def log_bucket_position(
    relative_pos: NDArray[np.int64], bucket_size: int, max_position: int
) -> NDArray[np.int64]:
    """Hugging Face's ``make_log_bucket_position`` over an array (``relative.log_bucket``'s)."""
    furthest = int(np.abs(relative_pos).max(initial=0))
    # [furthest + 1] the bucket of each distance 0, 1, ...; the function is odd
    table = np.array(
        [log_bucket(d, bucket_size, max_position) for d in range(furthest + 1)], dtype=np.int64
    )
    buckets: NDArray[np.int64] = np.sign(relative_pos) * table[np.abs(relative_pos)]
    return buckets


def _bucket(relative_pos: NDArray[np.int64], config: EncoderConfig) -> NDArray[np.int64]:
    """Bucketed relative positions as the reference builds them (plain without buckets)."""
    if config.position_buckets > 0:
        return log_bucket_position(
            relative_pos, config.position_buckets, max_relative_positions(config)
        )
    return relative_pos


@dataclass(frozen=True, slots=True)
class RelativeIndex:
    """Where each (i, j) score reads the projected table rows [lo, hi), as flat ``np.take`` indices.

    With R = hi - lo rows and delta = clamp(bucket(i - j) + k, 0, 2k - 1) - lo:
    c2p[i, j] = (Q Kr^T)[i, delta], read at i * R + delta;
    p2c[i, j] = (K Qr^T)[j, delta], read at j * R + delta.
    """

    lo: int
    hi: int
    c2p: NDArray[np.int64]  # [n * n]
    p2c: NDArray[np.int64]  # [n * n]


def relative_index(seq_len: int, config: EncoderConfig) -> RelativeIndex:
    """The gather indices of one sequence length, shared by every layer."""
    span = config.relative_span  # k
    positions = np.arange(seq_len, dtype=np.int64)  # [n]
    relative = positions[:, None] - positions[None, :]  # [n, n] i - j
    lo, hi = reachable_range(seq_len, config)
    delta = np.clip(_bucket(relative, config) + span, 0, 2 * span - 1) - lo  # [n, n] in [0, R)
    rows = hi - lo  # R
    c2p = positions[:, None] * rows + delta  # [n, n] row i
    p2c = positions[None, :] * rows + delta  # [n, n] row j
    return RelativeIndex(lo=lo, hi=hi, c2p=c2p.ravel(), p2c=p2c.ravel())


# --- forward pass ------------------------------------------------------------------------------


def embed(
    weights: EmbeddingWeights, config: EncoderConfig, input_ids: NDArray[np.int64], mask: Array
) -> Array:
    """Word embeddings only (no positions, no token types), layer-normed, padding rows zeroed."""
    x = weights.word_embeddings[input_ids]  # [B, n, H]
    x = layer_norm(x, weights.norm_weight, weights.norm_bias, config.layer_norm_eps)  # [B, n, H]
    return x * mask[:, :, None]  # [B, n, H]


def split_heads(x: Array, heads: int) -> Array:
    """[..., n, A*d] -> [..., A, n, d]."""
    *lead, n, width = x.shape
    x = x.reshape(*lead, n, heads, width // heads)  # [..., n, A, d]
    return np.swapaxes(x, -2, -3)  # [..., A, n, d]


def attention_scale(config: EncoderConfig) -> np.float32:
    """1 / sqrt(3 d): c2c, c2p and p2c are summed, so the scores are scaled for three terms."""
    return np.float32(1.0 / math.sqrt(config.head_dim * SCALE_FACTOR))


def relative_scores(
    layer: LayerWeights, config: EncoderConfig, q: Array, k: Array, rel: Array, idx: RelativeIndex
) -> Array:
    """c2p + p2c for one layer; ``q`` is already divided by sqrt(3d): [B, A, n, n].

    ``rel`` is the layer-normed table restricted to the reachable rows [R, H]; share_att_key means
    it goes through this layer's own query and key projections.
    """
    h, (batch, heads, n, _) = config.hidden_size, q.shape
    inv_scale = attention_scale(config)  # 1 / sqrt(3d)
    pos = linear(rel, layer.qkv_weight[: 2 * h], layer.qkv_bias[: 2 * h])  # [R, 2H]
    pos_q = split_heads(pos[:, :h] * inv_scale, heads)  # [A, R, d]
    pos_k = split_heads(pos[:, h:], heads)  # [A, R, d]
    rows = pos.shape[0]  # R
    c2p = (q @ np.swapaxes(pos_k, -1, -2)).reshape(batch * heads, n * rows)  # [B*A, n*R]
    p2c = (k @ np.swapaxes(pos_q, -1, -2)).reshape(batch * heads, n * rows)  # [B*A, n*R]
    scores = np.take(c2p, idx.c2p, axis=1)  # [B*A, n*n]
    scores += np.take(p2c, idx.p2c, axis=1)  # [B*A, n*n]
    return scores.reshape(batch, heads, n, n)  # [B, A, n, n]


def attend(q: Array, k: Array, v: Array, bias: Array, keep: NDArray[np.bool_] | None) -> Array:
    """softmax(Q K^T + bias, masked) V, heads merged: [B, A, n, d] -> [B, n, A*d].

    As in the reference, a pair is kept only when both tokens are real; a padding query row is
    all masked and so attends uniformly (its output is never read). ``keep`` None: no padding.
    """
    scores = q @ np.swapaxes(k, -1, -2)  # [B, A, n, n]
    scores += bias  # [B, A, n, n]
    if keep is not None:  # padded query rows are all masked: softmax's shortcut would fail anyway
        scores = np.where(keep, scores, np.finfo(np.float32).min)  # [B, A, n, n]
        probs = softmax(scores, out=scores)  # in place: subtracts each row's max
    else:
        probs = softmax(scores)  # [B, A, n, n]
    context = probs @ v  # [B, A, n, d]
    batch, _, n, _ = context.shape
    return np.swapaxes(context, 1, 2).reshape(batch, n, -1)  # [B, n, H]


def pair_mask(attention_mask: NDArray[np.int64]) -> NDArray[np.bool_]:
    """The reference's mask: (i, j) is kept when both tokens are real: [B, n] -> [B, 1, n, n]."""
    real = attention_mask.astype(bool)  # [B, n]
    keep: NDArray[np.bool_] = (real[:, :, None] & real[:, None, :])[:, None]  # [B, 1, n, n]
    return keep


def encoder_layer(
    layer: LayerWeights,
    config: EncoderConfig,
    x: Array,
    rel: Array,
    idx: RelativeIndex,
    keep: NDArray[np.bool_] | None,
    timer: Timer,
) -> Array:
    """Disentangled self-attention, then the feed-forward block, both post-norm: [B, n, H]."""
    heads, eps = config.num_attention_heads, config.layer_norm_eps
    with timer("projections"):
        qkv = split_heads(linear(x, layer.qkv_weight, layer.qkv_bias), 3 * heads)  # [B, 3A, n, d]
        q, k, v = np.split(qkv, 3, axis=1)  # 3 x [B, A, n, d]
        q = q * attention_scale(config)  # [B, A, n, d]
    with timer("relative"):
        bias = relative_scores(layer, config, q, k, rel, idx)  # [B, A, n, n]
    with timer("attention"):
        context = attend(q, k, v, bias, keep)  # [B, n, H]
    with timer("projections"):
        out = linear(context, layer.attention_output_weight, layer.attention_output_bias)
    with timer("norms"):
        x = layer_norm(out + x, layer.attention_norm_weight, layer.attention_norm_bias, eps)
    with timer("feed_forward"):
        inner = gelu(linear(x, layer.intermediate_weight, layer.intermediate_bias))  # [B, n, I]
        out = linear(inner, layer.output_weight, layer.output_bias)  # [B, n, H]
    with timer("norms"):
        return layer_norm(out + x, layer.output_norm_weight, layer.output_norm_bias, eps)


def forward(
    weights: DebertaWeights,
    config: EncoderConfig,
    input_ids: NDArray[np.int64],
    attention_mask: NDArray[np.int64],
    *,
    timer: Timer = NULL_TIMER,
) -> EncoderOutput:
    """last_hidden_state [B, n, H] for ``input_ids`` [B, n] (mask 1 = real token, 0 = padding).

    ValueError for malformed inputs or more than max_position_embeddings tokens: there is no
    position table to run out of, but the model was trained on (and the lab offers) no more.
    """
    check_inputs(config, input_ids, attention_mask, config.max_position_embeddings)
    mask = attention_mask.astype(np.float32)  # [B, n]
    with timer("embeddings"):
        x = embed(weights.embeddings, config, input_ids, mask)  # [B, n, H]
    keep = None if attention_mask.all() else pair_mask(attention_mask)  # [B, 1, n, n]
    with timer("relative"):
        idx = relative_index(input_ids.shape[1], config)  # [n*n] twice
        table = weights.rel_embeddings[idx.lo : idx.hi]  # [R, H]
        rel = layer_norm(
            table, weights.rel_norm_weight, weights.rel_norm_bias, config.layer_norm_eps
        )
    for layer in weights.layers:
        x = encoder_layer(layer, config, x, rel, idx, keep, timer)  # [B, n, H]
    return EncoderOutput(last_hidden_state=x)
