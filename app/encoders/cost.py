"""The lab's cost model: parameters, FLOPs by module and float32 memory of every encoder.

Plain integers from the configuration alone, no weights, no timing and no numpy. One formula per
thing: the named functions of ``formulas`` (``layer_params``, ``attention_flops`` ...), which the
lessons' calculated questions quote and this module re-exports, and the config-based functions
here, built from them.

Conventions, the same as ``shared/anchors/README.md``:

* Parameters are *unique* parameters, ``sum(p.numel())`` of the transformers ``*Model`` class, split
  the way its module tree splits them (``embeddings.``, ``encoder.``/``transformer.``,
  ``pooler``). ALBERT's E -> H projection sits under ``encoder.`` there, and so it does here, as do
  DeBERTa's relative table and its norm.
* FLOPs count matrix multiplications only, 1 multiply-add = 2 FLOPs; biases, softmax, GELU and
  layer norms are left out, as ``torch.utils.flop_counter.FlopCounterMode`` leaves them out.
  Per layer with n tokens: Q/K/V/output projections 8nH^2, scores + context 4n^2H, feed-forward
  4nHI; ALBERT adds 2nEH once; the pooler costs 2H^2 per sequence.
* DeBERTa's relative attention has two counts (``implementation``):

  - ``"transformers"`` (the reference, ``DebertaV2Model``): every layer sends all 2k rows of the
    relative table (k = ``relative_span``, 2k = 512 for v3) through the query and key
    projections, 4(2k)H^2, and computes c2p = Q pos_K^T and p2c = K pos_Q^T against all 2k rows,
    4n(2k)H, whatever the sequence length. The projection is done once per forward pass on a
    [1, 2k, H] table (then repeated over the batch), so it does not grow with the batch.
  - ``"ours"`` (``app.encoders.deberta``): only the r = ``reachable_relative_rows(n)`` rows that
    bucketed positions i - j in [-(n-1), n-1] can index are projected, 4rH^2, and c2p and p2c are
    computed against those r rows, 4nrH; the projection is counted once per forward pass, as in
    the reference (the rows do not depend on the input). For v3, r = 63 rows at n = 32, 255 at
    n = 128 and 511 at n = 512: row 0 (bucket -k) is reached only once bucket(n - 1) >= k, which
    takes n >= 513, so the two counts are equal only from there on.

  The other four variants have one implementation and both names give the same count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from app.encoders.configs import MODULES, EncoderConfig, Variant
from app.encoders.formulas import (
    albert_embedding_params,
    attention_flops,
    attention_params,
    bert_embedding_params,
    embedding_projection_flops,
    embedding_table_params,
    feed_forward_params,
    ffn_flops,
    layer_norm_params,
    layer_params,
    linear_flops,
    linear_params,
    pooler_flops,
    pooler_params,
    projection_flops,
    relative_attention_flops,
    relative_projection_flops,
    relative_table_params,
)
from app.encoders.relative import reachable_relative_rows

__all__ = [
    "BYTES_PER_FLOAT32",
    "EMBEDDING_PARTS",
    "ENCODER_PARTS",
    "PARAMETER_PARTS",
    "POOLER_PARTS",
    "Cost",
    "Implementation",
    "Parameters",
    "activation_bytes",
    "albert_embedding_params",
    "attention_flops",
    "attention_params",
    "bert_embedding_params",
    "cost",
    "embedding_projection_flops",
    "embedding_table_params",
    "feed_forward_params",
    "ffn_flops",
    "flops_by_module",
    "flops_total",
    "layer_norm_params",
    "layer_params",
    "linear_flops",
    "linear_params",
    "max_sequence_length",
    "parameter_parts",
    "parameters",
    "pooler_flops",
    "pooler_params",
    "projection_flops",
    "relative_attention_flops",
    "relative_projection_flops",
    "relative_rows",
    "relative_table_params",
    "unique_layers",
    "weight_bytes",
]

Implementation = Literal["ours", "transformers"]
BYTES_PER_FLOAT32 = 4

# The parts of a parameter count, in the order a stacked chart draws them, and the group (the
# transformers module) each belongs to.
EMBEDDING_PARTS: tuple[str, ...] = (
    "word_embeddings",
    "position_embeddings",
    "token_type_embeddings",
    "embedding_norm",
)
ENCODER_PARTS: tuple[str, ...] = (
    "embedding_projection",
    "attention",
    "feed_forward",
    "layer_norms",
    "relative_embeddings",
    "relative_norm",
)
POOLER_PARTS: tuple[str, ...] = ("pooler",)
PARAMETER_PARTS: tuple[str, ...] = EMBEDDING_PARTS + ENCODER_PARTS + POOLER_PARTS


# --- Parameters of a configuration --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameters:
    """Parameter counts of one configuration.

    Attributes:
        embeddings: the ``embeddings.`` module (tables and their norm; ALBERT's at width E).
        encoder: the ``encoder.`` (DistilBERT ``transformer.``) module, unique parameters; includes
            ALBERT's E -> H projection and DeBERTa's relative table and its norm.
        pooler: the pooler's dense layer, 0 where there is none.
        total: embeddings + encoder + pooler, equal to ``sum(p.numel())`` of the transformers model.
        encoder_applied: the encoder if each of the L layer applications had its own weights
            (differs from ``encoder`` only for ALBERT, which applies one shared layer L times).
        total_applied: embeddings + encoder_applied + pooler.
        parts: the unique count split by ``PARAMETER_PARTS`` (every key present, zeros included).
    """

    embeddings: int
    encoder: int
    pooler: int
    total: int
    encoder_applied: int
    total_applied: int
    parts: dict[str, int]


def unique_layers(config: EncoderConfig) -> int:
    """Layers with their own weights: 1 for ALBERT (one shared layer), L for the others."""
    return 1 if config.variant is Variant.albert else config.num_hidden_layers


def parameter_parts(config: EncoderConfig) -> dict[str, int]:
    """Unique parameters by part (keys ``PARAMETER_PARTS``, in that order); they sum to the total.

    ``attention`` is the Q/K/V/output projections, ``layer_norms`` the two norms of every layer.
    """
    H, I, E = config.hidden_size, config.intermediate_size, config.embedding_width  # noqa: E741
    layers = unique_layers(config)
    has_positions = config.variant is not Variant.deberta  # v3 has no absolute positions
    is_albert = config.variant is Variant.albert
    is_deberta = config.variant is Variant.deberta
    parts = {
        "word_embeddings": embedding_table_params(config.vocab_size, E),
        "position_embeddings": embedding_table_params(
            config.max_position_embeddings if has_positions else 0, E
        ),
        "token_type_embeddings": embedding_table_params(config.type_vocab_size, E),
        "embedding_norm": layer_norm_params(E),
        "embedding_projection": linear_params(E, H) if is_albert else 0,
        "attention": layers * attention_params(H),
        "feed_forward": layers * feed_forward_params(H, I),
        "layer_norms": layers * 2 * layer_norm_params(H),
        "relative_embeddings": relative_table_params(config.relative_span, H) if is_deberta else 0,
        "relative_norm": layer_norm_params(H) if is_deberta else 0,
        "pooler": pooler_params(H) if config.has_pooler else 0,
    }
    return {name: parts[name] for name in PARAMETER_PARTS}


def parameters(config: EncoderConfig) -> Parameters:
    """Embeddings / encoder / pooler split, unique and as applied, with the per-part breakdown."""
    parts = parameter_parts(config)
    embeddings = sum(parts[name] for name in EMBEDDING_PARTS)
    encoder = sum(parts[name] for name in ENCODER_PARTS)
    pooler = sum(parts[name] for name in POOLER_PARTS)
    shared_applications = config.num_hidden_layers - unique_layers(config)
    layer = layer_params(config.hidden_size, config.intermediate_size)
    encoder_applied = encoder + shared_applications * layer
    return Parameters(
        embeddings=embeddings,
        encoder=encoder,
        pooler=pooler,
        total=embeddings + encoder + pooler,
        encoder_applied=encoder_applied,
        total_applied=embeddings + encoder_applied + pooler,
        parts=parts,
    )


# --- FLOPs of a forward pass --------------------------------------------------------------------


def max_sequence_length(config: EncoderConfig) -> int | None:
    """The longest input the model accepts: its position table (RoBERTa's starts after the pad id,
    so 514 rows give 512 positions); None for DeBERTa-v3, whose relative positions clip at any
    length."""
    if config.variant is Variant.deberta:
        return None
    if config.variant is Variant.roberta:
        return config.max_position_embeddings - config.pad_token_id - 1
    return config.max_position_embeddings


def relative_rows(config: EncoderConfig, seq_len: int, implementation: Implementation) -> int:
    """Relative-table rows each DeBERTa layer projects: 2k for transformers, the rows n tokens can
    reach for ours (see the module docstring); 0 for the other variants."""
    _check_implementation(implementation)
    if config.variant is not Variant.deberta:
        return 0
    if implementation == "transformers":
        return 2 * config.relative_span
    return reachable_relative_rows(seq_len, config)


def flops_by_module(
    config: EncoderConfig, seq_len: int, batch: int = 1, implementation: Implementation = "ours"
) -> dict[str, int]:
    """Matmul FLOPs of one forward pass over ``batch`` sequences of ``seq_len`` tokens, by module.

    Keys are ``configs.MODULES`` in order; modules without a matmul (embeddings, norms) are 0.
    Everything scales with ``batch`` except DeBERTa's projection of the relative rows.
    """
    _check_shape(config, seq_len, batch)
    n, L = seq_len, config.num_hidden_layers
    H, I = config.hidden_size, config.intermediate_size  # noqa: E741
    rows = relative_rows(config, n, implementation)
    per_sequence = {
        "embedding_projection": (
            embedding_projection_flops(n, config.embedding_width, H)
            if config.variant is Variant.albert
            else 0
        ),
        "projections": L * projection_flops(n, H),
        "attention": L * attention_flops(n, H),
        "relative": L * relative_attention_flops(n, rows, H),
        "feed_forward": L * ffn_flops(n, H, I),
        "pooler": pooler_flops(H) if config.has_pooler else 0,
    }
    flops = {module: batch * per_sequence.get(module, 0) for module in MODULES}
    # The relative rows do not depend on the input: each layer projects them once per forward
    # pass, whatever the batch (transformers projects a [1, 2k, H] table, then repeats it).
    flops["relative"] += L * relative_projection_flops(rows, H)
    return flops


def flops_total(
    config: EncoderConfig, seq_len: int, batch: int = 1, implementation: Implementation = "ours"
) -> int:
    """The sum of ``flops_by_module``."""
    return sum(flops_by_module(config, seq_len, batch, implementation).values())


# --- Memory -------------------------------------------------------------------------------------


def weight_bytes(config: EncoderConfig) -> int:
    """float32 weights: 4 bytes per unique parameter."""
    return BYTES_PER_FLOAT32 * parameters(config).total


def activation_bytes(
    config: EncoderConfig, seq_len: int, batch: int = 1, implementation: Implementation = "ours"
) -> int:
    """An *estimate* of the peak live float32 activation memory of one inference forward pass.

    Layers run one after another and nothing is kept for a backward pass, so the peak is the
    widest moment inside one layer, the larger of (with b = batch, n = seq_len, A = heads):

    * attention: the layer input kept for the residual bnH, fused Q/K/V 3bnH, the score maps
      bAn^2 and their softmax bAn^2 (DeBERTa adds c2p and p2c, 2bAn^2, and its projected relative
      rows: ours 2rH for one copy, transformers 2b(2k)H as it repeats them per sequence), and the
      context bnH;
    * feed-forward: the residual bnH, the intermediate before and after the activation 2bnI, and
      the output bnH.

    Not counted: the ids and mask, the embedding stage (smaller than either), temporaries a
    library makes inside one operation, and allocator overhead; measured peaks run above this.
    """
    _check_shape(config, seq_len, batch)
    b, n, H, I = batch, seq_len, config.hidden_size, config.intermediate_size  # noqa: E741
    hidden = b * n * H  # [batch, seq, hidden]
    score_map = b * config.num_attention_heads * n * n  # [batch, heads, seq, seq]
    maps = 4 if config.variant is Variant.deberta else 2
    rows = relative_rows(config, n, implementation)
    relative = 2 * rows * H * (b if implementation == "transformers" else 1)
    attention_peak = hidden + 3 * hidden + maps * score_map + relative + hidden
    feed_forward_peak = hidden + 2 * b * n * I + hidden
    return BYTES_PER_FLOAT32 * max(attention_peak, feed_forward_peak)


# --- Everything at once -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of one forward pass, JSON-friendly through ``dataclasses.asdict``.

    Attributes:
        variant: the variant's name.
        seq_len, batch: the input shape costed.
        implementation: which DeBERTa count ``flops`` uses (irrelevant to other variants).
        parameters: see ``Parameters``.
        flops: matmul FLOPs by ``configs.MODULES`` name.
        flops_total: their sum.
        relative_rows: relative rows each DeBERTa layer projects (0 elsewhere).
        weight_bytes: float32 weights.
        activation_bytes: estimated peak float32 activations (see ``activation_bytes``).
    """

    variant: str
    seq_len: int
    batch: int
    implementation: str
    parameters: Parameters
    flops: dict[str, int]
    flops_total: int
    relative_rows: int
    weight_bytes: int
    activation_bytes: int


def cost(
    config: EncoderConfig, seq_len: int, batch: int = 1, implementation: Implementation = "ours"
) -> Cost:
    """Parameters, FLOPs by module, weight and activation bytes of one forward pass."""
    flops = flops_by_module(config, seq_len, batch, implementation)
    return Cost(
        variant=config.variant.value,
        seq_len=seq_len,
        batch=batch,
        implementation=implementation,
        parameters=parameters(config),
        flops=flops,
        flops_total=sum(flops.values()),
        relative_rows=relative_rows(config, seq_len, implementation),
        weight_bytes=weight_bytes(config),
        activation_bytes=activation_bytes(config, seq_len, batch, implementation),
    )


def _check_shape(config: EncoderConfig, seq_len: int, batch: int) -> None:
    """ValueError naming the value when the input shape is one the model cannot take."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    longest = max_sequence_length(config)
    if seq_len < 1 or (longest is not None and seq_len > longest):
        limit = f"between 1 and {longest}" if longest is not None else "at least 1"
        raise ValueError(f"seq_len for {config.variant.value} must be {limit}, got {seq_len}")


def _check_implementation(implementation: str) -> None:
    known = get_args(Implementation)
    if implementation not in known:
        raise ValueError(
            f"implementation must be one of {', '.join(known)}; got {implementation!r}"
        )
