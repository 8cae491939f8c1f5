"""Grading rules as tables: every type, right, wrong, partial, and malformed."""

from __future__ import annotations

from typing import Any

import pytest

from app.content.questions import KeyPoint, Option, Question
from app.quiz.calculated import Compute, draw
from app.quiz.grading import ResponseInvalid, covered_key_points, grade


def _q(type_: str, **fields: Any) -> Question:
    base: dict[str, Any] = dict(
        id="q",
        type=type_,
        prompt="p",
        prompt_html="p",
        explanation_html="e",
        lesson="bert",
        anchor="architecture",
        difficulty=1,
        tags=(),
        content_hash="h",
    )
    return Question(**(base | fields))


OPTS = (Option("a", "A", "A", True), Option("b", "B", "B"), Option("c", "C", "C"))
MULTI = (
    Option("a", "A", "A", True),
    Option("b", "B", "B", True),
    Option("c", "C", "C"),
    Option("d", "D", "D"),
)
ITEMS = (Option("w", "W", "W"), Option("x", "X", "X"), Option("y", "Y", "Y"), Option("z", "Z", "Z"))
SINGLE = _q("single", options=OPTS)
MULTIPLE = _q("multiple", options=MULTI)
TRUEFALSE = _q("truefalse", answer_bool=False)
NUMERIC = _q("numeric", answer_number=3938304.0, tolerance=1000.0, unit="parameters")
ORDER = _q("order", options=ITEMS)
OPEN = _q(
    "open",
    key_points=(
        KeyPoint("loss", "Dropping the loss did not hurt", ("did not hurt", "matched", "no worse")),
        KeyPoint("format", "Full sentences", ("full sentences", "contiguous", "input format")),
    ),
)


@pytest.mark.parametrize(
    ("question", "response", "correct", "score"),
    [
        (SINGLE, {"choice": "a"}, True, 1.0),
        (SINGLE, {"choice": "b"}, False, 0.0),
        (MULTIPLE, {"choices": ["a", "b"]}, True, 1.0),
        (MULTIPLE, {"choices": ["b", "a"]}, True, 1.0),
        (MULTIPLE, {"choices": ["a"]}, False, 0.5),
        (MULTIPLE, {"choices": ["a", "c"]}, False, 0.0),
        (MULTIPLE, {"choices": ["a", "b", "c"]}, False, 0.5),
        (MULTIPLE, {"choices": []}, False, 0.0),
        (TRUEFALSE, {"value": False}, True, 1.0),
        (TRUEFALSE, {"value": True}, False, 0.0),
        (NUMERIC, {"value": 3938304}, True, 1.0),
        (NUMERIC, {"value": 3939304.0}, True, 1.0),
        (NUMERIC, {"value": 3939305}, False, 0.0),
        (NUMERIC, {"value": 23040000}, False, 0.0),
        (ORDER, {"order": ["w", "x", "y", "z"]}, True, 1.0),
        (ORDER, {"order": ["x", "w", "y", "z"]}, False, 5 / 6),
        (ORDER, {"order": ["z", "y", "x", "w"]}, False, 0.0),
        (
            OPEN,
            {"text": "Removing NSP matched BERT; contiguous text mattered.", "rating": 3},
            True,
            1.0,
        ),
        (OPEN, {"text": "It was no worse without it.", "rating": 2}, True, 0.5),
        (OPEN, {"text": "I do not know.", "rating": 1}, False, 0.0),
    ],
)
def test_grades(question: Question, response: dict[str, Any], correct: bool, score: float) -> None:
    result = grade(question, response)
    assert result.correct is correct
    assert result.score == pytest.approx(score)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (SINGLE, {"choice": "a"}),
        (MULTIPLE, {"choices": ["a", "b"]}),
        (TRUEFALSE, {"value": False}),
        (NUMERIC, {"value": 3938304.0, "tolerance": 1000.0, "unit": "parameters"}),
        (ORDER, {"order": ["w", "x", "y", "z"]}),
    ],
)
def test_correct_response_is_reported(question: Question, expected: dict[str, Any]) -> None:
    wrong = {
        "single": {"choice": "c"},
        "multiple": {"choices": ["d"]},
        "truefalse": {"value": True},
        "numeric": {"value": 0},
        "order": {"order": ["z", "y", "x", "w"]},
    }[question.type]
    assert grade(question, wrong).correct_response == expected


