"""BERT (Devlin et al. 2019; Hugging Face ``BertModel``), inference only, float32 numpy.

The reference encoder of the lab: RoBERTa, DistilBERT and ALBERT reuse its layer, its embedding
sum and its key-table helpers, and their docstrings say only how they differ from it::

    embeddings  LN(word[ids] + position[0..n) + token_type[0])        [batch, seq] -> [batch, seq, H]
    L layers    post-LN: x = LN(x + Attention(x)); x = LN(x + W2 gelu(W1 x + b1) + b2)
    pooler      tanh(W h_0 + b) on the first token ([CLS])             [batch, seq, H] -> [batch, H]

There is no token type input: every token is segment 0, as when Hugging Face's ``token_type_ids``
is left out.

Choices made for speed (the lab compares this code with ``BertModel`` at batch 1, 128 tokens):

* Q, K and V are one matmul. Their weights are stored stacked (``qkv_weight``) and split again
  only when written back to a state dict.
* Every matrix is stored [in, out], transposed from PyTorch's [out, in], so ``x @ W`` reads
  contiguous memory: about 12% faster in OpenBLAS than ``x @ W.T`` on these shapes.
* The heads are strided views of that [tokens, 3H] product, and the context is written straight
  into a [tokens, H] buffer through a view: numpy hands the strides to BLAS, nothing is copied.
* A forward pass allocates its activations once (``Buffers``) and every layer works in place in
  them. On matrices this small numpy's elementwise passes, each over a fresh temporary (often fresh
  pages), would otherwise cost about as much as the matmuls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.lab.configs import EncoderConfig
from app.lab.encoder import EncoderOutput, normal, take
from app.lab.ops import NULL_TIMER, Array, Timer, gelu, gelu_new, layer_norm, softmax

__all__ = [
    "KEYS",
    "Buffers",
    "EmbeddingWeights",
    "LayerWeights",
    "PoolerWeights",
    "Weights",
    "check_inputs",
    "embed",
    "embeddings_from_parts",
    "embeddings_to_parts",
    "encode",
    "encoder_layer",
    "feed_forward",
    "forward",
    "from_state_dict",
    "init_weights",
    "layer_from_parts",
    "layer_shapes",
    "layer_to_parts",
    "mask_bias",
    "part_shapes",
    "pool",
    "random_state",
    "read_state",
    "self_attention",
    "to_state_dict",
    "transposed",
    "write_state",
]

Ids = NDArray[np.int64]

# One key table: Hugging Face ``BertModel`` key -> our part name. "{i}" is the layer index.
KEYS: dict[str, str] = {
    "embeddings.word_embeddings.weight": "word_embeddings",
    "embeddings.position_embeddings.weight": "position_embeddings",
    "embeddings.token_type_embeddings.weight": "token_type_embeddings",
    "embeddings.LayerNorm.weight": "embedding_norm.weight",
    "embeddings.LayerNorm.bias": "embedding_norm.bias",
    "encoder.layer.{i}.attention.self.query.weight": "query.weight",
    "encoder.layer.{i}.attention.self.query.bias": "query.bias",
    "encoder.layer.{i}.attention.self.key.weight": "key.weight",
    "encoder.layer.{i}.attention.self.key.bias": "key.bias",
    "encoder.layer.{i}.attention.self.value.weight": "value.weight",
    "encoder.layer.{i}.attention.self.value.bias": "value.bias",
    "encoder.layer.{i}.attention.output.dense.weight": "attention_output.weight",
    "encoder.layer.{i}.attention.output.dense.bias": "attention_output.bias",
    "encoder.layer.{i}.attention.output.LayerNorm.weight": "attention_norm.weight",
    "encoder.layer.{i}.attention.output.LayerNorm.bias": "attention_norm.bias",
    "encoder.layer.{i}.intermediate.dense.weight": "intermediate.weight",
    "encoder.layer.{i}.intermediate.dense.bias": "intermediate.bias",
    "encoder.layer.{i}.output.dense.weight": "output.weight",
    "encoder.layer.{i}.output.dense.bias": "output.bias",
    "encoder.layer.{i}.output.LayerNorm.weight": "output_norm.weight",
    "encoder.layer.{i}.output.LayerNorm.bias": "output_norm.bias",
    "pooler.dense.weight": "pooler.weight",
    "pooler.dense.bias": "pooler.bias",
}

ACTIVATIONS: dict[str, Callable[..., Array]] = {"gelu": gelu, "gelu_new": gelu_new}


@dataclass(frozen=True, slots=True)
class EmbeddingWeights:
    """The lookup tables and their layer norm, all of width E (= H outside ALBERT)."""

    word: Array  # [vocab, E]
    position: Array  # [max_positions, E]
    token_type: Array | None  # [types, E]; None where the model has no segments (DistilBERT)
    norm_weight: Array  # [E]
    norm_bias: Array  # [E]


@dataclass(frozen=True, slots=True)
class LayerWeights:
    """One transformer layer; matrices are [in, out], transposed from PyTorch's [out, in]."""

    qkv_weight: Array  # [H, 3H]: the query, key and value columns side by side, one matmul
    qkv_bias: Array  # [3H]
    attention_output_weight: Array  # [H, H]
    attention_output_bias: Array  # [H]
    attention_norm_weight: Array  # [H]
    attention_norm_bias: Array  # [H]
    intermediate_weight: Array  # [H, I]
    intermediate_bias: Array  # [I]
    output_weight: Array  # [I, H]
    output_bias: Array  # [H]
    output_norm_weight: Array  # [H]
    output_norm_bias: Array  # [H]


