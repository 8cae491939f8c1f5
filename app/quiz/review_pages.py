"""The review queue's pages: ``/review`` shows what is due and takes a rating; each rating button
says when the card would come back (FSRS's next interval for it). A card can be flipped and
rated, or answered: a closed card through ``/review/check`` (graded, shown with its answer and
the rating its result suggests), an open one in writing through ``/review/answer`` (the judge's
verdict and evidence). The rating then keeps the answer as an attempt, as a quiz answer is
kept. ``static/js/review.js`` adds the keys (Space shows, Enter submits, 1-4 rate)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fsrs import Scheduler
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import FormIdentity, Identity, PageIdentity
from app.db import SessionDep
from app.deps import NowDep, RngDep, SchedulerDep
from app.errors import InvalidInput
from app.forms import ascii_int
from app.quiz import answers, calculated, forms, grading, open_answers, review_view, service
from app.quiz.judged_view import RATINGS, judged_context
from app.quiz.review import DueSummary
from app.quiz.writer import AttemptWriter
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
    rng: RngDep,
    show: bool = False,
    seed: Annotated[int | None, Query(ge=0, lt=calculated.SEED_LIMIT)] = None,
) -> HTMLResponse:
    summary = service.due_for(session, identity=identity, bank=content.questions, now=now)
    current = content.questions.get(summary.queue[0].question_id) if summary.queue else None
    if current is None:
        return render(
            request, "quiz/review.html", {"summary": summary, "question": None, "now": now}
        )
    # Options in a fresh order each time, so their position gives nothing away; a calculated
    # card draws fresh values, kept by the no-JavaScript "Show answer" link (seed).
    card = review_view.card_context(
        current,
        order=service.shuffled_order(current, rng),
        seed=review_view.new_seed_for(current, rng, seed),
    )
    return _card_page(
        request, session, scheduler, identity, now, summary=summary, card=card, show=show
    )


def _card_page(
    request: Request,
    session: Session,
    scheduler: Scheduler,
    identity: Identity,
    now: datetime,
    *,
    summary: DueSummary,
    card: dict[str, Any],
    show: bool = False,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    question = card["question"]
    intervals = service.intervals_for(
        session, scheduler=scheduler, identity=identity, question_id=question.id, now=now
    )
    return render(
        request,
        "quiz/review.html",
        {
            **card,
            "summary": summary,
            "kind": summary.kind_of(question.id),
            "show": show,
            "answerable": question.type in review_view.ANSWERABLE,
            "ratings": RATINGS,
            "intervals": intervals,
            "now": now,
            "attempt_id": str(uuid.uuid4()),
            "started_ms": int(time.time() * 1000),
            "checked": None,
            "suggested": 3,
            "error": None,
            "form": None,
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.post("/review/check", response_class=HTMLResponse)
async def review_check(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
) -> HTMLResponse:
    """A closed card answered in review: graded (nothing stored yet), shown with its answer and
    explanation, and the four ratings with the one its result suggests; the chosen rating
    stores the answer as an attempt (``POST /review`` with ``response``)."""
    form = await request.form()
    question = service.question_or_404(content.questions, str(form.get("question_id") or ""))
    if question.type not in review_view.ANSWERABLE:
        raise InvalidInput("Open cards are answered in writing (or shown and rated).")
    order = forms.order_to_show_again(question, form)
    card = review_view.card_context(question, order=order, seed=forms.seed(form))
    attempt_id = answers.parse_attempt_id(str(form.get("attempt_id") or ""))

    def page(extra: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        summary = service.due_for(session, identity=identity, bank=content.questions, now=now)
        extra = {"attempt_id": attempt_id, **extra}
        return _card_page(
            request, session, scheduler, identity, now, summary=summary, card=card,
            extra=extra, status_code=status_code,
        )  # fmt: skip

    try:
        answer = forms.read_answer(question, form)
        graded = grading.grade(question, answer.response)
    except (InvalidInput, grading.ResponseInvalid) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else str(exc)
        return await run_in_threadpool(page, {"error": message, "form": form}, 422)
    duration = answer.duration_ms()
    checked = review_view.checked_context(question, graded, answer.response, duration_ms=duration)
    return await run_in_threadpool(page, {**checked, "show": True})


@router.post("/review/answer", response_class=HTMLResponse)
async def review_answer(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
    question_id: Annotated[str, Form()] = "",
    attempt_id: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """An open card answered in writing: the verdict and its evidence, then the ratings."""
    question = service.question_or_404(content.questions, question_id)
    checked = open_answers.check_text(question, text)
    grader = open_answers.on_pool(request.app.state.lab_store, request.app.state.lab_pool)
    graded = await grader(question, checked)
    intervals = await run_in_threadpool(
        lambda: service.intervals_for(
            session, scheduler=scheduler, identity=identity, question_id=question.id, now=now
        )
    )
    return render(
        request,
        "quiz/open_reveal.html",
        {
            "question": question,
            "prompt_html": question.prompt_html,
            "lesson": None,
            "title": "Review",
            **judged_context(checked, graded),
            "attempt_id": answers.parse_attempt_id(attempt_id),
            "started_ms": "",
            "ratings": RATINGS,
            "intervals": intervals,  # each rating's next interval, for templates that show it
            "action": "/review",
        },
    )


@router.post("/review")
async def review_rate(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
    rating: Annotated[str, Form()] = "",
    question_id: Annotated[str, Form()] = "",
    attempt_id: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    response: Annotated[str, Form()] = "",
    shown: Annotated[str, Form()] = "",
    duration_ms: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """A rating. With a written answer (an open card) or a checked one (``response``, from
    ``/review/check``), the answer is kept as an attempt with the learner's rating."""
    value = ascii_int(rating, low=1, high=4)
    if value is None:
        raise InvalidInput("Rate the card: 1 Again, 2 Hard, 3 Good or 4 Easy.")
    if text or response:
        writer: AttemptWriter = request.app.state.attempt_writer
        await writer.answer(
            lambda work: run_in_threadpool(work, session),
            identity=identity,
            attempt_id=answers.parse_attempt_id(attempt_id),
            question_id=question_id,
            response={"text": text, "rating": value} if text else _checked_response(response),
            shown_order=[i for i in shown.split(",") if i] or None,
            duration_ms=ascii_int(duration_ms, low=0, high=forms.MAX_DURATION_MS),
            now=now,
            source="review",
            rating=None if text else value,
        )
    else:
        await run_in_threadpool(
            lambda: service.rate(
                session,
                scheduler=scheduler,
                bank=content.questions,
                identity=identity,
                question_id=question_id,
                rating=value,
                now=now,
            )
        )
    return RedirectResponse("/review", status_code=303)


def _checked_response(raw: str) -> dict[str, Any]:
    """The answer ``/review/check`` graded, sent back with the rating (a hidden field)."""
    try:
        response = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        response = None
    if not isinstance(response, dict):
        raise InvalidInput("This answer came back garbled; answer the card again.")
    return response