@pytest.mark.parametrize(
    ("question", "response", "message"),
    [
        (SINGLE, {"choice": "e"}, "must be one of the option ids"),
        (SINGLE, {"choices": ["a"]}, "needs a response like"),
        (SINGLE, {"choice": "a", "extra": 1}, "unexpected field"),
        (SINGLE, ["a"], "must be a JSON object"),
        (MULTIPLE, {"choices": "a"}, "must be a list of option ids"),
        (MULTIPLE, {"choices": ["a", "a"]}, "more than once"),
        (MULTIPLE, {"choices": ["a", "q"]}, "unknown option id(s) ['q']"),
        (TRUEFALSE, {"value": "false"}, "must be true or false"),
        (TRUEFALSE, {"value": 0}, "must be true or false"),
        (NUMERIC, {"value": "12"}, "finite number"),
        (NUMERIC, {"value": True}, "finite number"),
        (NUMERIC, {"value": float("nan")}, "finite number"),
        (ORDER, {"order": ["w", "x"]}, "all 4 items exactly once"),
        (OPEN, {"text": "x"}, "'rating' must be 1"),
        (OPEN, {"text": "x", "rating": 5}, "'rating' must be 1"),
        (OPEN, {"text": 3, "rating": 3}, "must be a string"),
        (OPEN, {"text": "x" * 5001, "rating": 3}, "keep answers under 5000"),
    ],
)
def test_malformed_responses_say_what_to_send(
    question: Question, response: Any, message: str
) -> None:
    with pytest.raises(ResponseInvalid) as raised:
        grade(question, response)
    assert message in str(raised.value)


def test_key_points_match_phrasings_case_and_punctuation() -> None:
    assert covered_key_points("It MATCHED; full-sentences helped", OPEN.key_points) == ("loss",)
    assert covered_key_points("Full   sentences, contiguous.", OPEN.key_points) == ("format",)


# --- calculated numeric ---------------------------------------------------------------------

COMPUTE = Compute(
    "albert_embedding_params",
    (("V", (30000, 50265, 128100)), ("E", (64, 128)), ("H", range(256, 1025, 128))),
)
CALCULATED = _q("numeric", compute=COMPUTE, relative_tolerance=0.01, unit="parameters")
SEED = 42
EXPECTED = draw(COMPUTE, SEED)


def _v(drawn_values: dict[str, int]) -> int:
    V, E, H = drawn_values["V"], drawn_values["E"], drawn_values["H"]
    return V * E + E * H + H


@pytest.mark.parametrize(
    ("factor", "correct"),
    [(1.0, True), (1.009, True), (0.991, True), (1.011, False), (0.989, False), (2.0, False)],
)
def test_calculated_right_within_relative_tolerance(factor: float, correct: bool) -> None:
    result = grade(CALCULATED, {"value": EXPECTED.answer * factor, "seed": SEED})
    assert result.correct is correct and result.score == (1.0 if correct else 0.0)


def test_calculated_answer_is_the_formula_at_the_drawn_values() -> None:
    assert EXPECTED.answer == _v(EXPECTED.values)
    result = grade(CALCULATED, {"value": 1, "seed": SEED})
    assert result.correct_response == {
        "value": EXPECTED.answer,
        "tolerance": pytest.approx(0.01 * EXPECTED.answer),
        "relative_tolerance": 0.01,
        "unit": "parameters",
        "seed": SEED,
        "values": EXPECTED.values,
    }
    assert result.drawn == {"seed": SEED, "values": EXPECTED.values, "answer": EXPECTED.answer}


def test_the_seed_decides_the_values_and_the_answer() -> None:
    assert draw(COMPUTE, SEED) == EXPECTED  # the same seed rebuilds the same values
    other = next(s for s in range(100) if draw(COMPUTE, s).answer != EXPECTED.answer)
    assert grade(CALCULATED, {"value": EXPECTED.answer, "seed": SEED}).correct
    assert not grade(CALCULATED, {"value": EXPECTED.answer, "seed": other}).correct
    assert list(EXPECTED.values) == ["V", "E", "H"]  # drawn in the formula's parameter order
    assert EXPECTED.values["H"] in range(256, 1025, 128)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"value": 5}, "send the 'seed' it came with"),
        ({"value": 5, "seed": None}, "send the 'seed' it came with"),
        ({"value": 5, "seed": "42"}, "'seed' must be the integer"),
        ({"value": 5, "seed": True}, "'seed' must be the integer"),
        ({"value": 5, "seed": -1}, "'seed' must be the integer"),
        ({"value": 5, "seed": 2**31}, "'seed' must be the integer"),
        ({"seed": 42}, '{"value": 3.5, "seed": 1234}'),
        ({"value": 5, "seed": 42, "values": {}}, "unexpected field(s) ['values']"),
        ({"value": "many", "seed": 42}, "finite number"),
    ],
)
def test_calculated_malformed_responses(response: dict[str, Any], message: str) -> None:
    with pytest.raises(ResponseInvalid) as raised:
        grade(CALCULATED, response)
    assert message in str(raised.value)


def test_fixed_numeric_refuses_a_seed_and_takes_a_relative_tolerance() -> None:
    with pytest.raises(ResponseInvalid, match=r"unexpected field\(s\) \['seed'\]"):
        grade(NUMERIC, {"value": 3938304, "seed": 1})
    relative = _q("numeric", answer_number=200.0, relative_tolerance=0.05, unit="")
    assert grade(relative, {"value": 209.9}).correct
    assert not grade(relative, {"value": 210.1}).correct
    assert grade(relative, {"value": 0}).correct_response["relative_tolerance"] == 0.05
    assert grade(NUMERIC, {"value": 1}).drawn is None
