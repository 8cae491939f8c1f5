"""token_embedding_params: the V x H token table the tokenizers lesson quotes."""

from __future__ import annotations

import pytest

from app.encoders import cost
from app.quiz.calculated import FORMULAS


@pytest.mark.parametrize(
    ("V", "H", "expected"),
    [
        (30522, 768, 23_440_896),  # BERT-base WordPiece
        (28996, 768, 22_268_928),  # BERT-base cased
        (50265, 768, 38_603_520),  # RoBERTa-base byte-level BPE
        (128100, 768, 98_380_800),  # DeBERTaV3-base SentencePiece
        (30000, 128, 3_840_000),  # ALBERT's V x E table
    ],
)
def test_token_embedding_params_gives_the_lessons_figures(V: int, H: int, expected: int) -> None:
    formula = FORMULAS["token_embedding_params"]
    assert formula.parameters == ("V", "H")
    assert formula.function(V=V, H=H) == expected


def test_token_embedding_params_agrees_with_the_cost_model() -> None:
    f = FORMULAS["token_embedding_params"].function
    assert f(V=30522, H=768) == cost.embedding_table_params(30522, 768)
    # the gap between two vocabularies is extra_vocabulary_params
    extra = FORMULAS["extra_vocabulary_params"].function
    assert f(V=50265, H=768) - f(V=30522, H=768) == extra(V_old=30522, V_new=50265, H=768)
