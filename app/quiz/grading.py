"""Grading: pure functions from a question and a response to a grade.

No web, no database: a response is a plain mapping as it arrives in JSON, and every way it can
be wrong raises ``ResponseInvalid`` with a message that says what to send instead.

    single      {"choice": id}                      right or wrong
    multiple    {"choices": [id, …]}                right only if exactly the correct set;
                                                    score = (hits - false picks) / correct, ≥ 0
    truefalse   {"value": true|false}
    numeric     {"value": number}                   right within ± tolerance (absolute, or
                                                    relative: a share of the answer)
                {"value": number, "seed": int}      calculated: the answer is the formula at
                                                    the inputs the seed draws
    order       {"order": [id, …]}                  right only in exactly the right order;
                                                    score = share of pairs in the right order
    open        {"text": str, "rating": 1-4}        score = share of key points covered;
                                                    right when at least half are covered
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from app.content.questions import KeyPoint, Question
from app.forms import text_problem
from app.quiz.calculated import SEED_LIMIT, Drawn, draw

__all__ = ["MAX_OPEN_ANSWER", "Grade", "ResponseInvalid", "covered_key_points", "grade"]

MAX_OPEN_ANSWER = 5000


class ResponseInvalid(ValueError):
    """The response does not have the shape the question type needs."""


@dataclass(frozen=True)
class Grade:
    correct: bool
    score: float  # 0.0 … 1.0
    correct_response: dict[str, Any]
    covered: tuple[str, ...] = field(default=())  # open questions: ids of key points covered
    # calculated questions: {"seed", "values", "answer"}, kept with the attempt
    drawn: dict[str, Any] | None = None


def _field(
    response: Mapping[str, Any], name: str, question: Question, shape: str, *also: str
) -> Any:
    """``response[name]``; ``also`` names the other fields the shape allows."""
    if not isinstance(response, Mapping):
        raise ResponseInvalid(f"response must be a JSON object like {shape}")
    extra = set(response) - {name, *also}
    if name not in response:
        raise ResponseInvalid(f"a {question.type} question needs a response like {shape}")
    if extra:
        raise ResponseInvalid(f"unexpected field(s) {sorted(extra)}; send {shape}")
    return response[name]


def _option_ids(question: Question) -> list[str]:
    return [option.id for option in question.options]


def _check_ids(ids: Any, question: Question, name: str, shape: str) -> list[str]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ResponseInvalid(f"'{name}' must be a list of option ids, like {shape}")
    known = _option_ids(question)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ResponseInvalid(f"unknown option id(s) {unknown}; this question has {known}")
    if len(set(ids)) != len(ids):
        raise ResponseInvalid(f"'{name}' lists an option more than once")
    return ids


def _single(question: Question, response: Mapping[str, Any]) -> Grade:
    choice = _field(response, "choice", question, '{"choice": "a"}')
    known = _option_ids(question)
    if not isinstance(choice, str) or choice not in known:
        raise ResponseInvalid(f"'choice' must be one of the option ids {known}, got {choice!r}")
    right = next(o.id for o in question.options if o.correct)
    return Grade(choice == right, 1.0 if choice == right else 0.0, {"choice": right})


def _multiple(question: Question, response: Mapping[str, Any]) -> Grade:
    shape = '{"choices": ["a", "c"]}'
    chosen = set(
        _check_ids(_field(response, "choices", question, shape), question, "choices", shape)
    )
    right = {o.id for o in question.options if o.correct}
    score = max(0.0, (len(chosen & right) - len(chosen - right)) / len(right))
    ordered = [o.id for o in question.options if o.correct]
    return Grade(chosen == right, score, {"choices": ordered})


def _truefalse(question: Question, response: Mapping[str, Any]) -> Grade:
    value = _field(response, "value", question, '{"value": true}')
    if not isinstance(value, bool):
        raise ResponseInvalid(f"'value' must be true or false, got {value!r}")
    right = question.answer_bool
    return Grade(value is right, 1.0 if value is right else 0.0, {"value": right})


def _finite(value: Any) -> float | None:
    """``value`` as a float when it is a JSON number a float can hold (10**400 is not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _drawn(question: Question, response: Mapping[str, Any], shape: str) -> Drawn:
    assert question.compute is not None
    seed = response.get("seed")
    if seed is None:
        raise ResponseInvalid(
            "this question is calculated from drawn values: send the 'seed' it came with, "
            f"like {shape}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ResponseInvalid(
            f"'seed' must be the integer (0 to {SEED_LIMIT - 1}) the question came with, "
            f"got {seed!r}"
        )
    return draw(question.compute, seed)


def _numeric(question: Question, response: Mapping[str, Any]) -> Grade:
    calculated = question.compute is not None
    shape = '{"value": 3.5, "seed": 1234}' if calculated else '{"value": 3.5}'
    raw = _field(response, "value", question, shape, *(("seed",) if calculated else ()))
    value = _finite(raw)
    if value is None:
        shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:37] + "..."
        raise ResponseInvalid(f"'value' must be a finite number, got {shown}")
    drawn = _drawn(question, response, shape) if calculated else None
    answer = drawn.answer if drawn else question.answer_number
    assert answer is not None  # loader-checked: a numeric question has an answer or a formula
    relative = question.relative_tolerance
    tolerance = relative * abs(answer) if relative is not None else question.tolerance
    assert tolerance is not None  # loader-checked: one of the two is set
    ok = abs(value - answer) <= tolerance
    expected: dict[str, Any] = {"value": answer, "tolerance": tolerance, "unit": question.unit}
    if relative is not None:
        expected["relative_tolerance"] = relative
    if drawn:
        expected |= {"seed": drawn.seed, "values": drawn.values}
    return Grade(ok, 1.0 if ok else 0.0, expected, drawn=drawn.as_json() if drawn else None)


