"""The formula table and the helpers that show drawn values: pure, no app."""

from __future__ import annotations

import random

import pytest

from app.config import PROJECT_ROOT
from app.encoders import cost
from app.encoders.configs import config_for
from app.quiz.calculated import (
    ANSWER,
    FORMULAS,
    SEED_LIMIT,
    Compute,
    draw,
    fill,
    format_number,
    new_seed,
    placeholders,
)


def test_every_formula_is_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "CONTENT.md").read_text(encoding="utf-8")
    for name, formula in FORMULAS.items():
        assert f"`{name}({', '.join(formula.parameters)})`" in docs, name


def test_formulas_take_only_integer_inputs_named_like_the_papers() -> None:
    for name, formula in FORMULAS.items():
        assert formula.parameters, name
        assert ANSWER not in formula.parameters
        assert formula.summary, f"{name} needs a docstring: it is its documentation"


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        # the figures the lessons quote
        ("albert_embedding_params", {"V": 30000, "E": 128, "H": 768}, 3_939_072),
        ("bert_embedding_params", {"V": 30522, "P": 512, "T": 2, "H": 768}, 23_837_184),
        ("layer_params", {"H": 768, "I": 3072}, 7_087_872),
        ("attention_params", {"H": 768}, 2_362_368),
        ("encoder_params", {"L": 12, "H": 768, "I": 3072}, 85_054_464),
        (
            "removed_layers_params",
            {"L_teacher": 12, "L_student": 6, "H": 768, "I": 3072},
            42_527_232,
        ),
        ("shared_layers_saving", {"L": 12, "H": 768, "I": 3072}, 11 * 7_087_872),
        ("extra_vocabulary_params", {"V_old": 30522, "V_new": 50265, "H": 768}, 15_162_624),
        ("relative_table_params", {"k": 256, "H": 768}, 393_216),
        ("relative_projection_flops", {"rows": 512, "H": 768}, 4 * 512 * 768**2),
        ("factorised_embedding_saving", {"V": 30000, "E": 128, "H": 768}, 23_040_000 - 3_939_072),
        ("embedding_projection_flops", {"n": 128, "E": 128, "H": 768}, 2 * 128 * 128 * 768),
    ],
)
def test_formulas_give_the_lessons_figures(
    name: str, inputs: dict[str, int], expected: int
) -> None:
    assert FORMULAS[name].function(**inputs) == expected


def test_derived_formulas_agree_with_the_cost_model() -> None:
    bert = config_for("bert", "base")
    by_module = cost.flops_by_module(bert, 128)
    per_layer = (
        by_module["projections"] + by_module["attention"] + by_module["feed_forward"]
    ) // 12
    assert FORMULAS["layer_flops"].function(n=128, H=768, I=3072) == per_layer
    assert FORMULAS["encoder_params"].function(L=12, H=768, I=3072) == cost.parameters(bert).encoder
    share = FORMULAS["attention_flops_percent"].function(n=128, H=768, I=3072)
    assert share == pytest.approx(100 * 128 / (2 * 768 + 128 + 3072))  # 2.7 %, as the lesson says
    assert FORMULAS["factorised_embedding_ratio"].function(V=30000, E=128, H=768) == pytest.approx(
        23_040_000 / 3_939_072
    )
    rows = FORMULAS["deberta_relative_flops"].function(n=32, rows=512, H=768)
    assert rows == cost.relative_projection_flops(512, 768) + cost.relative_attention_flops(
        32, 512, 768
    )


def test_draw_is_reproducible_and_covers_the_choices() -> None:
    compute = Compute("layer_params", (("H", (256, 512)), ("I", range(1024, 4097, 1024))))
    assert draw(compute, 7) == draw(compute, 7)
    seen = {tuple(draw(compute, seed).values.values()) for seed in range(200)}
    assert seen == {(h, i) for h in (256, 512) for i in (1024, 2048, 3072, 4096)}
    assert 0 <= new_seed(random.Random(1)) < SEED_LIMIT


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3938304, "3,938,304"),
        (3938304.0, "3,938,304"),
        (768, "768"),
        (5.849093390524469, "5.849"),
        (2.7027027, "2.703"),
        (0.012345, "0.01235"),
        (12345.678, "12,346"),
        (-1.5, "-1.5"),
        (2.5, "2.5"),
    ],
)
def test_format_number(value: float, shown: str) -> None:
    assert format_number(value) == shown


def test_fill_replaces_known_placeholders_only() -> None:
    text = "<p>V = {{V}}, {{ E }} and {{missing}}; {{answer}}</p>"
    assert placeholders(text) == ["V", "E", "missing", "answer"]
    filled = fill(text, {"V": 30000, "E": 128, ANSWER: 3.5})
    assert filled == "<p>V = 30,000, 128 and {{missing}}; 3.5</p>"
    assert format_number(1 / 3, digits=10) == "0.3333333333"
