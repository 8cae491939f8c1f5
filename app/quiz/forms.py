"""The quiz's HTML answer form read into what the API takes (a JSON-shaped response, the
option order shown): the fields each question type sends, and what to tell the learner when
one is missing or wrong (InvalidInput)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from app.content.questions import Question
from app.errors import InvalidInput
from app.forms import ascii_int, text_problem
from app.quiz import calculated
from app.quiz.grading import MAX_OPEN_ANSWER

__all__ = ["FormAnswer", "order_to_show_again", "read_answer", "seed", "shown_order", "started"]

MAX_DURATION_MS = 86_400_000  # a page open longer than a day gives no useful answer time


@dataclass(frozen=True)
class FormAnswer:
    response: dict[str, Any]  # as the API's "response"
    shown_order: list[str] | None
    started_ms: int | None  # when the page was shown (the server's clock), if the form says

    def duration_ms(self) -> int | None:
        """How long the learner took, if the form says when the page was shown."""
        if self.started_ms is None:
            return None
        duration = int(time.time() * 1000) - self.started_ms
        return duration if 0 <= duration < MAX_DURATION_MS else None


def read_answer(question: Question, form: FormData) -> FormAnswer:
    """The answer the form sends for ``question``; InvalidInput says what is missing."""
    order = shown_order(question, form)
    response = _response(question, form)
    return FormAnswer(response, order, started(form))


def started(form: FormData) -> int | None:
    """When the form's page was shown (the server's clock, ms), if the form says."""
    return ascii_int(form.get("started_ms"), low=0)


def seed(form: FormData) -> int | None:
    """The seed a calculated question was shown with (a hidden field), if it is one."""
    return ascii_int(form.get("seed"), low=0, high=calculated.SEED_LIMIT - 1)


def shown_order(question: Question, form: FormData) -> list[str] | None:
    """The option order the form was shown with (a hidden field); None when it has none.

    A list that is not exactly this question's options (a tampered or stale form) is refused:
    the page would otherwise render options that do not exist, or grade against an order the
    learner never saw."""
    order = [i for i in str(form.get("shown") or "").split(",") if i]
    if not order:
        return None
    if sorted(order) != sorted(o.id for o in question.options):
        raise InvalidInput(
            "This form does not match the question any more (its options were changed or "
            "came from another page). Here is the question again."
        )
    return order


def order_to_show_again(question: Question, form: FormData) -> list[str] | None:
    """The order to show the options in when the form comes back with an error: the one it
    was shown with, unless that order was the error."""
    try:
        return shown_order(question, form)
    except InvalidInput:
        return None


def _response(question: Question, form: FormData) -> dict[str, Any]:
    kind = question.type
    if kind == "single":
        if not form.get("choice"):
            raise InvalidInput("Choose one of the options.")
        return {"choice": str(form.get("choice"))}
    if kind == "multiple":
        choices = [str(v) for v in form.getlist("choices")]
        if not choices:  # nothing ticked is a slip, not an answer (every question has a right one)
            raise InvalidInput("Tick every option you think is right (at least one).")
        return {"choices": choices}
    if kind == "truefalse":
        value = form.get("value")
        if value not in ("true", "false"):
            raise InvalidInput("Choose True or False.")
        return {"value": value == "true"}
    if kind == "numeric":
        return _numeric(question, form)
    if kind == "order":
        return _order(question, form)
    return _open(form)


def _numeric(question: Question, form: FormData) -> dict[str, Any]:
    raw = str(form.get("value") or "")
    if not raw.strip():
        raise InvalidInput("Type a number.")
    if question.compute is None:
        return {"value": _number(raw)}
    drawn = seed(form)
    if drawn is None:
        raise InvalidInput("This question's drawn values were lost; skip to a fresh one.")
    return {"value": _number(raw), "seed": drawn}


def _number(raw: str) -> float:
    cleaned = raw.strip().replace(",", "").replace("_", "").replace(" ", "").replace("\u202f", "")
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned)
    except ValueError:
        raise InvalidInput(
            f"'{raw}' is not a number. Type digits, e.g. 3938304 or 3.9e6."
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput("Type a finite number.")
    return value


def _order(question: Question, form: FormData) -> dict[str, Any]:
    positions: dict[str, int] = {}
    for option in question.options:
        position = ascii_int(form.get(f"pos_{option.id}"))
        if position is None:
            raise InvalidInput("Give every item a position.")
        positions[option.id] = position
    if sorted(positions.values()) != list(range(1, len(positions) + 1)):
        raise InvalidInput(f"Use each position from 1 to {len(positions)} exactly once.")
    return {"order": sorted(positions, key=positions.__getitem__)}


def _open(form: FormData) -> dict[str, Any]:
    text = str(form.get("text") or "")
    if not text.strip():
        raise InvalidInput("Write your answer first; bullet points are fine.")
    if len(text) > MAX_OPEN_ANSWER:
        raise InvalidInput(
            f"Your answer is {len(text):,} characters; keep it under {MAX_OPEN_ANSWER:,}."
        )
    problem = text_problem(text)
    if problem:
        raise InvalidInput(f"Your answer cannot be kept as typed: {problem}.")
    if not form.get("rating"):
        return {"text": text}
    rating = ascii_int(form.get("rating"), low=1, high=4)
    if rating is None:
        raise InvalidInput("Rate your answer: 1 Again, 2 Hard, 3 Good or 4 Easy.")
    return {"text": text, "rating": rating}