@dataclass(frozen=True, slots=True)
class PoolerWeights:
    weight: Array  # [H, H], [in, out]
    bias: Array  # [H]


@dataclass(frozen=True, slots=True)
class Weights:
    """A whole BERT (also RoBERTa's and DistilBERT's weights: same parts, other key names)."""

    embeddings: EmbeddingWeights
    layers: tuple[LayerWeights, ...]
    pooler: PoolerWeights | None  # None where config.has_pooler is False


@dataclass(frozen=True, slots=True)
class Buffers:
    """The activations of one forward pass, allocated once and reused by every layer."""

    qkv: Array  # [tokens, 3H]
    scores: Array  # [batch, heads, seq, seq]
    context: Array  # [tokens, H]
    attended: Array  # [tokens, H]
    intermediate: Array  # [tokens, I]
    scratch: tuple[Array, Array]  # 2 x [tokens, I], the activation's work arrays

    @classmethod
    def allocate(cls, config: EncoderConfig, batch: int, seq: int) -> Buffers:
        tokens, hidden, inner = batch * seq, config.hidden_size, config.intermediate_size
        return cls(
            qkv=np.empty((tokens, 3 * hidden), dtype=np.float32),
            scores=np.empty((batch, config.num_attention_heads, seq, seq), dtype=np.float32),
            context=np.empty((tokens, hidden), dtype=np.float32),
            attended=np.empty((tokens, hidden), dtype=np.float32),
            intermediate=np.empty((tokens, inner), dtype=np.float32),
            scratch=(np.empty((tokens, inner), np.float32), np.empty((tokens, inner), np.float32)),
        )


# --- the key table: reading, writing, seeding ------------------------------------------------


def layer_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Checkpoint shape ([out, in] for matrices) of every part of one layer (all four variants)."""
    h, i = config.hidden_size, config.intermediate_size
    shapes: dict[str, tuple[int, ...]] = {}
    for name in ("query", "key", "value", "attention_output"):
        shapes |= {f"{name}.weight": (h, h), f"{name}.bias": (h,)}
    for name in ("attention_norm", "output_norm"):
        shapes |= {f"{name}.weight": (h,), f"{name}.bias": (h,)}
    shapes |= {"intermediate.weight": (i, h), "intermediate.bias": (i,)}
    return shapes | {"output.weight": (h, i), "output.bias": (h,)}


def part_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Checkpoint shape of every part of the model: embeddings of width E, layers, pooler."""
    e, h = config.embedding_width, config.hidden_size
    return layer_shapes(config) | {
        "word_embeddings": (config.vocab_size, e),
        "position_embeddings": (config.max_position_embeddings, e),
        "token_type_embeddings": (config.type_vocab_size, e),
        "embedding_norm.weight": (e,),
        "embedding_norm.bias": (e,),
        "pooler.weight": (h, h),
        "pooler.bias": (h,),
    }


