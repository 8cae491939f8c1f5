"""What ``templates/quiz/review.html`` shows of one card: the prompt with its drawn values, the
options in the order shown, the answer, and, once a closed card was answered in review, the
learner's answer graded with the rating its result suggests. No database, no web framework."""

from __future__ import annotations

import html
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from app.content.questions import Option, Question
from app.quiz import calculated
from app.quiz.grading import Grade
from app.quiz.scheduling import rating_from_result

__all__ = ["ANSWERABLE", "card_context", "checked_context", "new_seed_for", "shown_options"]

# Card types answered in review with a form (open cards are written and judged: /review/answer).
ANSWERABLE = frozenset({"single", "multiple", "truefalse", "numeric", "order"})


def shown_options(question: Question, order: Sequence[str] | None) -> list[Option]:
    by_id = {o.id: o for o in question.options}
    return [by_id[i] for i in order] if order else list(question.options)


def card_context(
    question: Question, *, order: Sequence[str] | None, seed: int | None
) -> dict[str, Any]:
    """The card as asked: ``order`` is the option order shown, ``seed`` a calculated card's draw."""
    drawn = (
        calculated.draw(question.compute, seed) if question.compute and seed is not None else None
    )
    shown = drawn.shown if drawn else {}
    return {
        "question": question,
        "options": shown_options(question, order),
        "order": ",".join(order or []),
        "prompt_html": calculated.fill(question.prompt_html, shown),
        "explanation_html": calculated.fill(question.explanation_html, shown),
        "answer": calculated.format_number(drawn.answer, digits=10) if drawn else None,
        "seed": drawn.seed if drawn else None,
    }


def new_seed_for(question: Question, rng: random.Random, seed: int | None) -> int | None:
    """The seed to ask a calculated card with: the one given (a link that keeps its values)
    or a fresh draw; None for any other card."""
    if question.compute is None:
        return None
    return seed if seed is not None else calculated.new_seed(rng)


def checked_context(
    question: Question,
    graded: Grade,
    response: Mapping[str, Any],
    *,
    duration_ms: int | None,
) -> dict[str, Any]:
    """A closed card answered in review: right or wrong, what the learner answered (as they
    would read it), and the rating its result suggests (the learner still chooses)."""
    seconds = duration_ms / 1000 if duration_ms is not None else None
    suggested = rating_from_result(
        correct=graded.correct, seconds=seconds, difficulty=question.difficulty
    )
    return {
        "checked": {
            "correct": graded.correct,
            "score": graded.score,
            "given": _given(question, response),
            "response_json": json.dumps(dict(response), separators=(",", ":")),
            "duration_ms": "" if duration_ms is None else duration_ms,
        },
        "suggested": int(suggested),
    }


def _given(question: Question, response: Mapping[str, Any]) -> list[str]:
    """The learner's answer as lines of HTML (option HTML is the content's own, rendered once)."""
    by_id = {o.id: o.html for o in question.options}
    if question.type == "single":
        return [by_id[response["choice"]]]
    if question.type == "multiple":
        return [by_id[i] for i in response["choices"]]
    if question.type == "order":
        return [by_id[i] for i in response["order"]]
    if question.type == "truefalse":
        return ["True" if response["value"] else "False"]
    number = calculated.format_number(float(response["value"]), digits=10)
    return [html.escape(f"{number} {question.unit}".strip())]
