"""The reference DeBERTa-v3 (He et al. 2021; Hugging Face ``DebertaV2Model``): BERT plus its
differences, plain token-major numpy written to be read, as ``reference`` is for BERT.

What differs from ``reference.bert`` (each in one place below):

* ``embeddings``: word embeddings only (no absolute positions, no token types), layer-normed,
  padding rows zeroed.
* ``relative_table``: one table of 2k relative-position rows (k = 256), layer-normed once and
  shared by every layer.
* ``disentangled_attention``: three score terms, c2c = Q K^T, c2p = Q Kr^T and p2c = K Qr^T,
  where Qr and Kr are the table through this layer's own query and key projections, read at the
  bucket of i - j; all three scaled by 1 / sqrt(3 d); a pair is kept only when both tokens are real.
  p2c reads row delta(i, j) as the released code does (``-bucket(j - i) + k``); the paper writes
  delta(j, i), but the bucket function is odd, so the code's index is c2p's.
* No pooler.

The layer around the attention is BERT's (``reference.layer_norm``, ``linear``, ``gelu``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput
from app.encoders.ops import Array
from app.encoders.reference import (
    MASKED,
    Ids,
    State,
    gelu,
    layer_norm,
    layer_weights,
    linear,
    softmax,
)
from app.encoders.relative import bucket

__all__ = ["deberta", "disentangled_attention", "relative_positions"]


def relative_positions(seq: int, config: EncoderConfig) -> NDArray[np.int64]:
    """Table row of each (query i, key j): clamp(bucket(i - j) + k, 0, 2k - 1): [seq, seq]."""
    k = config.relative_span
    rows = [[bucket(i - j, config) + k for j in range(seq)] for i in range(seq)]
    return np.clip(np.array(rows, dtype=np.int64), 0, 2 * k - 1)  # [seq, seq]


def relative_table(state: State, config: EncoderConfig) -> Array:
    """The 2k relative embeddings, layer-normed once for all layers: [2k, H]."""
    table = state["encoder.rel_embeddings.weight"]  # [2k, H]
    return layer_norm(table, state, "encoder.LayerNorm", config.layer_norm_eps)


def disentangled_attention(
    x: Array,
    keep: NDArray[np.bool_],
    rel: Array,
    delta: NDArray[np.int64],
    w: State,
    config: EncoderConfig,
) -> Array:
    """c2c + c2p + p2c self-attention (``attention.self`` then ``attention.output.dense``)."""
    batch, seq, hidden = x.shape  # [batch, seq, H]
    heads, d = config.num_attention_heads, config.head_dim

    def split_heads(t: Array) -> Array:  # [..., n, H] -> [..., A, n, d]
        return np.swapaxes(t.reshape(*t.shape[:-1], heads, d), -2, -3)

    q = split_heads(linear(x, w, "attention.self.query_proj"))  # [batch, A, seq, d]
    k = split_heads(linear(x, w, "attention.self.key_proj"))  # [batch, A, seq, d]
    v = split_heads(linear(x, w, "attention.self.value_proj"))  # [batch, A, seq, d]
    q_r = split_heads(linear(rel, w, "attention.self.query_proj"))  # [A, 2k, d] share_att_key
    k_r = split_heads(linear(rel, w, "attention.self.key_proj"))  # [A, 2k, d]
    c2c = q @ np.swapaxes(k, -1, -2)  # [batch, A, i, j]: Q_i . K_j
    c2p = q @ np.swapaxes(k_r, -1, -2)  # [batch, A, i, 2k]: Q_i . Kr_r for every row r
    c2p = np.take_along_axis(c2p, delta[None, None], axis=-1)  # [batch, A, i, j]: r = delta(i, j)
    p2c = k @ np.swapaxes(q_r, -1, -2)  # [batch, A, j, 2k]: K_j . Qr_r for every row r
    p2c = np.take_along_axis(p2c, delta.T[None, None], axis=-1)  # [batch, A, j, i]: r = delta(i, j)
    p2c = np.swapaxes(p2c, -1, -2)  # [batch, A, i, j]
    scale = np.float32(math.sqrt(3 * d))  # three terms summed: sqrt(3 d), not sqrt(d)
    scores: Array = np.where(keep, (c2c + c2p + p2c) / scale, MASKED)  # kept if both are real
    context = softmax(scores) @ v  # [batch, A, seq, d]
    context = np.swapaxes(context, 1, 2).reshape(batch, seq, hidden)  # [batch, seq, H]
    return linear(context, w, "attention.output.dense")  # [batch, seq, H]


def deberta(
    state: State, config: EncoderConfig, input_ids: Ids, attention_mask: Ids
) -> EncoderOutput:
    """last_hidden_state [batch, seq, H]; DeBERTa-v3 has no pooler."""
    eps, mask = config.layer_norm_eps, attention_mask.astype(np.float32)  # [batch, seq]
    x = state["embeddings.word_embeddings.weight"][input_ids]  # [batch, seq, H], no positions
    x = layer_norm(x, state, "embeddings.LayerNorm", eps) * mask[:, :, None]  # padding rows 0
    real = attention_mask.astype(bool)  # [batch, seq]
    keep = (real[:, :, None] & real[:, None, :])[:, None]  # [batch, 1, seq, seq]
    rel = relative_table(state, config)  # [2k, H]
    delta = relative_positions(input_ids.shape[1], config)  # [seq, seq]
    for i in range(config.num_hidden_layers):
        w = layer_weights(state, f"encoder.layer.{i}.")
        attended = disentangled_attention(x, keep, rel, delta, w, config)  # [batch, seq, H]
        x = layer_norm(x + attended, w, "attention.output.LayerNorm", eps)
        inner = gelu(linear(x, w, "intermediate.dense"))  # [batch, seq, I]
        x = layer_norm(x + linear(inner, w, "output.dense"), w, "output.LayerNorm", eps)
    return EncoderOutput(last_hidden_state=x)
