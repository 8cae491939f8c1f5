"""BERT's weights for the fast path: the key table, the layer layout, reading and writing.

``from_state_dict`` reads a ``BertModel`` state dict through ``KEYS`` (shape-checked, see
``checkpoint``) into the layout ``bert``'s forward pass multiplies: per layer, Q, K and V stacked
into one [3H, H + 1] matrix and every bias appended to its matrix as a last column (see ``bert``
for what each buys). RoBERTa, DistilBERT and ALBERT reuse these parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.encoders.checkpoint import (
    LAYER_OUTPUT_KEYS,
    layer_shapes,
    random_state,
    read_state,
    write_state,
)
from app.encoders.configs import EncoderConfig
from app.encoders.ops import Array

__all__ = [
    "KEYS",
    "EmbeddingWeights",
    "LayerWeights",
    "PoolerWeights",
    "Weights",
    "embeddings_from_parts",
    "embeddings_to_parts",
    "from_state_dict",
    "init_weights",
    "layer_from_parts",
    "layer_to_parts",
    "part_shapes",
    "to_state_dict",
    "transposed",
    "with_bias",
]

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
    **LAYER_OUTPUT_KEYS,
    "pooler.dense.weight": "pooler.weight",
    "pooler.dense.bias": "pooler.bias",
}


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

    qkv: Array  # [3H, H + 1]: query rows, key rows, value rows | their biases
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


def transposed(matrix: Array) -> Array:
    """A contiguous copy of ``matrix.T``: PyTorch's [out, in] <-> our [in, out]."""
    return np.ascontiguousarray(matrix.T)


def with_bias(weight: Array, bias: Array) -> Array:
    """[out, in] and [out] -> [out, in + 1], the bias as the last column."""
    return np.concatenate([weight, bias[:, None]], axis=1)


def split_bias(matrix: Array) -> tuple[Array, Array]:
    """The inverse of ``with_bias``: new contiguous [out, in] and [out] arrays."""
    return np.ascontiguousarray(matrix[:, :-1]), matrix[:, -1].copy()


def layer_from_parts(parts: Mapping[str, Array]) -> LayerWeights:
    """Our layer from its checkpoint parts: Q, K and V stacked, each bias appended as a column."""
    q = with_bias(parts["query.weight"], parts["query.bias"])  # [H, H + 1]
    k = with_bias(parts["key.weight"], parts["key.bias"])  # [H, H + 1]
    v = with_bias(parts["value.weight"], parts["value.bias"])  # [H, H + 1]
    return LayerWeights(
        qkv=np.concatenate([q, k, v]),  # [3H, H + 1]
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


def layer_to_parts(layer: LayerWeights) -> dict[str, Array]:
    """The inverse of ``layer_from_parts``: matrices and biases are new arrays, norms shared."""
    q, k, v = np.split(layer.qkv, 3)  # [3H, H + 1] -> 3 x [H, H + 1]
    parts: dict[str, Array] = {}
    for name, matrix in (
        ("query", q),
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
