"""DeBERTa-v3's weights for the fast path: the key table, the layer layout, reading and writing.

``from_state_dict`` reads a ``DebertaV2Model`` state dict through ``KEYS`` (shape-checked, the
same machinery as BERT's, see ``checkpoint``); per layer, Q, K and V are stacked into one [3H, H]
matrix so ``deberta`` projects them with one matmul.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.encoders.checkpoint import (
    LAYER_OUTPUT_KEYS,
    key_shapes,
    layer_shapes,
    random_state,
    read_state,
    write_state,
)
from app.encoders.configs import EncoderConfig
from app.encoders.ops import Array

__all__ = [
    "KEYS",
    "DebertaWeights",
    "EmbeddingWeights",
    "LayerWeights",
    "from_state_dict",
    "init_weights",
    "part_shapes",
    "state_dict_shapes",
    "to_state_dict",
]

# One key table: Hugging Face ``DebertaV2Model`` key -> our part name. "{i}" is the layer index.
KEYS: dict[str, str] = {
    "embeddings.word_embeddings.weight": "word_embeddings",
    "embeddings.LayerNorm.weight": "embedding_norm.weight",
    "embeddings.LayerNorm.bias": "embedding_norm.bias",
    "encoder.layer.{i}.attention.self.query_proj.weight": "query.weight",
    "encoder.layer.{i}.attention.self.query_proj.bias": "query.bias",
    "encoder.layer.{i}.attention.self.key_proj.weight": "key.weight",
    "encoder.layer.{i}.attention.self.key_proj.bias": "key.bias",
    "encoder.layer.{i}.attention.self.value_proj.weight": "value.weight",
    "encoder.layer.{i}.attention.self.value_proj.bias": "value.bias",
    **LAYER_OUTPUT_KEYS,
    "encoder.rel_embeddings.weight": "relative_embeddings",
    "encoder.LayerNorm.weight": "relative_norm.weight",
    "encoder.LayerNorm.bias": "relative_norm.bias",
}


@dataclass(frozen=True, slots=True)
class EmbeddingWeights:
    word_embeddings: Array  # [V, H]
    norm_weight: Array  # [H]
    norm_bias: Array  # [H]


@dataclass(frozen=True, slots=True)
class LayerWeights:
    """One transformer layer. Q, K and V are stored fused, rows in that order, for one matmul."""

    qkv_weight: Array  # [3H, H] query_proj; key_proj; value_proj
    qkv_bias: Array  # [3H]
    attention_output_weight: Array  # [H, H]
    attention_output_bias: Array  # [H]
    attention_norm_weight: Array  # [H]
    attention_norm_bias: Array  # [H]
    intermediate_weight: Array  # [I, H]
    intermediate_bias: Array  # [I]
    output_weight: Array  # [H, I]
    output_bias: Array  # [H]
    output_norm_weight: Array  # [H]
    output_norm_bias: Array  # [H]


@dataclass(frozen=True, slots=True)
class DebertaWeights:
    embeddings: EmbeddingWeights
    rel_embeddings: Array  # [2k, H] shared by all layers
    rel_norm_weight: Array  # [H]
    rel_norm_bias: Array  # [H]
    layers: tuple[LayerWeights, ...]


def part_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Checkpoint shape ([out, in] for matrices) of every part named in ``KEYS``."""
    h = config.hidden_size
    return layer_shapes(config) | {  # the layer's parts are BERT's
        "word_embeddings": (config.vocab_size, h),
        "embedding_norm.weight": (h,),
        "embedding_norm.bias": (h,),
        "relative_embeddings": (2 * config.relative_span, h),
        "relative_norm.weight": (h,),
        "relative_norm.bias": (h,),
    }


def state_dict_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Every ``DebertaV2Model`` state-dict key with its shape, in checkpoint order."""
    return key_shapes(KEYS, part_shapes(config), config.num_hidden_layers)


def _layer_from_parts(parts: Mapping[str, Array]) -> LayerWeights:
    names = ("query", "key", "value")
    return LayerWeights(
        qkv_weight=np.concatenate([parts[f"{name}.weight"] for name in names]),  # [3H, H]
        qkv_bias=np.concatenate([parts[f"{name}.bias"] for name in names]),  # [3H]
        attention_output_weight=parts["attention_output.weight"],
        attention_output_bias=parts["attention_output.bias"],
        attention_norm_weight=parts["attention_norm.weight"],
        attention_norm_bias=parts["attention_norm.bias"],
        intermediate_weight=parts["intermediate.weight"],
        intermediate_bias=parts["intermediate.bias"],
        output_weight=parts["output.weight"],
        output_bias=parts["output.bias"],
        output_norm_weight=parts["output_norm.weight"],
        output_norm_bias=parts["output_norm.bias"],
    )


def _layer_to_parts(layer: LayerWeights) -> dict[str, Array]:
    """The inverse of ``_layer_from_parts``; Q, K and V are views of the fused matrix."""
    parts: dict[str, Array] = {}
    for name, weight, bias in zip(
        ("query", "key", "value"),
        np.split(layer.qkv_weight, 3),  # 3 x [H, H]
        np.split(layer.qkv_bias, 3),  # 3 x [H]
        strict=True,
    ):
        parts |= {f"{name}.weight": weight, f"{name}.bias": bias}
    for name in ("attention_output", "attention_norm", "intermediate", "output", "output_norm"):
        parts[f"{name}.weight"] = getattr(layer, f"{name}_weight")
        parts[f"{name}.bias"] = getattr(layer, f"{name}_bias")
    return parts


def from_state_dict(config: EncoderConfig, state: Mapping[str, Array]) -> DebertaWeights:
    """Weights from a ``DebertaV2Model`` state dict; WeightError names a missing or misshapen key."""
    once, per_layer = read_state(state, KEYS, part_shapes(config), config.num_hidden_layers)
    embeddings = EmbeddingWeights(
        once["word_embeddings"], once["embedding_norm.weight"], once["embedding_norm.bias"]
    )
    return DebertaWeights(
        embeddings=embeddings,
        rel_embeddings=once["relative_embeddings"],
        rel_norm_weight=once["relative_norm.weight"],
        rel_norm_bias=once["relative_norm.bias"],
        layers=tuple(_layer_from_parts(parts) for parts in per_layer),
    )


def to_state_dict(weights: DebertaWeights) -> dict[str, Array]:
    """The weights under ``DebertaV2Model`` state-dict keys (``load_state_dict(strict=True)``)."""
    once = {
        "word_embeddings": weights.embeddings.word_embeddings,
        "embedding_norm.weight": weights.embeddings.norm_weight,
        "embedding_norm.bias": weights.embeddings.norm_bias,
        "relative_embeddings": weights.rel_embeddings,
        "relative_norm.weight": weights.rel_norm_weight,
        "relative_norm.bias": weights.rel_norm_bias,
    }
    return write_state(KEYS, once, [_layer_to_parts(layer) for layer in weights.layers])


def init_weights(config: EncoderConfig, seed: int) -> DebertaWeights:
    """Seeded weights initialised as Hugging Face does, through the key table; the padding row
    of the vocabulary is zero."""
    state = random_state(KEYS, part_shapes(config), config.num_hidden_layers, seed)
    state["embeddings.word_embeddings.weight"][config.pad_token_id] = 0.0
    return from_state_dict(config, state)
