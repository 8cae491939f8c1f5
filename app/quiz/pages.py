"""Quiz pages: ``/quiz``, ``/quiz/{lesson}``; they work without JavaScript. An open answer is
judged (``app/quiz/judge.py``) and shown with its evidence before the learner rates it."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.identity import FormIdentity, PageIdentity
from app.content.questions import Question
from app.db import SessionDep
from app.deps import NowDep, RngDep
from app.errors import InvalidInput, NotFound
from app.quiz import answers, calculated, forms, open_answers, repository, service
from app.quiz.answers import AttemptResult
from app.quiz.judged_view import RATINGS, judged_context, stored_context
from app.quiz.schemas import explanation_html
from app.quiz.writer import AttemptWriter
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MIXED = "mixed"


def _lesson_or_mixed(content: Any, lesson: str) -> tuple[str | None, str]:
    if lesson == MIXED:
        return None, "Mixed practice"
    return lesson, content.lesson(lesson).title


@router.get("/quiz", response_class=HTMLResponse)
def quiz_index(
    request: Request, identity: PageIdentity, session: SessionDep, content: ContentDep
) -> HTMLResponse:
    latest = (
        repository.latest_attempts(session, learner_id=identity.learner.id)
        if identity.learner and identity.learner.id
        else {}
    )
    rows = []
    for lesson in content.lessons:
        ids = [q.id for q in content.questions.for_lesson(lesson.slug)]
        if ids:
            seen = [i for i in ids if i in latest]
            rows.append(
                {
                    "lesson": lesson,
                    "total": len(ids),
                    "seen": len(seen),
                    "right": sum(latest[i].correct for i in seen),
                }
            )
    return render(request, "quiz/index.html", {"rows": rows, "total": len(content.questions)})


def _question_page(
    request: Request,
    *,
    question: Question,
    lesson: str,
    title: str,
    order: list[str] | None,
    seed: int | None = None,
    attempt_id: str | None = None,
    error: str | None = None,
    form: FormData | None = None,
    status_code: int = 200,
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
            "question": question,
            "lesson": lesson,
            "title": title,
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
        },
        status_code=status_code,
    )


@router.get("/quiz/{lesson}", response_class=HTMLResponse)
def quiz_question(
    request: Request,
    lesson: str,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    rng: RngDep,
    now: NowDep,
    after: str | None = None,
    question: str | None = None,
) -> HTMLResponse:
    """The next question of the lesson; ``?question=<id>`` asks that one (a search hit links so)."""
    slug, title = _lesson_or_mixed(content, lesson)
    if question:
        asked = content.questions.get(question)
        if asked is None or (slug is not None and asked.lesson != slug):
            raise NotFound(f"The {title} quiz has no question '{question}'.")
    else:
        asked = service.draw(
            session,
            bank=content.questions,
            identity=identity,
            lesson=slug,
            rng=rng,
            now=now,
            exclude=after,
        )
    order = service.shuffled_order(asked, rng)
    seed = calculated.new_seed(rng) if asked.compute else None
    return _question_page(
        request, question=asked, lesson=lesson, title=title, order=order, seed=seed
    )


def _answered_question(content: Any, slug: str | None, form: FormData) -> Question:
    """The question the form answers; it must belong to the page's lesson (or mixed practice)."""
    question: Question | None = content.questions.get(str(form.get("question_id") or ""))
    if question is None:
        raise NotFound("That question no longer exists. Start the quiz again.")
    if slug is not None and question.lesson != slug:
        raise InvalidInput(
            f"That question belongs to the {content.lesson(question.lesson).title} lesson, "
            f"not this one: answer it at /quiz/{question.lesson}."
        )
    return question


@router.post("/quiz/{lesson}", response_class=HTMLResponse)
async def quiz_answer(
    request: Request,
    lesson: str,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
    rng: RngDep,
) -> HTMLResponse:
    form = await request.form()
    slug, title = _lesson_or_mixed(content, lesson)
    question = _answered_question(content, slug, form)
    attempt_id = answers.parse_attempt_id(str(form.get("attempt_id") or ""))
    try:
        answer = forms.read_answer(question, form)
    except InvalidInput as exc:
        seed = forms.seed(form)  # the values the learner saw, or a fresh draw if the form lost them
        if question.compute and seed is None:
            seed = calculated.new_seed(rng)
        return _question_page(
            request,
            question=question,
            lesson=lesson,
            title=title,
            order=forms.order_to_show_again(question, form),
            seed=seed,
            attempt_id=attempt_id,
            error=exc.message,
            form=form,
            status_code=422,
        )
    if question.type == "open" and "rating" not in answer.response:
        context = {"question": question, "lesson": lesson, "title": title}
        return await _open_reveal(request, context, answer, attempt_id)
    writer: AttemptWriter = request.app.state.attempt_writer
    answered = await writer.answer(
        lambda work: run_in_threadpool(work, session),
        identity=identity,
        attempt_id=attempt_id,
        question_id=question.id,
        response=answer.response,
        shown_order=answer.shown_order,
        duration_ms=answer.duration_ms(),
        now=now,
    )
    return _feedback(request, answered.result, lesson=lesson, title=title, slug=slug, now=now)


async def _open_reveal(
    request: Request, context: dict[str, Any], answer: forms.FormAnswer, attempt_id: str
) -> HTMLResponse:
    """An open answer not rated yet: the judge's verdict and evidence, and the four ratings."""
    text = answer.response["text"]
    grader = open_answers.on_pool(request.app.state.lab_store, request.app.state.lab_pool)
    graded = await grader(context["question"], text)
    return render(
        request,
        "quiz/open_reveal.html",
        {
            **context,
            **judged_context(text, graded),
            "attempt_id": attempt_id,
            "started_ms": answer.started_ms if answer.started_ms is not None else "",
            "ratings": RATINGS,
            "action": f"/quiz/{context['lesson']}",
        },
    )


def _feedback(
    request: Request,
    result: AttemptResult,
    *,
    lesson: str,
    title: str,
    slug: str | None,
    now: datetime,
) -> HTMLResponse:
    """A stored answer's result: right or wrong, the explanation, when it comes back."""
    question = result.question
    expected = result.correct_response
    values = expected.get("values") if question.compute else None
    return render(
        request,
        "quiz/feedback.html",
        {
            "result": result,
            "question": question,
            "prompt_html": calculated.fill(question.prompt_html, values or {}),
            "explanation_html": explanation_html(question, expected),
            "drawn": _shown_values(values),
            "numbers": _shown_numbers(result.response, expected),
            "lesson": lesson,
            "title": title,
            "now": now,
            "ratings": dict(RATINGS),
            "slug": slug,
            "judged_view": stored_context(result.response.get("text", ""), result.judgement)
            if question.type == "open"
            else None,
        },
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
