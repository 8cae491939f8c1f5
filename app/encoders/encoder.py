"""What every encoder module shares: its output, its weight errors, its input check.

Each architecture lives in its own module (``bert``, ``roberta``, ``distilbert``, ``albert``,
``deberta``) and offers the same four functions::

    init_weights(config: EncoderConfig, seed: int) -> Weights
    forward(weights, config, input_ids, attention_mask, *, timer=NULL_TIMER) -> EncoderOutput
    to_state_dict(weights) -> dict[str, Array]        # Hugging Face checkpoint key names
    from_state_dict(config, state) -> Weights         # one explicit key table, shape-checked

``input_ids`` and ``attention_mask`` are int64 arrays [batch, seq]; the mask is 1 for real
tokens and 0 for padding, as in Hugging Face. ``reference`` and ``reference_deberta`` compute the
same five models plainly, straight from a state dict: ``reference.bert(state, config, input_ids,
attention_mask)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.encoders.configs import EncoderConfig
from app.encoders.ops import Array

__all__ = ["EncoderOutput", "Ids", "WeightError", "check_inputs"]

Ids = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class EncoderOutput:
    """last_hidden_state [batch, seq, hidden]; pooler_output [batch, hidden] where the model has one."""

    last_hidden_state: Array
    pooler_output: Array | None = None


class WeightError(ValueError):
    """A checkpoint key is missing or a tensor has the wrong shape; the message names which."""


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