def read_state(
    state: Mapping[str, Array],
    table: Mapping[str, str],
    shapes: Mapping[str, tuple[int, ...]],
    num_layers: int,
) -> tuple[dict[str, Array], list[dict[str, Array]]]:
    """Every key of ``table`` from ``state``, shape-checked (a WeightError names the key).

    Returns the parts read once and, per layer, the parts of keys with "{i}". Keys the table does
    not name are ignored: checkpoints carry heads and buffers an encoder does not use.
    """
    once = {part: take(state, key, shapes[part]) for key, part in table.items() if "{i}" not in key}
    per_layer = [
        {
            part: take(state, key.format(i=i), shapes[part])
            for key, part in table.items()
            if "{i}" in key
        }
        for i in range(num_layers)
    ]
    return once, per_layer


def write_state(
    table: Mapping[str, str], once: Mapping[str, Array], per_layer: Sequence[Mapping[str, Array]]
) -> dict[str, Array]:
    """The inverse of ``read_state``: parts back under their Hugging Face keys."""
    state: dict[str, Array] = {}
    for key, part in table.items():
        if "{i}" not in key:
            state[key] = once[part]
        for i, parts in enumerate(per_layer if "{i}" in key else ()):
            state[key.format(i=i)] = parts[part]
    return state


def random_state(
    table: Mapping[str, str], shapes: Mapping[str, tuple[int, ...]], num_layers: int, seed: int
) -> dict[str, Array]:
    """A state dict as Hugging Face's ``_init_weights`` makes one, drawn from ``seed``.

    Matrices and embeddings N(0, 0.02^2), biases 0, layer-norm weights 1 (padding rows are not
    zeroed: no output depends on them).
    """
    rng = np.random.default_rng(seed)
    entries = [(key, part) for key, part in table.items() if "{i}" not in key]
    entries += [
        (key.format(i=i), part)
        for i in range(num_layers)
        for key, part in table.items()
        if "{i}" in key
    ]
    state: dict[str, Array] = {}
    for key, part in entries:
        shape = shapes[part]
        if part.endswith("bias"):
            state[key] = np.zeros(shape, dtype=np.float32)
        elif part.endswith("norm.weight"):
            state[key] = np.ones(shape, dtype=np.float32)
        else:
            state[key] = normal(rng, shape)
    return state


def transposed(matrix: Array) -> Array:
    """A contiguous copy of ``matrix.T``: PyTorch's [out, in] <-> our [in, out]."""
    return np.ascontiguousarray(matrix.T)


def layer_from_parts(parts: Mapping[str, Array]) -> LayerWeights:
    """Our layer from its parts: matrices transposed, Q, K and V side by side in one [H, 3H]."""
    qkv = [parts[f"{name}.weight"].T for name in ("query", "key", "value")]  # 3 x [H, H]
    return LayerWeights(
        qkv_weight=np.concatenate(qkv, axis=1),  # [H, 3H]
        qkv_bias=np.concatenate([parts[f"{n}.bias"] for n in ("query", "key", "value")]),
        attention_output_weight=transposed(parts["attention_output.weight"]),
        attention_output_bias=parts["attention_output.bias"],
        attention_norm_weight=parts["attention_norm.weight"],
        attention_norm_bias=parts["attention_norm.bias"],
        intermediate_weight=transposed(parts["intermediate.weight"]),
        intermediate_bias=parts["intermediate.bias"],
        output_weight=transposed(parts["output.weight"]),
        output_bias=parts["output.bias"],
        output_norm_weight=parts["output_norm.weight"],
        output_norm_bias=parts["output_norm.bias"],
    )


