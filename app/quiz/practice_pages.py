"""A practice session's pages after its first question: ``/quiz/{lesson}/s/{id}`` asks its
next question (and takes the answer), ``…/summary`` sums it up, ``…/again`` starts a session
of the ones missed. A session is its learner's alone: anyone else's id is a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import FormIdentity, Identity, PageIdentity
from app.content.index import ContentIndex
from app.db import SessionDep
from app.deps import NowDep, RngDep
from app.errors import AppError, NotFound
from app.quiz import answer_flow, calculated, practice, practice_service, service
from app.quiz.answer_flow import Sent, SessionRef
from app.quiz.practice_tables import PracticeSession
from app.quiz.quiz_views import Page, form_error, practice_view, question_page
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MIXED = "mixed"


def _title(content: ContentIndex, lesson: str) -> tuple[str | None, str]:
    if lesson == MIXED:
        return None, "Mixed practice"
    return lesson, content.lesson(lesson).title


def _find(session: SessionDep, identity: Identity, lesson: str, session_id: str) -> PracticeSession:
    try:
        practice.parse_session_id(session_id)
    except AppError:
        raise NotFound("There is no practice session with that id.") from None
    return practice_service.find(session, identity=identity, session_id=session_id, lesson=lesson)


def _gone(request: Request, lesson: str, exc: AppError) -> HTMLResponse:
    return form_error(
        request,
        status=exc.status,
        detail=exc.message,
        again_url=f"/quiz/{lesson}",
        again_label="Start a new session",
    )


@router.get("/quiz/{lesson}/s/{session_id}", response_class=HTMLResponse)
def session_question(
    request: Request,
    lesson: str,
    session_id: str,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    rng: RngDep,
) -> Response:
    """The session's next question; its summary once every question is done."""
    slug, title = _title(content, lesson)
    url = f"/quiz/{lesson}/s/{session_id}"
    try:
        found = _find(session, identity, lesson, session_id)
    except NotFound as exc:
        return _gone(request, lesson, exc)
    _, progress = practice_service.state(session, practice_session=found)
    if progress.current is None:
        return RedirectResponse(f"{url}/summary", status_code=303)
    question = content.questions.get(found.questions[progress.current])
    if question is None:  # removed from the bank since: nothing to ask there
        return RedirectResponse(f"{url}/summary", status_code=303)
    page = Page(lesson, title, slug, url, practice=practice_view(url, progress))
    return question_page(
        request,
        page,
        question=question,
        order=service.shuffled_order(question, rng),
        seed=calculated.new_seed(rng) if question.compute else None,
    )


@router.post("/quiz/{lesson}/s/{session_id}", response_class=HTMLResponse)
async def session_answer(
    request: Request,
    lesson: str,
    session_id: str,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> Response:
    form = await request.form()
    slug, title = _title(content, lesson)
    try:
        found = await run_in_threadpool(_find, session, identity, lesson, session_id)
    except NotFound as exc:
        return _gone(request, lesson, exc)
    ref = SessionRef(session_id)
    page = Page(lesson, title, slug, ref.url(lesson))
    sent = Sent(request, identity, session, content, now, page, ref, found)  # no I/O
    return await answer_flow.take(sent, form)


@router.get("/quiz/{lesson}/s/{session_id}/summary", response_class=HTMLResponse)
def session_summary(
    request: Request,
    lesson: str,
    session_id: str,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> HTMLResponse:
    """Right or wrong per question with its lesson section, the time taken, what is due."""
    _, title = _title(content, lesson)
    try:
        found = _find(session, identity, lesson, session_id)
    except NotFound as exc:
        return _gone(request, lesson, exc)
    summed = practice_service.summary(
        session, identity=identity, practice_session=found, content=content, now=now
    )
    return render(
        request,
        "quiz/summary.html",
        {
            "summary": summed,
            "lesson": lesson,
            "title": title,
            "url": f"/quiz/{lesson}/s/{session_id}",
            "now": now,
        },
    )


@router.post("/quiz/{lesson}/s/{session_id}/again")
def session_again(
    request: Request,
    lesson: str,
    session_id: str,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> Response:
    """A new session of the questions this one missed; a fresh session when it missed none."""
    _title(content, lesson)
    try:
        found = _find(session, identity, lesson, session_id)
    except NotFound as exc:
        return _gone(request, lesson, exc)
    made = practice_service.again(session, identity=identity, practice_session=found, now=now)
    target = f"/quiz/{lesson}/s/{made.id}" if made else f"/quiz/{lesson}"
    return RedirectResponse(target, status_code=303)
