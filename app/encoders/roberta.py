"""RoBERTa (Liu et al. 2019; Hugging Face ``RobertaModel``): BERT's encoder, other embeddings.

The layers, the pooler, the weights (``bert.Weights``) and every checkpoint key are BERT's; RoBERTa
changed the pre-training recipe (more data, dynamic masking, no next-sentence prediction, a
byte-level BPE vocabulary), not the network. What differs in a forward pass is the input side:

* **Positions start after the padding id.** RoBERTa comes from fairseq, where position ids are
  counted like this: a real token at index t (among the real tokens) gets ``pad_token_id + 1 + t``,
  a padding token gets ``pad_token_id`` itself (Hugging Face's
  ``create_position_ids_from_input_ids``). With pad id 1, 512 tokens need rows 2..513, hence
  ``max_position_embeddings = 514``. The positions come from ``input_ids``, not from the
  attention mask: padding must use the pad id (1) to get the padding position.
* **One token type.** ``type_vocab_size = 1``: with next-sentence prediction gone, segments carry
  no signal; the single row is still added to every token.
* **fairseq's constants**: layer-norm eps 1e-5 (BERT: 1e-12) and pad id 1 (BERT: 0), both read
  from the config.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.encoders import bert
from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput, Ids, check_inputs
from app.encoders.ops import NULL_TIMER, Array, Timer

__all__ = [
    "KEYS",
    "Weights",
    "forward",
    "from_state_dict",
    "init_weights",
    "position_ids",
    "to_state_dict",
]

Weights = bert.Weights
KEYS = bert.KEYS  # RobertaModel's state dict uses BertModel's key names


def position_ids(input_ids: Ids, pad_token_id: int) -> Ids:
    """fairseq's positions: pad_token_id + 1, + 2, ... for real tokens, pad_token_id for padding."""
    real = (input_ids != pad_token_id).astype(np.int64)  # [batch, seq] 1 for real tokens
    positions: Ids = np.cumsum(real, axis=1) * real + pad_token_id  # [batch, seq]
    return positions


def init_weights(config: EncoderConfig, seed: int) -> Weights:
    return bert.init_weights(config, seed)


def from_state_dict(config: EncoderConfig, state: Mapping[str, Array]) -> Weights:
    """Weights from a ``RobertaModel`` state dict (no "roberta." prefix)."""
    return bert.from_state_dict(config, state)


def to_state_dict(weights: Weights) -> dict[str, Array]:
    return bert.to_state_dict(weights)


def forward(
    weights: Weights,
    config: EncoderConfig,
    input_ids: Ids,
    attention_mask: Ids,
    *,
    timer: Timer = NULL_TIMER,
) -> EncoderOutput:
    """last_hidden_state [batch, seq, H] and pooler_output [batch, H]."""
    max_seq = config.max_position_embeddings - config.pad_token_id - 1  # 514 - 1 - 1 = 512
    check_inputs(config, input_ids, attention_mask, max_seq)
    with timer("embeddings"):
        ids = position_ids(input_ids, config.pad_token_id)  # [batch, seq]
        positions = np.take(weights.embeddings.position, ids, axis=0)  # [batch, seq, H]
        hidden = bert.embed(weights.embeddings, config, input_ids, positions)  # [tokens, H]
    hidden = bert.encode(weights.layers, config, hidden, attention_mask, timer)  # [batch, seq, H]
    pooled = bert.pool(weights.pooler, hidden, timer)  # [batch, H]
    return EncoderOutput(last_hidden_state=hidden, pooler_output=pooled)
