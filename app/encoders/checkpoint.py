"""Reading, writing and seeding weights through one key table per architecture.

A key table maps each Hugging Face checkpoint key to our name for the part (``KEYS`` in
``bert_weights``, ``distilbert``, ``albert``, ``deberta``); "{i}" in a key is the layer index. A
part's shape comes from the config (``part_shapes``), and every tensor read is checked against it,
so a wrong checkpoint fails with a WeightError that names the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from app.encoders.configs import EncoderConfig
from app.encoders.encoder import WeightError
from app.encoders.ops import Array

__all__ = [
    "LAYER_OUTPUT_KEYS",
    "key_shapes",
    "layer_shapes",
    "normal",
    "random_state",
    "read_state",
    "take",
    "write_state",
]

Shapes = Mapping[str, tuple[int, ...]]

# What follows self-attention in a BERT-style layer, keyed alike in BertModel and DebertaV2Model:
# the attention output projection and its norm, then the feed-forward and its norm.
LAYER_OUTPUT_KEYS: dict[str, str] = {
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
}


def take(state: Mapping[str, Array], key: str, shape: tuple[int, ...]) -> Array:
    """``state[key]`` as a contiguous float32 array of exactly ``shape``, or a WeightError."""
    if key not in state:
        raise WeightError(f"missing weight {key!r} (expected shape {shape})")
    array = np.ascontiguousarray(state[key], dtype=np.float32)
    if array.shape != shape:
        raise WeightError(f"weight {key!r} has shape {array.shape}, expected {shape}")
    return array


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float = 0.02) -> Array:
    """Hugging Face's initialisation for weights: N(0, std^2), float32."""
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(
        np.float32, copy=False
    )


def _in_checkpoint_order(
    table: Mapping[str, str], num_layers: int
) -> list[tuple[str, str, int | None]]:
    """(key, part, layer index or None) in the order a checkpoint lists them: the keys before the
    layers, then layer 0's keys, layer 1's ..., then the keys after (the layer keys come together)."""
    layer_keys = [key for key in table if "{i}" in key]
    entries: list[tuple[str, str, int | None]] = []
    for key, part in table.items():
        if "{i}" not in key:
            entries.append((key, part, None))
        elif key == layer_keys[0]:
            entries += [(k.format(i=i), table[k], i) for i in range(num_layers) for k in layer_keys]
    return entries


def key_shapes(
    table: Mapping[str, str], shapes: Shapes, num_layers: int
) -> dict[str, tuple[int, ...]]:
    """Every checkpoint key of ``table`` with its shape, in checkpoint order."""
    return {key: shapes[part] for key, part, _ in _in_checkpoint_order(table, num_layers)}


def read_state(
    state: Mapping[str, Array], table: Mapping[str, str], shapes: Shapes, num_layers: int
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
    """The inverse of ``read_state``: parts back under their Hugging Face keys, checkpoint order."""
    return {
        key: once[part] if i is None else per_layer[i][part]
        for key, part, i in _in_checkpoint_order(table, len(per_layer))
    }


def random_state(
    table: Mapping[str, str], shapes: Shapes, num_layers: int, seed: int
) -> dict[str, Array]:
    """A state dict as Hugging Face's ``_init_weights`` makes one, drawn from ``seed``.

    Matrices and embeddings N(0, 0.02^2), biases 0, layer-norm weights 1 (padding rows are not
    zeroed here). The draws go in table order, the keys read once first (BERT's pooler before
    its layers), then layer by layer: the order every seeded model in the lab was drawn in.
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


def layer_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Checkpoint shape ([out, in] for matrices) of every part of one transformer layer, under the
    part names all five key tables share."""
    h, i = config.hidden_size, config.intermediate_size
    shapes: dict[str, tuple[int, ...]] = {}
    for name in ("query", "key", "value", "attention_output"):
        shapes |= {f"{name}.weight": (h, h), f"{name}.bias": (h,)}
    for name in ("attention_norm", "output_norm"):
        shapes |= {f"{name}.weight": (h,), f"{name}.bias": (h,)}
    shapes |= {"intermediate.weight": (i, h), "intermediate.bias": (i,)}
    return shapes | {"output.weight": (h, i), "output.bias": (h,)}