def layer_to_parts(layer: LayerWeights) -> dict[str, Array]:
    """The inverse of ``layer_from_parts``: matrices are new [out, in] arrays, vectors shared."""
    q, k, v = np.split(layer.qkv_weight, 3, axis=1)  # [H, 3H] -> 3 x [H, H]
    qb, kb, vb = np.split(layer.qkv_bias, 3)  # [3H] -> 3 x [H]
    return {
        "query.weight": transposed(q),
        "query.bias": qb,
        "key.weight": transposed(k),
        "key.bias": kb,
        "value.weight": transposed(v),
        "value.bias": vb,
        "attention_output.weight": transposed(layer.attention_output_weight),
        "attention_output.bias": layer.attention_output_bias,
        "attention_norm.weight": layer.attention_norm_weight,
        "attention_norm.bias": layer.attention_norm_bias,
        "intermediate.weight": transposed(layer.intermediate_weight),
        "intermediate.bias": layer.intermediate_bias,
        "output.weight": transposed(layer.output_weight),
        "output.bias": layer.output_bias,
        "output_norm.weight": layer.output_norm_weight,
        "output_norm.bias": layer.output_norm_bias,
    }


def embeddings_from_parts(parts: Mapping[str, Array]) -> EmbeddingWeights:
    return EmbeddingWeights(
        word=parts["word_embeddings"],
        position=parts["position_embeddings"],
        token_type=parts.get("token_type_embeddings"),
        norm_weight=parts["embedding_norm.weight"],
        norm_bias=parts["embedding_norm.bias"],
    )


def embeddings_to_parts(embeddings: EmbeddingWeights) -> dict[str, Array]:
    parts = {
        "word_embeddings": embeddings.word,
        "position_embeddings": embeddings.position,
        "embedding_norm.weight": embeddings.norm_weight,
        "embedding_norm.bias": embeddings.norm_bias,
    }
    if embeddings.token_type is not None:
        parts["token_type_embeddings"] = embeddings.token_type
    return parts


def _table(*, has_pooler: bool) -> dict[str, str]:
    return {k: v for k, v in KEYS.items() if has_pooler or not k.startswith("pooler.")}


def from_state_dict(config: EncoderConfig, state: Mapping[str, Array]) -> Weights:
    """Weights from a ``BertModel`` state dict (no "bert." prefix); WeightError names a bad key.

    Vectors and embedding tables may share memory with ``state``; matrices are transposed copies.
    """
    table = _table(has_pooler=config.has_pooler)
    once, per_layer = read_state(state, table, part_shapes(config), config.num_hidden_layers)
    pooler = None
    if config.has_pooler:
        pooler = PoolerWeights(transposed(once["pooler.weight"]), once["pooler.bias"])
    return Weights(
        embeddings=embeddings_from_parts(once),
        layers=tuple(layer_from_parts(parts) for parts in per_layer),
        pooler=pooler,
    )


def to_state_dict(weights: Weights) -> dict[str, Array]:
    """``BertModel``'s state dict (float32; vectors are shared with ``weights``: do not write)."""
    once = embeddings_to_parts(weights.embeddings)
    if weights.pooler is not None:
        once |= {
            "pooler.weight": transposed(weights.pooler.weight),
            "pooler.bias": weights.pooler.bias,
        }
    per_layer = [layer_to_parts(layer) for layer in weights.layers]
    return write_state(_table(has_pooler=weights.pooler is not None), once, per_layer)


def init_weights(config: EncoderConfig, seed: int) -> Weights:
    """Seeded weights initialised as Hugging Face does, through the same key table."""
    table = _table(has_pooler=config.has_pooler)
    state = random_state(table, part_shapes(config), config.num_hidden_layers, seed)
    return from_state_dict(config, state)


# --- the forward pass ------------------------------------------------------------------------


