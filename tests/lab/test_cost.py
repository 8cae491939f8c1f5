"""The cost model against the reference figures (``shared/anchors/README.md``) and transformers.

The anchor tests need nothing but the standard library. The tests marked as needing torch build
transformers models from config objects (no downloads): outside CI they skip when torch or
transformers is missing; in CI (CI=true) a missing library is a failure.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import pytest

from app.encoders.configs import MODULES, Variant, config_for
from app.encoders.cost import (
    EMBEDDING_PARTS,
    ENCODER_PARTS,
    PARAMETER_PARTS,
    POOLER_PARTS,
    activation_bytes,
    albert_embedding_params,
    attention_flops,
    bert_embedding_params,
    cost,
    embedding_table_params,
    ffn_flops,
    flops_by_module,
    flops_total,
    layer_params,
    parameters,
    pooler_flops,
    projection_flops,
    relative_attention_flops,
    relative_projection_flops,
    relative_rows,
    weight_bytes,
)
from app.encoders.deberta import reachable_relative_rows
from tests.lab.needs import torch_and_transformers
from tests.lab.reference import hf_model

VARIANTS = [v.value for v in Variant]
ANCHOR_LENGTHS = (32, 128, 512)

# --- Anchors: parameters ------------------------------------------------------------------------

# total, embeddings, encoder, pooler: sum(p.numel()) of the transformers *Model classes.
PARAMETER_ANCHORS = {
    "bert": (109_482_240, 23_837_184, 85_054_464, 590_592),
    "roberta": (124_645_632, 39_000_576, 85_054_464, 590_592),
    "distilbert": (66_362_880, 23_835_648, 42_527_232, 0),
    "albert": (11_683_584, 3_906_048, 7_186_944, 590_592),
    "deberta": (183_831_552, 98_382_336, 85_449_216, 0),
}

H, I = 768, 3072  # noqa: E741
ATTENTION = 4 * (H * H + H)
FEED_FORWARD = H * I + I + I * H + H
NORMS = 2 * 2 * H
POOLER = H * H + H
# The breakdown of each base model, written out from the published shapes.
PART_ANCHORS: dict[str, dict[str, int]] = {
    "bert": {
        "word_embeddings": 30522 * H,
        "position_embeddings": 512 * H,
        "token_type_embeddings": 2 * H,
        "embedding_norm": 2 * H,
        "attention": 12 * ATTENTION,
        "feed_forward": 12 * FEED_FORWARD,
        "layer_norms": 12 * NORMS,
        "pooler": POOLER,
    },
    "roberta": {
        "word_embeddings": 50265 * H,
        "position_embeddings": 514 * H,
        "token_type_embeddings": 1 * H,
        "embedding_norm": 2 * H,
        "attention": 12 * ATTENTION,
        "feed_forward": 12 * FEED_FORWARD,
        "layer_norms": 12 * NORMS,
        "pooler": POOLER,
    },
    "distilbert": {
        "word_embeddings": 30522 * H,
        "position_embeddings": 512 * H,
        "embedding_norm": 2 * H,
        "attention": 6 * ATTENTION,
        "feed_forward": 6 * FEED_FORWARD,
        "layer_norms": 6 * NORMS,
    },
    "albert": {
        "word_embeddings": 30000 * 128,
        "position_embeddings": 512 * 128,
        "token_type_embeddings": 2 * 128,
        "embedding_norm": 2 * 128,
        "embedding_projection": 128 * H + H,
        "attention": ATTENTION,
        "feed_forward": FEED_FORWARD,
        "layer_norms": NORMS,
        "pooler": POOLER,
    },
    "deberta": {
        "word_embeddings": 128100 * H,
        "embedding_norm": 2 * H,
        "attention": 12 * ATTENTION,
        "feed_forward": 12 * FEED_FORWARD,
        "layer_norms": 12 * NORMS,
        "relative_embeddings": 512 * H,
        "relative_norm": 2 * H,
    },
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_base_parameters_equal_the_anchors(variant: str) -> None:
    counts = parameters(config_for(variant, "base"))
    assert (counts.total, counts.embeddings, counts.encoder, counts.pooler) == (
        PARAMETER_ANCHORS[variant]
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_base_breakdown_is_exact_and_adds_up(variant: str) -> None:
    counts = parameters(config_for(variant, "base"))
    expected = {part: PART_ANCHORS[variant].get(part, 0) for part in PARAMETER_PARTS}
    assert counts.parts == expected
    assert list(counts.parts) == list(PARAMETER_PARTS)
    assert sum(counts.parts[p] for p in EMBEDDING_PARTS) == counts.embeddings
    assert sum(counts.parts[p] for p in ENCODER_PARTS) == counts.encoder
    assert sum(counts.parts[p] for p in POOLER_PARTS) == counts.pooler
    assert sum(counts.parts.values()) == counts.total


def test_deberta_relative_table_and_norm_are_the_anchor_figure() -> None:
    parts = parameters(config_for("deberta", "base")).parts
    assert parts["relative_embeddings"] + parts["relative_norm"] == 394_752


def test_albert_applied_counts_each_of_the_twelve_applications() -> None:
    counts = parameters(config_for("albert", "base"))
    assert counts.encoder_applied - counts.encoder == 11 * layer_params(768, 3072)
    assert counts.total_applied == counts.embeddings + counts.encoder_applied + counts.pooler
    assert counts.total_applied == 89_650_176  # as large as BERT's encoder, 7.7x ALBERT's unique
    assert counts.total < counts.total_applied


@pytest.mark.parametrize("variant", ["bert", "roberta", "distilbert", "deberta"])
def test_unshared_variants_apply_what_they_store(variant: str) -> None:
    counts = parameters(config_for(variant, "base"))
    assert (counts.encoder_applied, counts.total_applied) == (counts.encoder, counts.total)


# --- Anchors: FLOPs -----------------------------------------------------------------------------

# GFLOP at batch 1, as printed in the anchors table (the printed rounding is the tolerance).
FLOP_ANCHORS: dict[str, tuple[str, str, str]] = {
    "bert": ("5.475", "22.348", "96.64"),
    "roberta": ("5.475", "22.348", "96.64"),
    "distilbert": ("2.737", "11.174", "48.32"),
    "albert": ("5.481", "22.374", "96.74"),
    "deberta": ("20.573", "39.259", "120.80"),
}


def _as_printed(flops: int, printed: str) -> str:
    """GFLOP rounded to as many decimals as the anchors table prints."""
    decimals = len(printed.split(".")[1])
    return f"{flops / 1e9:.{decimals}f}"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("position", range(3))
def test_transformers_flops_equal_the_anchors(variant: str, position: int) -> None:
    seq_len, printed = ANCHOR_LENGTHS[position], FLOP_ANCHORS[variant][position]
    flops = flops_total(config_for(variant, "base"), seq_len, implementation="transformers")
    assert _as_printed(flops, printed) == printed


@pytest.mark.parametrize("seq_len", ANCHOR_LENGTHS)
def test_bert_ours_equals_transformers(seq_len: int) -> None:
    config = config_for("bert", "base")
    assert flops_by_module(config, seq_len, implementation="ours") == flops_by_module(
        config, seq_len, implementation="transformers"
    )


def test_bert_anchor_includes_the_pooler() -> None:
    config = config_for("bert", "base")
    flops = flops_total(config, 128)
    assert flops == 22_348_431_360
    layers_only = flops - flops_by_module(config, 128)["pooler"]
    assert layers_only == 12 * (
        projection_flops(128, 768) + attention_flops(128, 768) + ffn_flops(128, 768, 3072)
    )
    assert _as_printed(layers_only, "22.348") == "22.347"  # without the pooler: off the table


@pytest.mark.parametrize(
    ("seq_len", "measured"),
    [(32, 20_573_061_120), (128, 39_258_685_440), (512, 120_795_955_200)],
)
def test_deberta_transformers_count_equals_flop_counter(seq_len: int, measured: int) -> None:
    # FlopCounterMode on DebertaV2Model (eager attention, transformers 5.24, CPU), base config.
    config = config_for("deberta", "base")
    assert flops_total(config, seq_len, implementation="transformers") == measured


# --- FLOPs: structure and scaling ---------------------------------------------------------------

MATMUL_MODULES = {
    "embedding_projection",
    "projections",
    "attention",
    "relative",
    "feed_forward",
    "pooler",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_modules_are_the_configs_names_and_only_matmuls_cost(variant: str) -> None:
    flops = flops_by_module(config_for(variant, "base"), 128)
    assert tuple(flops) == MODULES
    assert {m for m, f in flops.items() if f} <= MATMUL_MODULES
    assert flops["embeddings"] == flops["norms"] == 0
    assert (flops["embedding_projection"] > 0) == (variant == "albert")
    assert (flops["relative"] > 0) == (variant == "deberta")
    assert (flops["pooler"] > 0) == (variant in {"bert", "roberta", "albert"})


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("implementation", ["ours", "transformers"])
def test_attention_is_quadratic_and_the_rest_linear_in_length(
    variant: str, implementation: Any
) -> None:
    config = config_for(variant, "small")
    short = flops_by_module(config, 64, implementation=implementation)
    long = flops_by_module(config, 128, implementation=implementation)
    assert long["attention"] == 4 * short["attention"]
    for module in ("embedding_projection", "projections", "feed_forward"):
        assert long[module] == 2 * short[module]
    assert long["pooler"] == short["pooler"]  # one first token per sequence


def test_transformers_relative_term_is_affine_in_length() -> None:
    # 4(2k)H^2 per layer whatever n, plus c2p and p2c linear in n
    config = config_for("deberta", "base")
    relative = [
        flops_by_module(config, n, implementation="transformers")["relative"]
        for n in (100, 200, 300)
    ]
    assert relative[2] - relative[1] == relative[1] - relative[0] == 12 * 4 * 100 * 512 * 768
    assert relative[0] - 12 * 4 * 100 * 512 * 768 == 12 * relative_projection_flops(512, 768)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("implementation", ["ours", "transformers"])
def test_batch_scales_everything_but_the_relative_projection(
    variant: str, implementation: Any
) -> None:
    config = config_for(variant, "tiny")
    one = flops_by_module(config, 96, 1, implementation)
    three = flops_by_module(config, 96, 3, implementation)
    for module in MODULES:
        if module != "relative":
            assert three[module] == 3 * one[module]
    rows = relative_rows(config, 96, implementation)
    projection = config.num_hidden_layers * relative_projection_flops(rows, config.hidden_size)
    assert three["relative"] == 3 * (one["relative"] - projection) + projection


@pytest.mark.parametrize("seq_len", [1, 2, 32, 128, 129, 300, 512])
def test_deberta_ours_counts_the_reachable_rows(seq_len: int) -> None:
    config = config_for("deberta", "base")
    rows = reachable_relative_rows(seq_len, config)
    assert relative_rows(config, seq_len, "ours") == rows
    expected = 12 * (
        relative_projection_flops(rows, 768) + relative_attention_flops(seq_len, rows, 768)
    )
    assert flops_by_module(config, seq_len, implementation="ours")["relative"] == expected


def test_deberta_ours_never_exceeds_the_transformers_count() -> None:
    config = config_for("deberta", "tiny")
    for seq_len in range(1, 600):
        ours = flops_by_module(config, seq_len, implementation="ours")
        reference = flops_by_module(config, seq_len, implementation="transformers")
        assert ours["relative"] <= reference["relative"]
        assert {m: f for m, f in ours.items() if m != "relative"} == {
            m: f for m, f in reference.items() if m != "relative"
        }


def test_deberta_ours_reaches_every_row_only_past_512_tokens() -> None:
    # Row 0 stands for relative position -256; bucketed i - j reaches it only when n - 1 >= 512.
    config = config_for("deberta", "base")
    assert relative_rows(config, 32, "ours") == 63
    assert relative_rows(config, 512, "ours") == 511
    assert flops_total(config, 512, implementation="ours") < flops_total(
        config, 512, implementation="transformers"
    )
    for seq_len in (513, 1024):
        assert relative_rows(config, seq_len, "ours") == 512
        assert flops_total(config, seq_len, implementation="ours") == flops_total(
            config, seq_len, implementation="transformers"
        )


def test_deberta_ours_equals_transformers_once_a_small_span_is_covered() -> None:
    # Without buckets and with k = 64 the table has 128 rows; n - 1 >= 64 reaches them all.
    config = replace(config_for("deberta", "tiny"), position_buckets=0, max_relative_positions=64)
    assert relative_rows(config, 64, "transformers") == 128
    assert flops_total(config, 64, implementation="ours") < flops_total(
        config, 64, implementation="transformers"
    )
    assert flops_total(config, 65, implementation="ours") == flops_total(
        config, 65, implementation="transformers"
    )


# --- Named formulas (what calculated questions quote) -------------------------------------------


def test_named_formulas_with_worked_numbers() -> None:
    assert bert_embedding_params(30522, 512, 2, 768) == 23_837_184
    assert albert_embedding_params(30000, 128, 768) == 30000 * 128 + 128 * 768 + 768 == 3_939_072
    assert embedding_table_params(30000, 768) == 23_040_000  # the table ALBERT factorises
    assert layer_params(768, 3072) == 7_087_872 == 85_054_464 // 12
    assert projection_flops(128, 768) == 8 * 128 * 768**2 == 603_979_776
    assert attention_flops(128, 768) == 4 * 128**2 * 768 == 50_331_648
    assert ffn_flops(128, 768, 3072) == 4 * 128 * 768 * 3072 == 1_207_959_552
    assert pooler_flops(768) == 2 * 768**2


# --- Memory and the bundle ----------------------------------------------------------------------


def test_weight_bytes_are_four_per_unique_parameter() -> None:
    assert weight_bytes(config_for("bert", "base")) == 4 * 109_482_240 == 437_928_960
    assert weight_bytes(config_for("albert", "base")) == 4 * 11_683_584


def test_activation_estimate_worked_example() -> None:
    config = config_for("bert", "base")
    # n = 128: feed-forward is the peak, residual + output 2nH, intermediate twice 2nI
    assert activation_bytes(config, 128) == 4 * (2 * 128 * 768 + 2 * 128 * 3072)
    # n = 512: attention is the peak, input + QKV + context 5nH, scores and softmax 2An^2
    assert activation_bytes(config, 512) == 4 * (5 * 512 * 768 + 2 * 12 * 512**2)
    assert activation_bytes(config, 512, batch=4) == 4 * activation_bytes(config, 512)


def test_deberta_activation_counts_its_extra_maps_and_rows() -> None:
    deberta, bert = config_for("deberta", "base"), config_for("bert", "base")
    ours = activation_bytes(deberta, 512)
    assert ours == 4 * (5 * 512 * 768 + 4 * 12 * 512**2 + 2 * 511 * 768)
    assert ours > activation_bytes(bert, 512)
    assert activation_bytes(deberta, 512, 2, "transformers") > activation_bytes(deberta, 512, 2)


@pytest.mark.parametrize("variant", VARIANTS)
def test_cost_bundles_everything_as_json(variant: str) -> None:
    config = config_for(variant, "small")
    bundle = cost(config, 64, batch=2, implementation="transformers")
    assert bundle.parameters == parameters(config)
    assert bundle.flops == flops_by_module(config, 64, 2, "transformers")
    assert bundle.flops_total == sum(bundle.flops.values())
    assert bundle.weight_bytes == weight_bytes(config)
    assert bundle.activation_bytes == activation_bytes(config, 64, 2, "transformers")
    data = json.loads(json.dumps(asdict(bundle)))
    assert data["variant"] == variant
    assert data["parameters"]["total"] == bundle.parameters.total
    assert data["flops"] == bundle.flops


@pytest.mark.parametrize(
    ("variant", "seq_len", "batch", "message"),
    [
        ("bert", 0, 1, "seq_len for bert must be between 1 and 512, got 0"),
        ("bert", 513, 1, "got 513"),
        ("roberta", 513, 1, "between 1 and 512"),
        ("deberta", 0, 1, "at least 1, got 0"),
        ("albert", 128, 0, "batch must be at least 1, got 0"),
    ],
)
def test_shapes_the_model_cannot_take_are_refused(
    variant: str, seq_len: int, batch: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cost(config_for(variant, "tiny"), seq_len, batch)


def test_unknown_implementation_is_refused() -> None:
    with pytest.raises(ValueError, match="'reference'"):
        flops_total(config_for("deberta", "tiny"), 16, implementation="reference")  # type: ignore[arg-type]


# --- Against transformers (torch) ---------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_total_equals_the_transformers_model(variant: str, preset: str) -> None:
    torch_and_transformers()  # or skip (fail in CI)
    config = config_for(variant, preset)
    model = hf_model(config)
    assert parameters(config).total == sum(p.numel() for p in model.parameters())
    pooler = getattr(model, "pooler", None)
    pooler_numel = sum(p.numel() for p in pooler.parameters()) if pooler is not None else 0
    assert parameters(config).pooler == pooler_numel
    assert parameters(config).embeddings == sum(p.numel() for p in model.embeddings.parameters())


@pytest.mark.parametrize("variant", VARIANTS)
def test_transformers_count_equals_flop_counter_mode(variant: str) -> None:
    torch, _ = torch_and_transformers()
    from torch.utils.flop_counter import FlopCounterMode

    config = config_for(variant, "tiny")
    model = hf_model(config)
    seq_len, batch = 48, 2
    generator = torch.Generator().manual_seed(0)
    # ids from 2 up: never RoBERTa's padding id, so every position is a real token
    input_ids = torch.randint(2, 1000, (batch, seq_len), generator=generator)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=input_ids)
    assert flops_total(config, seq_len, batch, "transformers") == counter.get_total_flops()


def test_the_cost_model_imports_no_numpy_and_no_web_stack() -> None:
    """Arithmetic over a config: importing it loads neither numpy nor the web or database code."""
    import subprocess
    import sys

    heavy = ("numpy", "fastapi", "starlette", "sqlalchemy", "sqlmodel")
    code = (
        "import sys, app.encoders.cost; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_reachable_rows_in_plain_python_match_the_fast_deberta_index() -> None:
    """``relative`` (stdlib, what the cost model counts) and the rows the fast DeBERTa projects."""
    from app.encoders import deberta, relative

    config = config_for("deberta", "tiny")
    for seq in (1, 2, 64, 128, 129, 130, 200, 511, 512, 513, 600):
        index = deberta.relative_index(seq, config)
        assert relative.reachable_relative_rows(seq, config) == index.hi - index.lo
