"""DistilBERT (Sanh et al. 2019; Hugging Face ``DistilBertModel``): BERT distilled to 6 layers.

The layer is BERT's to the last operation (post-LN, exact GELU, 1/sqrt(d) scaling, which
Hugging Face applies to Q before the product: the same numbers). DistilBERT was trained to copy
bert-base's outputs with half the depth; what differs from BERT:

* **6 layers** (``num_hidden_layers``), initialised from every other layer of the teacher; width,
  heads and feed-forward are bert-base's. About 60% of the time, 97% of the GLUE score.
* **No token type embeddings**: next-sentence prediction was dropped, so there are no segments.
  The embeddings are LN(word + position), eps 1e-12.
* **No pooler**: the output is ``last_hidden_state`` only (``pooler_output`` is None).
* **Other key names**: ``transformer.layer.N`` with ``attention.q_lin / k_lin / v_lin / out_lin``,
  ``sa_layer_norm``, ``ffn.lin1 / lin2`` and ``output_layer_norm`` (table below). Hugging Face's
  config calls the widths ``dim``, ``n_layers``, ``n_heads`` and ``hidden_dim``; ours keeps BERT's
  names, and its eps (1e-12) is the value Hugging Face hard-codes in every DistilBERT layer norm.

The weights are ``bert.Weights`` with ``token_type=None`` and ``pooler=None``, so the forward pass
is BERT's.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.encoders import bert
from app.encoders.bert_weights import (
    embeddings_from_parts,
    embeddings_to_parts,
    layer_from_parts,
    layer_to_parts,
    part_shapes,
)
from app.encoders.checkpoint import random_state, read_state, write_state
from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput, Ids
from app.encoders.ops import NULL_TIMER, Array, Timer

__all__ = ["KEYS", "Weights", "forward", "from_state_dict", "init_weights", "to_state_dict"]

Weights = bert.Weights

# One key table: Hugging Face ``DistilBertModel`` key -> our part name. "{i}" is the layer index.
KEYS: dict[str, str] = {
    "embeddings.word_embeddings.weight": "word_embeddings",
    "embeddings.position_embeddings.weight": "position_embeddings",
    "embeddings.LayerNorm.weight": "embedding_norm.weight",
    "embeddings.LayerNorm.bias": "embedding_norm.bias",
    "transformer.layer.{i}.attention.q_lin.weight": "query.weight",
    "transformer.layer.{i}.attention.q_lin.bias": "query.bias",
    "transformer.layer.{i}.attention.k_lin.weight": "key.weight",
    "transformer.layer.{i}.attention.k_lin.bias": "key.bias",
    "transformer.layer.{i}.attention.v_lin.weight": "value.weight",
    "transformer.layer.{i}.attention.v_lin.bias": "value.bias",
    "transformer.layer.{i}.attention.out_lin.weight": "attention_output.weight",
    "transformer.layer.{i}.attention.out_lin.bias": "attention_output.bias",
    "transformer.layer.{i}.sa_layer_norm.weight": "attention_norm.weight",
    "transformer.layer.{i}.sa_layer_norm.bias": "attention_norm.bias",
    "transformer.layer.{i}.ffn.lin1.weight": "intermediate.weight",
    "transformer.layer.{i}.ffn.lin1.bias": "intermediate.bias",
    "transformer.layer.{i}.ffn.lin2.weight": "output.weight",
    "transformer.layer.{i}.ffn.lin2.bias": "output.bias",
    "transformer.layer.{i}.output_layer_norm.weight": "output_norm.weight",
    "transformer.layer.{i}.output_layer_norm.bias": "output_norm.bias",
}


def from_state_dict(config: EncoderConfig, state: Mapping[str, Array]) -> Weights:
    """Weights from a ``DistilBertModel`` state dict (no "distilbert." prefix)."""
    shapes = part_shapes(config)
    once, per_layer = read_state(state, KEYS, shapes, config.num_hidden_layers)
    return Weights(
        embeddings=embeddings_from_parts(once),  # no token types
        layers=tuple(layer_from_parts(parts) for parts in per_layer),
        pooler=None,
    )


def to_state_dict(weights: Weights) -> dict[str, Array]:
    """``DistilBertModel``'s state dict (float32; vectors are shared with ``weights``)."""
    once = embeddings_to_parts(weights.embeddings)
    per_layer = [layer_to_parts(layer) for layer in weights.layers]
    return write_state(KEYS, once, per_layer)


def init_weights(config: EncoderConfig, seed: int) -> Weights:
    """Seeded weights initialised as Hugging Face does, through the key table."""
    state = random_state(KEYS, part_shapes(config), config.num_hidden_layers, seed)
    return from_state_dict(config, state)


def forward(
    weights: Weights,
    config: EncoderConfig,
    input_ids: Ids,
    attention_mask: Ids,
    *,
    timer: Timer = NULL_TIMER,
) -> EncoderOutput:
    """last_hidden_state [batch, seq, H]; pooler_output is None (DistilBERT has no pooler)."""
    return bert.forward(weights, config, input_ids, attention_mask, timer=timer)