def check_inputs(config: EncoderConfig, input_ids: Ids, attention_mask: Ids, max_seq: int) -> None:
    """ValueError naming what is wrong with the inputs, before any of them is used as an index."""
    if input_ids.ndim != 2 or input_ids.shape != attention_mask.shape or input_ids.size == 0:
        raise ValueError(
            f"input_ids {input_ids.shape} and attention_mask {attention_mask.shape} must be the "
            "same non-empty [batch, seq] shape"
        )
    if not np.issubdtype(input_ids.dtype, np.integer):
        raise ValueError(f"input_ids must be integers, not {input_ids.dtype}")
    if input_ids.shape[1] > max_seq:
        raise ValueError(f"{input_ids.shape[1]} tokens is more than the model's {max_seq}")
    low, high = int(input_ids.min()), int(input_ids.max())
    if low < 0 or high >= config.vocab_size:
        bad = low if low < 0 else high
        raise ValueError(f"token id {bad} is outside the vocabulary [0, {config.vocab_size})")


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
    """Scaled dot-product attention per head, in place: buffers.qkv -> buffers.context."""
    batch, _, seq, _ = buffers.scores.shape
    head_dim = buffers.context.shape[1] // heads
    q, k, v = buffers.qkv.reshape(batch, seq, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
    # q, k, v: [tokens, 3H] -> 3 x [batch, heads, seq, head_dim], strided views
    q *= np.float32(1.0 / math.sqrt(head_dim))  # scale Q (H wide) rather than scores (seq wide)
    # [batch, heads, seq, head_dim] @ [batch, heads, head_dim, seq] -> [batch, heads, seq, seq]
    scores = np.matmul(q, k.transpose(0, 1, 3, 2), out=buffers.scores)
    if bias is not None:
        scores += bias  # [batch, heads, seq, seq] + [batch, 1, 1, seq]
    softmax(scores, out=scores)  # over the keys
    # [tokens, H] -> [batch, heads, seq, head_dim], a view: the product lands in buffers.context
    context = buffers.context.reshape(batch, seq, heads, head_dim).transpose(0, 2, 1, 3)
    np.matmul(scores, v, out=context)  # [.., seq, seq] @ [.., seq, head_dim] -> [.., seq, head_dim]


def feed_forward(
    layer: LayerWeights,
    activation: Callable[..., Array],
    x: Array,
    buffers: Buffers,
    *,
    out: Array,
) -> None:
    """W2 act(W1 x + b1) + b2, written into ``out``: [tokens, H] -> [tokens, H]."""
    inner = np.matmul(x, layer.intermediate_weight, out=buffers.intermediate)  # -> [tokens, I]
    inner += layer.intermediate_bias
    activation(inner, out=inner, scratch=buffers.scratch)  # [tokens, I], in place
    np.matmul(inner, layer.output_weight, out=out)  # [tokens, I] -> [tokens, H]
    out += layer.output_bias


def encoder_layer(
    layer: LayerWeights,
    config: EncoderConfig,
    x: Array,
    bias: Array | None,
    buffers: Buffers,
    timer: Timer,
) -> None:
    """One post-LN transformer layer, in place: x [tokens, H] becomes the layer's output."""
    activation = ACTIVATIONS[config.hidden_act]
    eps = config.layer_norm_eps
    with timer("projections"):
        qkv = np.matmul(x, layer.qkv_weight, out=buffers.qkv)  # [tokens, H] -> [tokens, 3H]
        qkv += layer.qkv_bias
    with timer("attention"):
        self_attention(buffers, config.num_attention_heads, bias)  # -> context [tokens, H]
    attended = buffers.attended
    with timer("projections"):
        np.matmul(buffers.context, layer.attention_output_weight, out=attended)  # [tokens, H]
        attended += layer.attention_output_bias
    with timer("norms"):
        attended += x  # residual
        layer_norm(
            attended, layer.attention_norm_weight, layer.attention_norm_bias, eps, out=attended
        )
    with timer("feed_forward"):
        feed_forward(layer, activation, attended, buffers, out=x)  # [tokens, H] -> [tokens, H]
    with timer("norms"):
        x += attended  # residual
        layer_norm(x, layer.output_norm_weight, layer.output_norm_bias, eps, out=x)


def encode(
    layers: Sequence[LayerWeights],
    config: EncoderConfig,
    hidden: Array,
    attention_mask: Ids,
    timer: Timer,
) -> Array:
    """The layers, in order, in place on ``hidden``: [tokens, H] -> [batch, seq, H]."""
    if config.hidden_act not in ACTIVATIONS:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"hidden_act {config.hidden_act!r} is not supported; use one of {known}")
    batch, seq = attention_mask.shape
    buffers = Buffers.allocate(config, batch, seq)
    bias = mask_bias(attention_mask)  # [batch, 1, 1, seq] or None
    for layer in layers:
        encoder_layer(layer, config, hidden, bias, buffers, timer)
    return hidden.reshape(batch, seq, -1)  # [tokens, H] -> [batch, seq, H]


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
