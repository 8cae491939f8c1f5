"""BERT (Devlin et al. 2019; Hugging Face ``BertModel``), inference only, float32 numpy.

The reference encoder of the lab: RoBERTa, DistilBERT and ALBERT reuse its layer, its embedding
sum and its key-table helpers, and their docstrings say only how they differ from it::

    embeddings  LN(word[ids] + position[0..n) + token_type[0])        [batch, seq] -> [batch, seq, H]
    L layers    post-LN: x = LN(x + Attention(x)); x = LN(x + W2 gelu(W1 x + b1) + b2)
    pooler      tanh(W h_0 + b) on the first token ([CLS])             [batch, seq, H] -> [batch, H]

There is no token type input: every token is segment 0, as when Hugging Face's ``token_type_ids``
is left out.

Choices made for speed (the lab compares this code with ``BertModel`` at batch 1, 128 tokens):

* **Feature-major activations.** Inside the layers the hidden state is [H, tokens], one column per
  token, and every matrix keeps PyTorch's [out, in] layout, so a projection is ``W @ x``. OpenBLAS
  runs these shapes (a long output dimension, 128 tokens) 5-15% faster than ``x @ W`` with x
  [tokens, H]. The state is transposed once on the way in and once on the way out.
* **Biases inside the matmuls.** Each matrix carries its bias as one more column ([out, in + 1]) and
  each activation that feeds a projection carries a row of ones ([in + 1, tokens]), so the matmul
  adds the bias: no separate pass over the product (3-10% of a projection's time on these shapes).
* **Q, K and V are one matmul**, and the 1/sqrt(head_dim) of the scores is folded into the query
  rows and bias when the weights are read (exact when sqrt(head_dim) is a power of two, as 64's
  is; otherwise within a rounding of the checkpoint's values), not applied to Q at every pass.
* The heads are strided views of the [3H, tokens] product and the context is written straight into
  its buffer through a view: numpy hands the strides to BLAS, nothing is copied.
* A forward pass allocates its activations once (``Buffers``) and every layer works in place in
  them. On matrices this small numpy's elementwise passes, each over a fresh temporary (often fresh
  pages), would otherwise cost about as much as the matmuls.
"""

from __future__ import annotations

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
    packed,
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
    "packed",
    "part_shapes",
    "pool",
    "read_state",
    "to_state_dict",
]

ACTIVATIONS: dict[str, Callable[..., Array]] = {"gelu": gelu, "gelu_new": gelu_new}


@dataclass(frozen=True, slots=True)
class Buffers:
    """The activations of one forward pass, feature-major ([features, tokens]), allocated once and
    reused by every layer. Those that feed a projection end in a row of ones (the bias column's
    partner); the layers only ever write the rows above it."""

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


def mask_bias(attention_mask: Ids) -> Array | None:
    """Additive score bias: 0 for real keys, float32's minimum for padding, as Hugging Face adds.

    [batch, seq] -> [batch, 1, 1, seq]; None when nothing is padded, which saves a pass per layer.
    exp(minimum - row max) is exactly 0, so padded keys get no weight and real tokens' outputs do
    not depend on how much padding follows them.
    """
    if bool(attention_mask.all()):
        return None
    padded = attention_mask[:, None, None, :] == 0  # [batch, seq] -> [batch, 1, 1, seq]
    return np.where(padded, np.finfo(np.float32).min, np.float32(0.0)).astype(np.float32)


def self_attention(buffers: Buffers, heads: int, bias: Array | None) -> None:
    """Scaled dot-product attention per head, in place: buffers.qkv -> buffers.context.

    Q already carries 1/sqrt(head_dim) (folded into its weights), so Q^T K is the scaled score.
    """
    batch, _, seq, _ = buffers.scores.shape
    hidden = buffers.qkv.shape[0] // 3
    head_dim = hidden // heads
    # [3H, tokens] -> 3 x [batch, heads, head_dim, seq], strided views
    q, k, v = buffers.qkv.reshape(3, heads, head_dim, batch, seq).transpose(0, 3, 1, 2, 4)
    # [batch, heads, seq, head_dim] @ [batch, heads, head_dim, seq] -> [batch, heads, seq, seq]
    scores = np.matmul(q.swapaxes(-1, -2), k, out=buffers.scores)
    if bias is not None:
        scores += bias  # [batch, heads, seq, seq] + [batch, 1, 1, seq]
    probs = softmax(scores, out=buffers.probs)  # over the keys
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
    bias: Array | None,
    buffers: Buffers,
    timer: Timer,
) -> None:
    """One post-LN transformer layer, in place on buffers.hidden ([H + 1, tokens], ones last)."""
    activation = ACTIVATIONS[config.hidden_act]
    eps, h = config.layer_norm_eps, config.hidden_size
    x, attended = buffers.hidden, buffers.attended
    norm_scratch = buffers.qkv[:h]  # [H, tokens]: Q, K and V are spent once attention is done
    with timer("projections"):
        np.matmul(layer.qkv, x, out=buffers.qkv)  # [3H, H + 1] @ [H + 1, tokens] -> [3H, tokens]
    with timer("attention"):
        self_attention(buffers, config.num_attention_heads, bias)  # -> context [H, tokens]
    with timer("projections"):
        np.matmul(layer.attention_output, buffers.context, out=attended[:h])  # [H, tokens]
    with timer("norms"):
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
    bias = mask_bias(attention_mask)  # [batch, 1, 1, seq] or None
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
