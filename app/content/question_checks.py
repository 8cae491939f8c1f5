"""What a question means, beyond its YAML shape: one correct option for single choice, ids unique
within a question, a positive tolerance, either a fixed answer or a formula (checked against the
formula table the caller hands in)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from app.content.formulas import Formulas, compute_problems
from app.content.question_schema import MultipleIn, NumericIn, OpenIn, OrderIn, SingleIn

__all__ = ["follow_up_problem", "semantic_problems", "tolerance"]


def semantic_problems(q: Any, formulas: Formulas) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location, message) for what pydantic's structure cannot say."""
    if isinstance(q, SingleIn | MultipleIn):
        correct = [o for o in q.options if o.correct]
        if isinstance(q, SingleIn) and len(correct) != 1:
            yield (
                ("options",),
                f"a single-choice question needs exactly one correct option, found {len(correct)}",
            )
        if isinstance(q, MultipleIn) and not correct:
            yield ("options",), "a multiple-choice question needs at least one correct option"
        yield from _duplicate_ids(q.options, "options", "option")
    if isinstance(q, OrderIn):
        yield from _duplicate_ids(q.items, "items", "item")
    if isinstance(q, OpenIn):
        yield from _duplicate_ids(q.key_points, "key_points", "key point")
        yield from _duplicate_ids(q.misconceptions, "misconceptions", "misconception")
    if isinstance(q, NumericIn):
        yield from _numeric_problems(q, formulas)


def follow_up_problem(
    question_id: str, point_id: str, target: str, types: Mapping[str, str]
) -> str | None:
    """What is wrong with key point ``point_id`` of ``question_id`` naming ``target`` as its
    follow-up, given every question's type by id; None when nothing is."""
    where = f"question '{question_id}', key point '{point_id}': follow_up '{target}'"
    if target == question_id:
        return f"{where} names the question itself; name another open question"
    if target not in types:
        return f"{where} names no question (give the id of an open question)"
    if types[target] != "open":
        return f"{where} is a {types[target]} question; a follow-up must be an open question"
    return None


def tolerance(value: float | str) -> tuple[float | None, float | None]:
    """(absolute, relative) from ``1000`` or ``"1%"``; None, None when it is neither."""
    if isinstance(value, str):
        number = value.strip().removesuffix("%")
        try:
            percent = float(number) if value.strip().endswith("%") else math.nan
        except ValueError:
            percent = math.nan
        return (None, percent / 100) if math.isfinite(percent) and percent > 0 else (None, None)
    return (value, None) if math.isfinite(value) and value > 0 else (None, None)


def _numeric_problems(q: NumericIn, formulas: Formulas) -> Iterator[tuple[tuple[Any, ...], str]]:
    if q.answer is not None and not math.isfinite(q.answer):
        yield ("answer",), "the answer must be a finite number"
    if tolerance(q.tolerance) == (None, None):
        if isinstance(q.tolerance, str):
            yield (
                ("tolerance",),
                f"tolerance must be a positive number or a percentage such as '1%', got {q.tolerance!r}",
            )
        else:
            yield ("tolerance",), f"tolerance must be a positive number, got {q.tolerance}"
    if q.answer is not None and q.compute is not None:
        yield (
            ("compute",),
            "give either 'answer' (a fixed value) or 'compute' (a formula), not both",
        )
    if q.answer is None and q.compute is None:
        yield (), "a numeric question needs 'answer' (a fixed value) or 'compute' (a formula)"
    if q.compute is not None:
        yield from compute_problems(q.compute, formulas)


def _duplicate_ids(
    entries: list[Any], key: str, what: str
) -> Iterator[tuple[tuple[Any, ...], str]]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            yield (key, index, "id"), f"duplicate {what} id '{entry.id}'"
        seen.add(entry.id)


# --- building -------------------------------------------------------------------------------
