"""Encoder configurations: the five variants and the size presets the lab offers.

Field names follow Hugging Face configs (``hidden_size``, ``num_hidden_layers``,
``embedding_size`` ...) so our code can be read next to the reference implementation. One frozen
dataclass serves every variant; fields a variant does not use keep their defaults and are ignored
by that variant's code (``embedding_size`` outside ALBERT, ``position_buckets`` outside DeBERTa).

Each variant keeps its *native* vocabulary size at every preset, so the split between embedding
and encoder parameters tells the true story (DeBERTa-v3's 128k vocabulary is most of its size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "MODULES",
    "PRESETS",
    "EncoderConfig",
    "Preset",
    "UnknownConfig",
    "Variant",
    "config_for",
]


class Variant(StrEnum):
    bert = "bert"
    roberta = "roberta"
    distilbert = "distilbert"
    albert = "albert"
    deberta = "deberta"


class Preset(StrEnum):
    tiny = "tiny"
    small = "small"
    medium = "medium"
    base = "base"


# Names of the parts a forward pass is timed and costed by (the cost model uses the same names):
#   embeddings            token (+ position, + token type) lookup, sum and layer norm
#   embedding_projection  ALBERT's E -> H projection after the embeddings
#   projections           the Q, K, V and output projections of self-attention
#   attention             scores (Q K^T), softmax with the padding mask, context (weights V)
#   relative              DeBERTa: relative embedding norm, its Q/K projections, c2p and p2c terms
#   feed_forward          intermediate projection, activation, output projection
#   norms                 residual adds and the layer norms after attention and feed-forward
#   pooler                BERT/RoBERTa/ALBERT: dense + tanh on the first token
MODULES: tuple[str, ...] = (
    "embeddings",
    "embedding_projection",
    "projections",
    "attention",
    "relative",
    "feed_forward",
    "norms",
    "pooler",
)


class UnknownConfig(ValueError):
    """A variant or preset name the lab does not know."""


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """Everything a forward pass and the cost model need to know about one encoder.

    Attributes:
        variant: which architecture the numbers describe.
        vocab_size: rows of the word embedding table (native to the variant's tokenizer).
        hidden_size: H, the width of every hidden state.
        num_hidden_layers: L, transformer layers applied (ALBERT applies one shared layer L times).
        num_attention_heads: A; head_dim = H / A.
        intermediate_size: I, the feed-forward width (DistilBERT's ``hidden_dim``).
        hidden_act: ``gelu`` (erf form) or ``gelu_new`` (tanh approximation, ALBERT).
        max_position_embeddings: rows of the absolute position table (RoBERTa: 514, because
            positions start after the padding id).
        type_vocab_size: token type (segment) rows; 2 for BERT/ALBERT, 1 for RoBERTa, 0 for
            DistilBERT and DeBERTa-v3, which have no token type embeddings.
        layer_norm_eps: epsilon of every layer norm (BERT 1e-12, RoBERTa 1e-5, DeBERTa-v3 1e-7).
        pad_token_id: id of the padding token (RoBERTa: 1, the others 0).
        embedding_size: ALBERT's E, the width of the factorised embedding; equals hidden_size
            elsewhere.
        position_buckets: DeBERTa-v3's number of log buckets for relative positions (256).
        max_relative_positions: DeBERTa's relative span; -1 means max_position_embeddings.
        has_pooler: whether the model ends in a dense + tanh pooler on the first token.
    """

    variant: Variant
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str = "gelu"
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    embedding_size: int | None = None
    position_buckets: int = 256
    max_relative_positions: int = -1
    has_pooler: bool = True

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def embedding_width(self) -> int:
        """E for ALBERT, H for every other variant."""
        return self.embedding_size if self.embedding_size is not None else self.hidden_size

    @property
    def relative_span(self) -> int:
        """DeBERTa's k: relative positions are clipped (bucketed) to [-k, k)."""
        if self.position_buckets > 0:
            return self.position_buckets
        if self.max_relative_positions < 1:
            return self.max_position_embeddings
        return self.max_relative_positions


# The published base configurations (see ../shared/anchors/README.md).
_BASE: dict[Variant, EncoderConfig] = {
    Variant.bert: EncoderConfig(
        variant=Variant.bert,
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
    ),
    Variant.roberta: EncoderConfig(
        variant=Variant.roberta,
        vocab_size=50265,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
    ),
    Variant.distilbert: EncoderConfig(
        variant=Variant.distilbert,
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=6,
        num_attention_heads=12,
        intermediate_size=3072,
        type_vocab_size=0,
        has_pooler=False,
    ),
    Variant.albert: EncoderConfig(
        variant=Variant.albert,
        vocab_size=30000,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        hidden_act="gelu_new",
        embedding_size=128,
    ),
    Variant.deberta: EncoderConfig(
        variant=Variant.deberta,
        vocab_size=128100,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        type_vocab_size=0,
        layer_norm_eps=1e-7,
        position_buckets=256,
        max_relative_positions=-1,
        has_pooler=False,
    ),
}

# Smaller presets change only the widths and (for ALBERT) E; layers, vocabularies and the
# variant-specific choices stay as published.
_SHAPES: dict[Preset, tuple[int, int, int, int]] = {
    # hidden, heads, intermediate, ALBERT embedding_size
    Preset.tiny: (128, 2, 512, 64),
    Preset.small: (256, 4, 1024, 128),
    Preset.medium: (512, 8, 2048, 128),
}

PRESETS: tuple[Preset, ...] = tuple(Preset)


def config_for(variant: str, preset: str) -> EncoderConfig:
    """The configuration of ``variant`` at ``preset``; raises UnknownConfig for unknown names."""
    try:
        v = Variant(variant)
    except ValueError:
        known = ", ".join(x.value for x in Variant)
        raise UnknownConfig(f"unknown variant {variant!r}; choose one of {known}") from None
    try:
        p = Preset(preset)
    except ValueError:
        known = ", ".join(x.value for x in Preset)
        raise UnknownConfig(f"unknown preset {preset!r}; choose one of {known}") from None
    base = _BASE[v]
    if p is Preset.base:
        return base
    hidden, heads, intermediate, albert_e = _SHAPES[p]
    return replace(
        base,
        hidden_size=hidden,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        embedding_size=albert_e if v is Variant.albert else None,
    )
