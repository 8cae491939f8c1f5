"""Quiz pages: ``/quiz``, ``/quiz/{lesson}`` (a practice session's first question); they work
without JavaScript. The session's later pages are ``practice_pages.py``; what a sent form does
is ``answer_flow.py``. An open answer is judged (``app/quiz/judge.py``) and shown with its
evidence before the learner rates it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import FormIdentity, PageIdentity
from app.db import SessionDep
from app.deps import NowDep, RngDep
from app.errors import InvalidInput, NotFound
from app.quiz import answer_flow, calculated, practice, practice_service, repository, service
from app.quiz.answer_flow import Sent, SessionRef
from app.quiz.quiz_views import Page, PracticeView, form_error, question_page
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
    request: Request,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    length: str | None = None,
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
    try:
        chosen = practice.parse_length(length, available=practice.MAX_LENGTH)
    except InvalidInput as exc:
        return form_error(request, status=422, detail=exc.message, again_url="/quiz")
    return render(
        request,
        "quiz/index.html",
        {"rows": rows, "total": len(content.questions), **_lengths(chosen, "/quiz?")},
    )


def _lengths(chosen: int, base: str, available: int = practice.MAX_LENGTH) -> dict[str, Any]:
    """The session lengths to offer (links ``base`` + ``length=n``), capped at ``available``."""
    offered = sorted({min(n, available) for n in practice.LENGTHS})
    return {"length": chosen, "lengths": offered, "length_base": base}


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
    length: str | None = None,
) -> HTMLResponse:
    """The first question of a new practice session (stored when it is answered);
    ``?question=<id>`` asks that one (a search hit links so), ``?length=n`` sets its length."""
    slug, title = _lesson_or_mixed(content, lesson)
    pool = practice_service.pool_of(content.questions, slug)
    try:
        chosen = practice.parse_length(length, available=len(pool) or 1)
    except InvalidInput as exc:
        return form_error(request, status=422, detail=exc.message, again_url=f"/quiz/{lesson}")
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
    ref = SessionRef(practice.new_session_id(), chosen)
    page = _first_page(lesson, title, slug, ref)
    base = f"/quiz/{lesson}?" + (f"question={asked.id}&" if question else "")
    return question_page(
        request,
        page,
        question=asked,
        order=service.shuffled_order(asked, rng),
        seed=calculated.new_seed(rng) if asked.compute else None,
        extra={
            **_lengths(chosen, base, len(pool)),
            "under_way": practice_service.under_way(session, identity=identity, lesson=lesson),
        },
    )


def _first_page(lesson: str, title: str, slug: str | None, ref: SessionRef | None) -> Page:
    """A session's first page: it carries the session's id and length; sessionless (an old
    form) without a ref."""
    if ref is None or ref.length is None:
        return Page(lesson, title, slug, f"/quiz/{lesson}")
    view = PracticeView(ref.url(lesson), 1, ref.length, 0, 0, False)
    hidden = {"session": ref.session_id, "length": str(ref.length)}
    return Page(lesson, title, slug, f"/quiz/{lesson}", hidden, view)


@router.post("/quiz/{lesson}", response_class=HTMLResponse)
async def quiz_answer(
    request: Request,
    lesson: str,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> Response:
    """An answer from a session's first page (which makes the session), or from a form
    without a session (pages served before sessions existed)."""
    form = await request.form()
    slug, title = _lesson_or_mixed(content, lesson)
    ref = None
    if form.get("session"):
        pool = practice_service.pool_of(content.questions, slug)
        try:
            ref = SessionRef(
                practice.parse_session_id(str(form.get("session"))),
                practice.parse_length(str(form.get("length") or ""), available=len(pool) or 1),
            )
        except InvalidInput as exc:
            again = f"/quiz/{lesson}"
            return form_error(request, status=422, detail=exc.message, again_url=again)
    existing = None
    if ref is not None:  # sent before (a reload, or Back): that session, if it is this learner's
        try:
            existing = await run_in_threadpool(
                lambda: practice_service.lookup(
                    session, identity=identity, session_id=ref.session_id
                )
            )
        except NotFound as exc:
            again = f"/quiz/{lesson}"
            return form_error(request, status=404, detail=exc.message, again_url=again)
    page = _first_page(lesson, title, slug, ref)
    sent = Sent(request, identity, session, content, now, page, ref, existing)  # no I/O
    return await answer_flow.take(sent, form)
