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

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput, normal, take
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
    "packed",
    "part_shapes",
    "pool",
    "random_state",
    "read_state",
    "self_attention",
    "split_bias",
    "to_state_dict",
    "transposed",
    "with_bias",
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
    """One transformer layer. Each matrix is PyTorch's [out, in] with its bias appended as a last
    column, [out, in + 1]: the activation it multiplies carries a row of ones."""

    qkv: Array  # [3H, H + 1]: query rows (times query_scale), key rows, value rows | biases
    query_scale: float  # 1 / sqrt(head_dim), folded into the query rows, divided out when written
    attention_output: Array  # [H, H + 1]
    attention_norm_weight: Array  # [H]
    attention_norm_bias: Array  # [H]
    intermediate: Array  # [I, H + 1]
    output: Array  # [H, I + 1]
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


def with_bias(weight: Array, bias: Array) -> Array:
    """[out, in] and [out] -> [out, in + 1], the bias as the last column."""
    return np.concatenate([weight, bias[:, None]], axis=1)


def split_bias(matrix: Array) -> tuple[Array, Array]:
    """The inverse of ``with_bias``: new contiguous [out, in] and [out] arrays."""
    return np.ascontiguousarray(matrix[:, :-1]), matrix[:, -1].copy()


def layer_from_parts(parts: Mapping[str, Array], head_dim: int) -> LayerWeights:
    """Our layer from its checkpoint parts: Q, K and V stacked, the query scaled, biases appended."""
    scale = 1.0 / math.sqrt(head_dim)
    q = with_bias(parts["query.weight"], parts["query.bias"]) * np.float32(scale)  # [H, H + 1]
    k = with_bias(parts["key.weight"], parts["key.bias"])
    v = with_bias(parts["value.weight"], parts["value.bias"])
    return LayerWeights(
        qkv=np.concatenate([q, k, v]),  # [3H, H + 1]
        query_scale=scale,
        attention_output=with_bias(
            parts["attention_output.weight"], parts["attention_output.bias"]
        ),
        attention_norm_weight=parts["attention_norm.weight"],
        attention_norm_bias=parts["attention_norm.bias"],
        intermediate=with_bias(parts["intermediate.weight"], parts["intermediate.bias"]),
        output=with_bias(parts["output.weight"], parts["output.bias"]),
        output_norm_weight=parts["output_norm.weight"],
        output_norm_bias=parts["output_norm.bias"],
    )


def packed(layers: Iterable[LayerWeights], count: int) -> tuple[LayerWeights, ...]:
    """``count`` layers, their arrays copied into one buffer in the order a forward pass reads them.

    Separately allocated, twelve layers' matrices lie on thousands of 4 KB pages; one buffer over
    4 MB gets transparent huge pages from numpy, so streaming the weights through the caches on
    every pass misses the TLB less (BERT at tiny, 9.5 MB of layers: about 1.5% faster). Each array
    starts on a 64-byte cache line. ``layers`` is consumed one at a time (pass a generator and
    only one loose layer exists at once, not a second copy of the model), all of one shape.
    """
    names = [f.name for f in fields(LayerWeights) if f.name != "query_scale"]
    line = 16  # float32s in 64 bytes
    arena: Array | None = None
    offset, first_shapes = 0, []
    result: list[LayerWeights] = []
    for layer in layers:
        shapes = [getattr(layer, name).shape for name in names]
        if arena is None:
            per_layer = sum(-(-math.prod(shape) // line) * line for shape in shapes)
            arena = np.empty(per_layer * count + line, dtype=np.float32)
            offset = (-arena.ctypes.data // 4) % line  # the first 64-byte boundary
            first_shapes = shapes
        elif shapes != first_shapes:
            raise ValueError(f"layer {len(result)} is shaped {shapes}, layer 0 {first_shapes}")
        views: dict[str, Any] = {}  # replace() checks the names, not the types
        for name, shape in zip(names, shapes, strict=True):
            size = math.prod(shape)
            view = arena[offset : offset + size].reshape(shape)
            view[...] = getattr(layer, name)
            views[name] = view
            offset += -(-size // line) * line
        result.append(replace(layer, **views))
    if len(result) != count:
        raise ValueError(f"expected {count} layers, got {len(result)}")
    return tuple(result)


def layer_to_parts(layer: LayerWeights) -> dict[str, Array]:
    """The inverse of ``layer_from_parts``: matrices and biases are new arrays, norms shared.

    Exact when sqrt(head_dim) is a power of two (64, 16, 4); otherwise a query value may come back
    one float32 rounding away from the checkpoint's (head_dim 32: about 15% of them).
    """
    q, k, v = np.split(layer.qkv, 3)  # [3H, H + 1] -> 3 x [H, H + 1]
    parts: dict[str, Array] = {}
    for name, matrix in (
        ("query", q / np.float32(layer.query_scale)),
        ("key", k),
        ("value", v),
        ("attention_output", layer.attention_output),
        ("intermediate", layer.intermediate),
        ("output", layer.output),
    ):
        parts[f"{name}.weight"], parts[f"{name}.bias"] = split_bias(matrix)
    return parts | {
        "attention_norm.weight": layer.attention_norm_weight,
        "attention_norm.bias": layer.attention_norm_bias,
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

    Embedding tables and norms may share memory with ``state``; the layer matrices are new arrays.
    """
    table = _table(has_pooler=config.has_pooler)
    once, per_layer = read_state(state, table, part_shapes(config), config.num_hidden_layers)
    pooler = None
    if config.has_pooler:
        pooler = PoolerWeights(transposed(once["pooler.weight"]), once["pooler.bias"])
    return Weights(
        embeddings=embeddings_from_parts(once),
        layers=packed((layer_from_parts(p, config.head_dim) for p in per_layer), len(per_layer)),
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