def _order(question: Question, response: Mapping[str, Any]) -> Grade:
    shape = '{"order": ["b", "a", "c"]}'
    order = _check_ids(_field(response, "order", question, shape), question, "order", shape)
    right = _option_ids(question)
    if len(order) != len(right):
        raise ResponseInvalid(f"'order' must list all {len(right)} items exactly once")
    rank = {item: position for position, item in enumerate(order)}
    pairs = list(combinations(right, 2))
    in_order = sum(1 for a, b in pairs if rank[a] < rank[b])
    return Grade(order == right, in_order / len(pairs), {"order": right})


def covered_key_points(text: str, key_points: Sequence[KeyPoint]) -> tuple[str, ...]:
    """Key points whose keywords appear in ``text`` (case-insensitive, whitespace-normalised)."""
    normal = " ".join(re.sub(r"[^\w%.+-]+", " ", text.lower()).split())
    return tuple(
        point.id
        for point in key_points
        if any(" ".join(re.sub(r"[^\w%.+-]+", " ", k).split()) in normal for k in point.keywords)
    )


def _open(question: Question, response: Mapping[str, Any]) -> Grade:
    text = _field(response, "text", question, '{"text": "my answer", "rating": 3}', "rating")
    if not isinstance(text, str):
        raise ResponseInvalid("'text' must be a string: your answer in words")
    if len(text) > MAX_OPEN_ANSWER:
        raise ResponseInvalid(
            f"'text' is {len(text)} characters; keep answers under {MAX_OPEN_ANSWER}"
        )
    problem = text_problem(text)
    if problem:
        raise ResponseInvalid(f"'text' cannot be kept as sent: {problem}")
    rating = response.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 4:
        raise ResponseInvalid("'rating' must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)")
    covered = covered_key_points(text, question.key_points)
    score = len(covered) / len(question.key_points)
    points = [{"id": k.id, "text": k.text} for k in question.key_points]
    return Grade(score >= 0.5, score, {"key_points": points}, covered)


_GRADERS = {
    "single": _single,
    "multiple": _multiple,
    "truefalse": _truefalse,
    "numeric": _numeric,
    "order": _order,
    "open": _open,
}


def grade(question: Question, response: Mapping[str, Any]) -> Grade:
    """Grade ``response`` to ``question``; raises ResponseInvalid when its shape is wrong."""
    return _GRADERS[question.type](question, response)
