"""The quiz's pages as the routes render them (``pages.py``, ``practice_pages.py``): a question,
an open answer's verdict before the rating, an answer's feedback, and the page for a form that
cannot be taken (tampered or stale) — which always offers the question again."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from app.content.questions import Question
from app.quiz import calculated, forms, open_answers
from app.quiz.answers import AttemptResult
from app.quiz.judged_view import RATINGS, judged_context, stored_context
from app.quiz.practice import Progress
from app.quiz.schemas import explanation_html
from app.web import render

__all__ = [
    "Page",
    "PracticeView",
    "feedback",
    "form_error",
    "open_reveal",
    "practice_view",
    "question_page",
]


@dataclass(frozen=True)
class PracticeView:
    """A session's progress as the question and feedback pages show it."""

    url: str  # the session's page: asks its next question
    number: int  # the question shown or just answered, 1-based
    total: int
    done: int
    right: int
    finished: bool

    @property
    def summary_url(self) -> str:
        return f"{self.url}/summary"


def practice_view(url: str, progress: Progress, *, number: int | None = None) -> PracticeView:
    return PracticeView(
        url,
        number if number is not None else progress.number,
        progress.total,
        progress.done,
        progress.right,
        progress.finished,
    )


@dataclass(frozen=True)
class Page:
    """Where a quiz form lives: its lesson (or mixed), where it posts, what else it carries."""

    lesson: str
    title: str
    slug: str | None
    action: str
    hidden: dict[str, str] = field(default_factory=dict)  # a session's first page: its id, length
    practice: PracticeView | None = None

    def context(self) -> dict[str, Any]:
        return {
            "lesson": self.lesson,
            "title": self.title,
            "slug": self.slug,
            "action": self.action,
            "hidden": self.hidden,
            "practice": self.practice,
        }


def question_page(
    request: Request,
    page: Page,
    *,
    question: Question,
    order: list[str] | None,
    seed: int | None = None,
    attempt_id: str | None = None,
    error: str | None = None,
    form: FormData | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    by_id = {o.id: o for o in question.options}
    shown = [by_id[i] for i in order] if order else list(question.options)
    drawn = (
        calculated.draw(question.compute, seed) if question.compute and seed is not None else None
    )
    return render(
        request,
        "quiz/question.html",
        {
            **page.context(),
            "question": question,
            "options": shown,
            "order": ",".join(order or []),
            "seed": drawn.seed if drawn else None,
            "prompt_html": calculated.fill(question.prompt_html, drawn.values)
            if drawn
            else question.prompt_html,
            "attempt_id": attempt_id or str(uuid.uuid4()),
            "started_ms": int(time.time() * 1000),
            "error": error,
            "form": form,
            **(extra or {}),
        },
        status_code=status_code,
    )


async def open_reveal(
    request: Request,
    page: Page,
    question: Question,
    answer: forms.FormAnswer,
    attempt_id: str,
    *,
    intervals: dict[int, str],
) -> HTMLResponse:
    """An open answer not rated yet: the judge's verdict and evidence, and the four ratings,
    each with the interval FSRS would give it."""
    text = answer.response["text"]
    grader = open_answers.on_pool(request.app.state.lab_store, request.app.state.lab_pool)
    graded = await grader(question, text)
    return render(
        request,
        "quiz/open_reveal.html",
        {
            **page.context(),
            **judged_context(text, graded),
            "question": question,
            "attempt_id": attempt_id,
            "started_ms": answer.started_ms if answer.started_ms is not None else "",
            "ratings": RATINGS,
            "intervals": intervals,
        },
    )


def feedback(
    request: Request,
    page: Page,
    result: AttemptResult,
    *,
    now: datetime,
    resubmitted: bool = False,
    counted_before: bool = False,
) -> HTMLResponse:
    """A stored answer's result: right or wrong, the explanation, when it comes back.
    ``resubmitted``: a different answer came with the attempt id of this stored one (Back,
    change, submit); the page shows this first answer, labelled as such. ``counted_before``:
    the session had an answer to this question already (another tab)."""
    question = result.question
    expected = result.correct_response
    values = expected.get("values") if question.compute else None
    return render(
        request,
        "quiz/feedback.html",
        {
            **page.context(),
            "result": result,
            "question": question,
            "prompt_html": calculated.fill(question.prompt_html, values or {}),
            "explanation_html": explanation_html(question, expected),
            "drawn": _shown_values(values),
            "numbers": _shown_numbers(result.response, expected),
            "now": now,
            "ratings": dict(RATINGS),
            "resubmitted": resubmitted,
            "counted_before": counted_before,
            "judged_view": stored_context(result.response.get("text", ""), result.judgement)
            if question.type == "open"
            else None,
        },
    )


def form_error(
    request: Request,
    *,
    status: int,
    detail: str,
    again_url: str,
    again_label: str = "Ask the question again",
    other: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A quiz form that cannot be taken: what happened, and a way back to a question."""
    return render(
        request,
        "quiz/form_error.html",
        {
            "status": status,
            "detail": detail,
            "again_url": again_url,
            "again_label": again_label,
            "other": other,
        },
        status_code=status,
    )


def _shown_values(values: Any) -> list[tuple[str, str]]:
    """A calculated question's inputs as (name, formatted value), for the page."""
    if not isinstance(values, dict):
        return []
    return [(name, calculated.format_number(value)) for name, value in values.items()]


def _shown_numbers(response: dict[str, Any], expected: dict[str, Any]) -> dict[str, str]:
    """A numeric answer, the right one and the tolerance, formatted for the feedback page."""
    if not isinstance(response.get("value"), int | float) or "tolerance" not in expected:
        return {}
    relative = expected.get("relative_tolerance")
    return {
        "answered": calculated.format_number(response["value"], digits=10),
        "answer": calculated.format_number(expected["value"], digits=10),
        "tolerance": f"{100 * relative:g}%"
        if relative is not None
        else calculated.format_number(expected["tolerance"], digits=10),
    }
