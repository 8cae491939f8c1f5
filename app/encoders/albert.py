"""ALBERT (Lan et al. 2020; Hugging Face ``AlbertModel``): BERT with far fewer parameters.

Same post-LN layer, same embedding sum, same pooler as BERT; ALBERT cuts parameters, not compute:

* **Factorised embeddings.** The tables are E wide (``embedding_size``: 128 at base) rather than
  H (768), layer-normed in E, then ``encoder.embedding_hidden_mapping_in`` projects E -> H (timed
  as ``embedding_projection``). The vocabulary costs V*E + E*H instead of V*H: the embeddings
  only need to hold context-free token identities, the hidden states hold context.
* **One layer, shared.** ``num_hidden_groups = 1`` and ``inner_group_num = 1``: a single layer's
  weights are applied ``num_hidden_layers`` times (12 x fewer encoder parameters than BERT, the
  same FLOPs). The checkpoint holds that one layer, under
  ``encoder.albert_layer_groups.0.albert_layers.0``.
* **gelu_new**, the tanh approximation of GELU (``hidden_act``), where BERT uses the erf form.
* **Other key names** inside the layer (``attention.dense``, ``ffn``, ``ffn_output``,
  ``full_layer_layer_norm``) and the pooler (``pooler.weight``, no ``.dense``): see the table.

Sentence-order prediction replaced next-sentence prediction in pre-training; the two token types
remain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.encoders import bert
from app.encoders.bert_weights import (
    EmbeddingWeights,
    LayerWeights,
    PoolerWeights,
    embeddings_from_parts,
    embeddings_to_parts,
    layer_from_parts,
    layer_to_parts,
    part_shapes,
    transposed,
)
from app.encoders.checkpoint import random_state, read_state, write_state
from app.encoders.configs import EncoderConfig
from app.encoders.encoder import EncoderOutput, Ids, check_inputs
from app.encoders.ops import NULL_TIMER, Array, Timer

__all__ = ["KEYS", "Weights", "forward", "from_state_dict", "init_weights", "to_state_dict"]

_LAYER = "encoder.albert_layer_groups.0.albert_layers.0"

# One key table: Hugging Face ``AlbertModel`` key -> our part name. No "{i}": one shared layer.
KEYS: dict[str, str] = {
    "embeddings.word_embeddings.weight": "word_embeddings",
    "embeddings.position_embeddings.weight": "position_embeddings",
    "embeddings.token_type_embeddings.weight": "token_type_embeddings",
    "embeddings.LayerNorm.weight": "embedding_norm.weight",
    "embeddings.LayerNorm.bias": "embedding_norm.bias",
    "encoder.embedding_hidden_mapping_in.weight": "projection.weight",
    "encoder.embedding_hidden_mapping_in.bias": "projection.bias",
    f"{_LAYER}.attention.query.weight": "query.weight",
    f"{_LAYER}.attention.query.bias": "query.bias",
    f"{_LAYER}.attention.key.weight": "key.weight",
    f"{_LAYER}.attention.key.bias": "key.bias",
    f"{_LAYER}.attention.value.weight": "value.weight",
    f"{_LAYER}.attention.value.bias": "value.bias",
    f"{_LAYER}.attention.dense.weight": "attention_output.weight",
    f"{_LAYER}.attention.dense.bias": "attention_output.bias",
    f"{_LAYER}.attention.LayerNorm.weight": "attention_norm.weight",
    f"{_LAYER}.attention.LayerNorm.bias": "attention_norm.bias",
    f"{_LAYER}.ffn.weight": "intermediate.weight",
    f"{_LAYER}.ffn.bias": "intermediate.bias",
    f"{_LAYER}.ffn_output.weight": "output.weight",
    f"{_LAYER}.ffn_output.bias": "output.bias",
    f"{_LAYER}.full_layer_layer_norm.weight": "output_norm.weight",
    f"{_LAYER}.full_layer_layer_norm.bias": "output_norm.bias",
    "pooler.weight": "pooler.weight",
    "pooler.bias": "pooler.bias",
}


@dataclass(frozen=True, slots=True)
class Weights:
    embeddings: EmbeddingWeights  # E wide
    projection_weight: Array  # [E, H], [in, out]: it multiplies the token-major embeddings
    projection_bias: Array  # [H]
    layer: LayerWeights  # the one layer, applied num_hidden_layers times
    pooler: PoolerWeights | None


def _table(*, has_pooler: bool) -> dict[str, str]:
    return {k: v for k, v in KEYS.items() if has_pooler or not k.startswith("pooler.")}


def _shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    h, e = config.hidden_size, config.embedding_width
    return part_shapes(config) | {"projection.weight": (h, e), "projection.bias": (h,)}


def from_state_dict(config: EncoderConfig, state: Mapping[str, Array]) -> Weights:
    """Weights from an ``AlbertModel`` state dict (no "albert." prefix)."""
    once, _ = read_state(state, _table(has_pooler=config.has_pooler), _shapes(config), 0)
    pooler = None
    if config.has_pooler:
        pooler = PoolerWeights(transposed(once["pooler.weight"]), once["pooler.bias"])
    return Weights(
        embeddings=embeddings_from_parts(once),
        projection_weight=transposed(once["projection.weight"]),
        projection_bias=once["projection.bias"],
        layer=layer_from_parts(once),
        pooler=pooler,
    )


def to_state_dict(weights: Weights) -> dict[str, Array]:
    """``AlbertModel``'s state dict (float32; vectors are shared with ``weights``: do not write)."""
    once = embeddings_to_parts(weights.embeddings) | layer_to_parts(weights.layer)
    once |= {
        "projection.weight": transposed(weights.projection_weight),
        "projection.bias": weights.projection_bias,
    }
    if weights.pooler is not None:
        once |= {
            "pooler.weight": transposed(weights.pooler.weight),
            "pooler.bias": weights.pooler.bias,
        }
    return write_state(_table(has_pooler=weights.pooler is not None), once, [])


def init_weights(config: EncoderConfig, seed: int) -> Weights:
    """Seeded weights initialised as Hugging Face does, through the key table."""
    state = random_state(_table(has_pooler=config.has_pooler), _shapes(config), 0, seed)
    return from_state_dict(config, state)


def forward(
    weights: Weights,
    config: EncoderConfig,
    input_ids: Ids,
    attention_mask: Ids,
    *,
    timer: Timer = NULL_TIMER,
) -> EncoderOutput:
    """last_hidden_state [batch, seq, H] and pooler_output [batch, H]."""
    check_inputs(config, input_ids, attention_mask, config.max_position_embeddings)
    with timer("embeddings"):
        positions = weights.embeddings.position[: input_ids.shape[1]]  # [seq, E]
        small = bert.embed(weights.embeddings, config, input_ids, positions)  # [tokens, E]
    with timer("embedding_projection"):
        hidden = small @ weights.projection_weight  # [tokens, E] @ [E, H] -> [tokens, H]
        hidden += weights.projection_bias
    layers = (weights.layer,) * config.num_hidden_layers  # the same weights every time
    hidden = bert.encode(layers, config, hidden, attention_mask, timer)  # [batch, seq, H]
    pooled = bert.pool(weights.pooler, hidden, timer)  # [batch, H]
    return EncoderOutput(last_hidden_state=hidden, pooler_output=pooled)
