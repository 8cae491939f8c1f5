"""What every encoder module shares: its output, its weight errors, seeded initialisation.

Each architecture lives in its own module (``bert``, ``roberta``, ``distilbert``, ``albert``,
``deberta``) and offers the same four functions::

    init_weights(config: EncoderConfig, seed: int) -> Weights
    forward(weights, config, input_ids, attention_mask, *, timer=NULL_TIMER) -> EncoderOutput
    to_state_dict(weights) -> dict[str, Array]        # Hugging Face checkpoint key names
    from_state_dict(config, state) -> Weights         # one explicit key table, shape-checked

``input_ids`` and ``attention_mask`` are int64 arrays [batch, seq]; the mask is 1 for real
tokens and 0 for padding, as in Hugging Face.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.encoders.ops import Array

__all__ = ["EncoderOutput", "WeightError", "normal", "take"]


@dataclass(frozen=True, slots=True)
class EncoderOutput:
    """last_hidden_state [batch, seq, hidden]; pooler_output [batch, hidden] where the model has one."""

    last_hidden_state: Array
    pooler_output: Array | None = None


class WeightError(ValueError):
    """A checkpoint key is missing or a tensor has the wrong shape; the message names which."""


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float = 0.02) -> Array:
    """Hugging Face's initialisation for weights: N(0, std^2), float32."""
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(
        np.float32, copy=False
    )


def take(state: Mapping[str, Array], key: str, shape: tuple[int, ...]) -> Array:
    """``state[key]`` as a contiguous float32 array of exactly ``shape``, or a WeightError."""
    if key not in state:
        raise WeightError(f"missing weight {key!r} (expected shape {shape})")
    array = np.ascontiguousarray(state[key], dtype=np.float32)
    if array.shape != shape:
        raise WeightError(f"weight {key!r} has shape {array.shape}, expected {shape}")
    return array
