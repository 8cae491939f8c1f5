"""The int8 saving formula: what storing weights in int8 instead of float32 saves, in bytes."""

from __future__ import annotations

from app.encoders import cost
from app.encoders.configs import config_for
from app.quiz.calculated import FORMULAS, Compute, draw


def test_int8_saving_is_three_bytes_per_weight() -> None:
    saving = FORMULAS["int8_saving_bytes"]
    assert saving.parameters == ("P",)
    assert saving.function(P=1) == 3
    assert saving.function(P=22_700_000) == 68_100_000  # MiniLM-L6's 22.7M weights: 90.8 -> 22.7 MB


def test_int8_saving_agrees_with_the_cost_models_float32_bytes() -> None:
    # The cost model stores float32 weights (4 bytes each); int8 keeps one byte of those four.
    bert = config_for("bert", "base")
    P = cost.parameters(bert).total
    assert cost.weight_bytes(bert) == 4 * P
    assert FORMULAS["int8_saving_bytes"].function(P=P) == cost.weight_bytes(bert) - P
    assert FORMULAS["int8_saving_bytes"].function(P=P) == 328_446_720  # 109,482,240 weights


def test_int8_saving_draws_like_any_calculated_question() -> None:
    compute = Compute("int8_saving_bytes", (("P", range(10_000_000, 400_000_001, 1_000_000)),))
    drawn = draw(compute, 3)
    assert drawn.answer == 3 * drawn.values["P"]
