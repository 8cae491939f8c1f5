"""The respeller on its own: edit budget by length, transpositions, frequency breaks ties."""

from __future__ import annotations

import pytest

from app.search.spelling import Speller, max_edits

TEXT = "attention attention attend albert sentencepiece sentence piece distillation"


@pytest.mark.parametrize(("word", "edits"), [("ab", 0), ("abc", 1), ("abcde", 1), ("abcdef", 2)])
def test_edit_budget_grows_with_length(word: str, edits: int) -> None:
    assert max_edits(word) == edits


@pytest.mark.parametrize(
    ("word", "closest"),
    [
        ("atention", ("attention", 1)),
        ("attnetion", ("attention", 1)),  # a transposition is one edit
        ("albrt", ("albert", 1)),
        ("attenti", ("attention", 2)),  # as close as "attend", and more frequent
        ("qzxvbnm", None),
        ("zq", None),
    ],
)
def test_closest_word(word: str, closest: tuple[str, int] | None) -> None:
    assert Speller([TEXT]).closest(word) == closest


def test_a_split_word_is_joined_and_known_words_stay() -> None:
    speller = Speller([TEXT])
    known = {"piece", "attention"}.__contains__
    assert speller.correct(["sentance", "piece"], known) == ["sentencepiece"]
    assert speller.correct(["attention", "albrt"], known) == ["attention", "albert"]
    assert speller.correct(["attention"], known) is None
    assert speller.correct(["attention", "qzxvbnm"], known) is None
