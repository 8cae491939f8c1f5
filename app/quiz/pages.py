"""Quiz and review pages: ``/quiz``, ``/quiz/{lesson}``, ``/review``. They work without
JavaScript; ``static/js/review.js`` adds Anki's keys (Space to reveal, 1-4 to rate)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.identity import FormIdentity, PageIdentity
from app.content.questions import Question
from app.db import SessionDep
from app.deps import NowDep, RngDep, SchedulerDep
from app.errors import InvalidInput, NotFound
from app.forms import ascii_int, text_problem
from app.quiz import calculated, repository, service
from app.quiz.grading import MAX_OPEN_ANSWER
from app.quiz.schemas import explanation_html
from app.quiz.writer import AttemptWriter
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MIXED = "mixed"
RATINGS = ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy"))


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
) -> HTMLResponse:
    slug, title = _lesson_or_mixed(content, lesson)
    question = service.draw(
        session,
        bank=content.questions,
        identity=identity,
        lesson=slug,
        rng=rng,
        now=now,
        exclude=after,
    )
    order = service.shuffled_order(question, rng)
    seed = calculated.new_seed(rng) if question.compute else None
    return _question_page(
        request, question=question, lesson=lesson, title=title, order=order, seed=seed
    )


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


def _seed(form: FormData) -> int | None:
    """The seed a calculated question was shown with (a hidden field), if it is one."""
    return ascii_int(form.get("seed"), low=0, high=calculated.SEED_LIMIT - 1)


def _shown(question: Question, form: FormData) -> list[str] | None:
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


def response_from_form(question: Question, form: FormData) -> dict[str, Any]:
    """The JSON-shaped response from the HTML form's fields; InvalidInput says what is missing."""
    kind = question.type
    if kind == "single":
        if not form.get("choice"):
            raise InvalidInput("Choose one of the options.")
        return {"choice": str(form.get("choice"))}
    if kind == "multiple":
        return {"choices": [str(v) for v in form.getlist("choices")]}
    if kind == "truefalse":
        value = form.get("value")
        if value not in ("true", "false"):
            raise InvalidInput("Choose True or False.")
        return {"value": value == "true"}
    if kind == "numeric":
        raw = str(form.get("value") or "")
        if not raw.strip():
            raise InvalidInput("Type a number.")
        if question.compute is None:
            return {"value": _number(raw)}
        seed = _seed(form)
        if seed is None:
            raise InvalidInput("This question's drawn values were lost; skip to a fresh one.")
        return {"value": _number(raw), "seed": seed}
    if kind == "order":
        positions: dict[str, int] = {}
        for option in question.options:
            position = ascii_int(form.get(f"pos_{option.id}"))
            if position is None:
                raise InvalidInput("Give every item a position.")
            positions[option.id] = position
        if sorted(positions.values()) != list(range(1, len(positions) + 1)):
            raise InvalidInput(f"Use each position from 1 to {len(positions)} exactly once.")
        return {"order": sorted(positions, key=positions.__getitem__)}
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
    question = content.questions.get(str(form.get("question_id") or ""))
    if question is None:
        raise NotFound("That question no longer exists. Start the quiz again.")
    if slug is not None and question.lesson != slug:
        raise InvalidInput(
            f"That question belongs to the {content.lesson(question.lesson).title} lesson, "
            f"not this one: answer it at /quiz/{question.lesson}."
        )
    attempt_id = service.parse_attempt_id(str(form.get("attempt_id") or ""))
    order: list[str] | None = None
    try:
        order = _shown(question, form)
        response = response_from_form(question, form)
    except InvalidInput as exc:
        seed = _seed(form)  # the values the learner saw, or a fresh draw if the form lost them
        if question.compute and seed is None:
            seed = calculated.new_seed(rng)
        return _question_page(
            request,
            question=question,
            lesson=lesson,
            title=title,
            order=order,
            seed=seed,
            attempt_id=attempt_id,
            error=exc.message,
            form=form,
            status_code=422,
        )
    if question.type == "open" and "rating" not in response:
        covered = service.covered(question, response["text"])
        started = ascii_int(form.get("started_ms"), low=0)
        return render(
            request,
            "quiz/open_reveal.html",
            {
                "question": question,
                "lesson": lesson,
                "title": title,
                "text": response["text"],
                "covered": covered,
                "attempt_id": attempt_id,
                "started_ms": started if started is not None else "",
                "ratings": RATINGS,
            },
        )
    started = ascii_int(form.get("started_ms"), low=0)
    duration = int(time.time() * 1000) - started if started is not None else None
    kept = duration if duration is not None and 0 <= duration < 86_400_000 else None
    writer: AttemptWriter = request.app.state.attempt_writer
    result, _created = await writer.answer(
        lambda work: run_in_threadpool(work, session),
        identity=identity,
        attempt_id=attempt_id,
        question_id=question.id,
        response=response,
        shown_order=order,
        duration_ms=kept,
        now=now,
    )
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
        },
    )


@router.post("/review")
def review_rate(
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
    rating: Annotated[str, Form()] = "",
    question_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    value = ascii_int(rating, low=1, high=4)
    if value is None:
        raise InvalidInput("Rate the card: 1 Again, 2 Hard, 3 Good or 4 Easy.")
    service.rate(
        session,
        scheduler=scheduler,
        bank=content.questions,
        identity=identity,
        question_id=question_id,
        rating=value,
        now=now,
    )
    return RedirectResponse("/review", status_code=303)
