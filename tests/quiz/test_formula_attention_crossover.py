"""attention_crossover_length: the sequence length at which a layer's quadratic term is half its FLOPs."""

from __future__ import annotations

import pytest

from app.encoders import cost
from app.quiz.calculated import FORMULAS

crossover = FORMULAS["attention_crossover_length"].function
layer_flops = FORMULAS["layer_flops"].function
percent = FORMULAS["attention_flops_percent"].function


def test_crossover_is_2h_plus_i_and_6h_when_i_is_4h() -> None:
    assert crossover(H=768, I=3072) == 4608  # BERT-base: about 4,600 tokens, as the lesson says
    assert crossover(H=1024, I=4096) == 6144  # BERT-large
    for H in (128, 256, 768, 1024, 4096):
        assert crossover(H=H, I=4 * H) == 6 * H


@pytest.mark.parametrize(("H", "I"), [(768, 3072), (1024, 4096), (312, 1200), (256, 1024)])
def test_at_the_crossover_the_quadratic_part_equals_the_rest_of_layer_flops(H: int, I: int) -> None:  # noqa: E741
    n = crossover(H=H, I=I)
    quadratic = cost.attention_flops(n, H)
    assert quadratic == 4 * n * n * H
    assert layer_flops(n=n, H=H, I=I) - quadratic == quadratic  # the linear parts, 8nH^2 + 4nHI
    assert layer_flops(n=n, H=H, I=I) == 2 * quadratic
    assert percent(n=n, H=H, I=I) == pytest.approx(50.0)


def test_below_the_crossover_the_linear_parts_dominate_and_above_it_the_quadratic_part() -> None:
    n = crossover(H=768, I=3072)
    assert percent(n=n - 1, H=768, I=3072) < 50 < percent(n=n + 1, H=768, I=3072)
    assert percent(n=512, H=768, I=3072) == pytest.approx(10.0)  # n / (n + 2H + I)
