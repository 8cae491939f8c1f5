"""Grading rules as tables: every type, right, wrong, partial, and malformed."""

from __future__ import annotations

from typing import Any

import pytest

from app.content.questions import KeyPoint, Option, Question
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
