"""The review queue's pages: ``/review`` shows what is due and takes a rating. An open card can
also be answered in writing (``/review/answer``): the judge's verdict and evidence are shown
before the learner rates, and the answer is kept as an attempt like a quiz answer.
``static/js/review.js`` adds Anki's keys (Space to reveal, 1-4 to rate)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import FormIdentity, PageIdentity
from app.db import SessionDep
from app.deps import NowDep, RngDep, SchedulerDep
from app.errors import InvalidInput
from app.forms import ascii_int
from app.quiz import answers, calculated, open_answers, service
from app.quiz.judged_view import RATINGS, judged_context
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
    now: NowDep,
    rng: RngDep,
    show: bool = False,
    seed: Annotated[int | None, Query(ge=0, lt=calculated.SEED_LIMIT)] = None,
) -> HTMLResponse:
    summary = service.due_for(session, identity=identity, bank=content.questions, now=now)
    current = content.questions.get(summary.queue[0].question_id) if summary.queue else None
    # Choices in a fresh order each time, so their position gives nothing away.
    options = list(current.options) if current else []
    if current is not None and current.type in ("single", "multiple"):
        rng.shuffle(options)
    # A calculated card draws fresh values, kept by the no-JavaScript "Show answer" link (seed).
    drawn = (
        calculated.draw(current.compute, seed if seed is not None else calculated.new_seed(rng))
        if current and current.compute
        else None
    )
    shown = drawn.shown if drawn else {}
    return render(
        request,
        "quiz/review.html",
        {
            "summary": summary,
            "question": current,
            "options": options,
            "prompt_html": calculated.fill(current.prompt_html, shown) if current else "",
            "explanation_html": calculated.fill(current.explanation_html, shown) if current else "",
            "answer": calculated.format_number(drawn.answer, digits=10) if drawn else None,
            "seed": drawn.seed if drawn else None,
            "kind": summary.queue[0].kind if summary.queue else None,
            "show": show,
            "ratings": RATINGS,
            "now": now,
            "attempt_id": str(uuid.uuid4()),
        },
    )


@router.post("/review/answer", response_class=HTMLResponse)
async def review_answer(
    request: Request,
    identity: FormIdentity,
    content: ContentDep,
    question_id: Annotated[str, Form()] = "",
    attempt_id: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """An open card answered in writing: the verdict and its evidence, then the ratings."""
    question = service.question_or_404(content.questions, question_id)
    checked = open_answers.check_text(question, text)
    grader = open_answers.on_pool(request.app.state.lab_store, request.app.state.lab_pool)
    graded = await grader(question, checked)
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
) -> RedirectResponse:
    """A rating; with a written answer (an open card), the answer is judged and kept too."""
    value = ascii_int(rating, low=1, high=4)
    if value is None:
        raise InvalidInput("Rate the card: 1 Again, 2 Hard, 3 Good or 4 Easy.")
    if text:
        writer: AttemptWriter = request.app.state.attempt_writer
        await writer.answer(
            lambda work: run_in_threadpool(work, session),
            identity=identity,
            attempt_id=answers.parse_attempt_id(attempt_id),
            question_id=question_id,
            response={"text": text, "rating": value},
            shown_order=None,
            duration_ms=None,
            now=now,
            source="review",
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
