"""BERT (Devlin et al. 2019; Hugging Face ``BertModel``), inference only, float32 numpy: the
fast path the lab runs and times. RoBERTa, DistilBERT and ALBERT reuse its layer and its embedding
sum. ``reference.bert`` computes the same thing plainly, token-major, one idea per line; read that
first. ``tests/lab/test_reference.py`` holds this module to it within 1e-5.

What this module does differently, and what each difference buys, measured by taking it out and
timing both side by side (``bench/encoder_tricks.py``: BERT tiny, batch 1, 128 tokens, 2 threads,
medians of interleaved runs, five runs on a shared machine; a tiny pass takes about 9 ms):

* **Activations allocated once** (``Buffers``); every layer works in place in them, through
  ``out=``. Fresh arrays each layer, as numpy's temporaries would be: +55-64%.
* **Feature-major activations.** Inside the layers the hidden state is [H, tokens], one column per
  token, and every matrix keeps PyTorch's [out, in] layout, so a projection is ``W @ x``: the six
  products of each layer alone take 4.5-4.7 ms, against 5.3-5.6 ms as ``x @ W`` token-major:
  8-10% of the pass. The state is transposed once on the way in and once on the way out; the
  heads are strided views of the [3H, tokens] product that numpy hands to BLAS as they are.
* **Biases inside the matmuls.** Each matrix carries its bias as one more column ([out, in + 1])
  and each activation that feeds a projection a row of ones, so the matmul adds the bias: +5-9%
  with a separate add after each product.
* **Softmax without the row max** when the sums allow it (``ops.softmax``): +4-8% without.
* **Q, K and V in one matmul** ([3H, H + 1]): +4-5% as three.
* **Layer norm by matrix-vector products** (``ops.layer_norm_columns``): +2-6% with numpy's
  ``mean`` (median of the five runs 2.8%: kept as about 3%).

Tried and taken out, as earning less than 3% of the pass: packing all layers into one aligned
buffer (0-2.6%; 0.3% at base), folding 1/sqrt(head_dim) into the query weights (about 1%, within
the noise), skipping the mask add when nothing is padded (-1 to +2%).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from app.encoders.bert_weights import (
    KEYS,
    EmbeddingWeights,
    LayerWeights,
    PoolerWeights,
    Weights,
    from_state_dict,
    init_weights,
    layer_from_parts,
    layer_to_parts,
    part_shapes,
    to_state_dict,
)
from app.encoders.checkpoint import read_state
from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput, Ids, check_inputs
from app.encoders.ops import (
    NULL_TIMER,
    Array,
    Timer,
    gelu,
    gelu_new,
    layer_norm,
    layer_norm_columns,
    softmax,
)

__all__ = [
    "KEYS",
    "Buffers",
    "EmbeddingWeights",
    "LayerWeights",
    "PoolerWeights",
    "Weights",
    "embed",
    "encode",
    "encoder_layer",
    "forward",
    "from_state_dict",
    "init_weights",
    "layer_from_parts",
    "layer_to_parts",
    "part_shapes",
    "pool",
    "read_state",
    "to_state_dict",
]

ACTIVATIONS: dict[str, Callable[..., Array]] = {"gelu": gelu, "gelu_new": gelu_new}


@dataclass(frozen=True, slots=True)
class Buffers:
    """The activations of one forward pass, feature-major ([features, tokens]), allocated once and
    reused by every layer (fresh arrays per layer: +55-64% on a tiny pass). Those that feed a
    projection end in a row of ones (the bias column's partner); the layers write only the rows
    above it."""

    hidden: Array  # [H + 1, tokens], the running state
    qkv: Array  # [3H, tokens]
    scores: Array  # [batch, heads, seq, seq]
    probs: Array  # [batch, heads, seq, seq]
    context: Array  # [H + 1, tokens]
    attended: Array  # [H + 1, tokens]
    intermediate: Array  # [I + 1, tokens]
    scratch: tuple[Array, Array]  # 2 x [I, tokens]: the activation's work arrays

    @classmethod
    def allocate(cls, config: EncoderConfig, batch: int, seq: int) -> Buffers:
        tokens, hidden, inner = batch * seq, config.hidden_size, config.intermediate_size
        heads = config.num_attention_heads

        def with_ones(rows: int) -> Array:
            array = np.empty((rows + 1, tokens), dtype=np.float32)
            array[rows] = 1.0
            return array

        return cls(
            hidden=with_ones(hidden),
            qkv=np.empty((3 * hidden, tokens), dtype=np.float32),
            scores=np.empty((batch, heads, seq, seq), dtype=np.float32),
            probs=np.empty((batch, heads, seq, seq), dtype=np.float32),
            context=with_ones(hidden),
            attended=with_ones(hidden),
            intermediate=with_ones(inner),
            scratch=(np.empty((inner, tokens), np.float32), np.empty((inner, tokens), np.float32)),
        )


# --- the forward pass ------------------------------------------------------------------------


def embed(
    embeddings: EmbeddingWeights, config: EncoderConfig, input_ids: Ids, positions: Array
) -> Array:
    """LN(word + position + token type 0): [batch, seq] -> [batch * seq, E], a new array.

    ``positions`` are the position vectors already looked up, [seq, E] or [batch, seq, E].
    """
    batch, seq = input_ids.shape
    x = np.take(embeddings.word, input_ids, axis=0)  # [batch, seq] -> [batch, seq, E]
    x += positions  # [batch, seq, E] + [(batch,) seq, E]
    if embeddings.token_type is not None:
        x += embeddings.token_type[0]  # every token is segment 0
    x = x.reshape(batch * seq, -1)  # [batch, seq, E] -> [tokens, E]
    w, b, eps = embeddings.norm_weight, embeddings.norm_bias, config.layer_norm_eps
    return layer_norm(x, w, b, eps, out=x)  # [tokens, E]


def mask_bias(attention_mask: Ids) -> Array:
    """Additive score bias: 0 for real keys, float32's minimum for padding, as Hugging Face adds.

    [batch, seq] -> [batch, 1, 1, seq]. exp(minimum - row max) is exactly 0, so padded keys get no
    weight and real tokens' outputs do not depend on how much padding follows them.
    """
    padded = attention_mask[:, None, None, :] == 0  # [batch, seq] -> [batch, 1, 1, seq]
    return np.where(padded, np.finfo(np.float32).min, np.float32(0.0)).astype(np.float32)


def self_attention(buffers: Buffers, heads: int, bias: Array) -> None:
    """Scaled dot-product attention per head, in place: buffers.qkv -> buffers.context."""
    batch, _, seq, _ = buffers.scores.shape
    hidden = buffers.qkv.shape[0] // 3
    head_dim = hidden // heads
    buffers.qkv[:hidden] *= np.float32(1.0 / math.sqrt(head_dim))  # [H, tokens] Q / sqrt(d)
    # [3H, tokens] -> 3 x [batch, heads, head_dim, seq], strided views
    q, k, v = buffers.qkv.reshape(3, heads, head_dim, batch, seq).transpose(0, 3, 1, 2, 4)
    # [batch, heads, seq, head_dim] @ [batch, heads, head_dim, seq] -> [batch, heads, seq, seq]
    scores = np.matmul(q.swapaxes(-1, -2), k, out=buffers.scores)
    scores += bias  # [batch, heads, seq, seq] + [batch, 1, 1, seq]
    probs = softmax(scores, out=buffers.probs)  # over the keys; exp skips the row max (4-8%)
    # [H, tokens] -> [batch, heads, head_dim, seq], a view: the product lands in buffers.context
    context = buffers.context[:hidden].reshape(heads, head_dim, batch, seq).transpose(2, 0, 1, 3)
    # V P^T: [.., head_dim, seq_k] @ [.., seq_k, seq_q] -> [.., head_dim, seq_q]
    np.matmul(v, probs.swapaxes(-1, -2), out=context)


def feed_forward(
    layer: LayerWeights,
    activation: Callable[..., Array],
    x: Array,
    buffers: Buffers,
    *,
    out: Array,
) -> None:
    """W2 act(W1 x + b1) + b2, written into ``out``: [H + 1, tokens] (ones last) -> [H, tokens]."""
    inner = buffers.intermediate  # [I + 1, tokens], ones last
    width = inner.shape[0] - 1
    np.matmul(layer.intermediate, x, out=inner[:width])  # [I, H + 1] @ [H + 1, tokens]
    activation(inner[:width], out=inner[:width], scratch=buffers.scratch)  # [I, tokens], in place
    np.matmul(layer.output, inner, out=out)  # [H, I + 1] @ [I + 1, tokens] -> [H, tokens]


def encoder_layer(
    layer: LayerWeights,
    config: EncoderConfig,
    bias: Array,
    buffers: Buffers,
    timer: Timer,
) -> None:
    """One post-LN transformer layer, in place on buffers.hidden ([H + 1, tokens], ones last)."""
    activation = ACTIVATIONS[config.hidden_act]
    eps, h = config.layer_norm_eps, config.hidden_size
    x, attended = buffers.hidden, buffers.attended
    norm_scratch = buffers.qkv[:h]  # [H, tokens]: Q, K and V are spent once attention is done
    with timer("projections"):  # Q, K, V in one product (4-5%), biases by the ones row (5-9%)
        np.matmul(layer.qkv, x, out=buffers.qkv)  # [3H, H + 1] @ [H + 1, tokens] -> [3H, tokens]
    with timer("attention"):
        self_attention(buffers, config.num_attention_heads, bias)  # -> context [H, tokens]
    with timer("projections"):
        np.matmul(layer.attention_output, buffers.context, out=attended[:h])  # [H, tokens]
    with timer("norms"):  # layer norm by matrix-vector products: about 3% over numpy's mean
        attended[:h] += x[:h]  # residual
        layer_norm_columns(
            attended[:h], layer.attention_norm_weight, layer.attention_norm_bias, eps, norm_scratch
        )
    with timer("feed_forward"):
        feed_forward(layer, activation, attended, buffers, out=x[:h])  # -> [H, tokens]
    with timer("norms"):
        x[:h] += attended[:h]  # residual
        layer_norm_columns(
            x[:h], layer.output_norm_weight, layer.output_norm_bias, eps, norm_scratch
        )


def encode(
    layers: Sequence[LayerWeights],
    config: EncoderConfig,
    hidden: Array,
    attention_mask: Ids,
    timer: Timer,
) -> Array:
    """The layers, in order: [tokens, H] -> [batch, seq, H], a new array.

    The layers work feature-major in ``Buffers``; the state is transposed in here and out at the end.
    """
    if config.hidden_act not in ACTIVATIONS:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"hidden_act {config.hidden_act!r} is not supported; use one of {known}")
    batch, seq = attention_mask.shape
    buffers = Buffers.allocate(config, batch, seq)
    h = config.hidden_size
    buffers.hidden[:h] = hidden.T  # [tokens, H] -> [H, tokens]
    bias = mask_bias(attention_mask)  # [batch, 1, 1, seq]
    for layer in layers:
        encoder_layer(layer, config, bias, buffers, timer)
    return np.ascontiguousarray(buffers.hidden[:h].T).reshape(batch, seq, h)  # [batch, seq, H]


def pool(pooler: PoolerWeights | None, hidden: Array, timer: Timer) -> Array | None:
    """tanh(W h_0 + b) on each sequence's first token: [batch, seq, H] -> [batch, H].

    None, and nothing timed, for a model without a pooler.
    """
    if pooler is None:
        return None
    with timer("pooler"):
        dense: Array = hidden[:, 0] @ pooler.weight  # [batch, H] @ [H, H] -> [batch, H]
        dense += pooler.bias
        return np.tanh(dense, out=dense)


def forward(
    weights: Weights,
    config: EncoderConfig,
    input_ids: Ids,
    attention_mask: Ids,
    *,
    timer: Timer = NULL_TIMER,
) -> EncoderOutput:
    """last_hidden_state [batch, seq, H] and pooler_output [batch, H] (None without a pooler)."""
    check_inputs(config, input_ids, attention_mask, config.max_position_embeddings)
    with timer("embeddings"):
        positions = weights.embeddings.position[: input_ids.shape[1]]  # [seq, E]: ids 0..seq-1
        hidden = embed(weights.embeddings, config, input_ids, positions)  # [tokens, H]
    hidden = encode(weights.layers, config, hidden, attention_mask, timer)  # [batch, seq, H]
    pooled = pool(weights.pooler, hidden, timer)  # [batch, H] or None
    return EncoderOutput(last_hidden_state=hidden, pooler_output=pooled)
