"""``/interview``: choose lessons and a length, answer open questions one page at a time, read
the report at the end. Works without JavaScript; ``static/js/interview.js`` only ticks the
clock that the server started."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.identity import FormIdentity, Identity, PageIdentity
from app.content.index import ContentIndex
from app.content.questions import Question
from app.db import SessionDep
from app.deps import NowDep, RngDep
from app.errors import Conflict, InvalidInput, RateLimited
from app.forms import ascii_int
from app.interview import plan, service, view
from app.interview.tables import IN_PROGRESS, Interview
from app.quiz import open_answers
from app.quiz.grading import MAX_OPEN_ANSWER
from app.web import ContentDep, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

InterviewId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DEFAULT_LENGTH = 5


def _grader_available(request: Request) -> bool:
    """Whether the sentence encoder is installed (loads it once; called in a worker thread)."""
    source: open_answers.EmbedderSource = request.app.state.lab_store
    return source.embedder() is not None


def _index(
    request: Request,
    session: Session,
    identity: Identity,
    content: ContentIndex,
    *,
    chosen: Sequence[str] | None = None,
    length: int = DEFAULT_LENGTH,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    choices = service.lesson_choices(content)
    mine = service.interviews(session, identity=identity)
    abandoned = ascii_int(request.query_params.get("abandoned"), low=1)
    return render(
        request,
        "interview/index.html",
        {
            "choices": choices,
            "chosen": set(chosen) if chosen is not None else {slug for slug, _, _ in choices},
            "lengths": plan.LENGTHS,
            "length": length,
            "unfinished": [i for i in mine if i.status == IN_PROGRESS],
            "past": [i for i in mine if i.status != IN_PROGRESS][:10],
            "titles": {slug: title for slug, title, _ in choices},
            "grader_available": _grader_available(request),
            "abandoned": abandoned,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/interview", response_class=HTMLResponse)
def interview_index(
    request: Request, identity: PageIdentity, session: SessionDep, content: ContentDep
) -> HTMLResponse:
    return _index(request, session, identity, content)


@router.post("/interview", response_model=None)
async def interview_start(
    request: Request,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    rng: RngDep,
    now: NowDep,
) -> Response:
    form = await request.form()
    lessons = [str(v) for v in form.getlist("lessons")]
    length = ascii_int(form.get("length"), low=1, high=100)

    def work() -> Response:
        try:
            if length is None:
                raise InvalidInput("Choose a length: 3, 5 or 8 questions.")
            interview = service.start(
                session,
                identity=identity,
                content=content,
                lessons=lessons,
                length=length,
                rng=rng,
                now=now,
            )
        except InvalidInput as exc:
            shown = length if length in plan.LENGTHS else DEFAULT_LENGTH
            return _index(
                request,
                session,
                identity,
                content,
                chosen=lessons,
                length=shown,
                error=exc.message,
                status_code=422,
            )
        return RedirectResponse(_question_url(interview), status_code=303)

    return await run_in_threadpool(work)


def _question_page(
    request: Request,
    interview: Interview,
    question: Question,
    *,
    now: datetime,
    text: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "interview/question.html",
        {
            "interview": interview,
            "question": question,
            "elapsed": view.elapsed(interview.asked_at, now),
            "clock_text": view.clock_text,
            "text": text,
            "max_text": MAX_OPEN_ANSWER,
            "error": error,
        },
        status_code=status_code,
    )


def _question_url(interview: Interview) -> str:
    return f"/interview/{interview.id}/questions/{interview.position}"


@router.get("/interview/{interview_id}", response_model=None)
def interview_page(
    request: Request,
    interview_id: InterviewId,
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
) -> Response:
    """The report once it is over; while it runs, the current question's own page."""
    interview = service.mine(session, identity=identity, interview_id=interview_id)
    if interview.status == IN_PROGRESS:
        return RedirectResponse(_question_url(interview), status_code=303)
    rows = service.answers(session, interview=interview)
    return render(
        request,
        "interview/report.html",
        {
            "r": view.report(interview, rows, content.questions),
            "titles": {slug: title for slug, title, _ in service.lesson_choices(content)},
            "clock_text": view.clock_text,
            "grader_available": _grader_available(request),
        },
    )


@router.get("/interview/{interview_id}/questions/{position}", response_model=None)
def interview_question(
    request: Request,
    interview_id: InterviewId,
    position: Annotated[int, Path(ge=1, le=1000)],
    identity: PageIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> Response:
    """Each position has its own page, so Back lands on an answered one, which says so (and
    keeps no form to send again); any other position leads to where the interview is."""
    interview = service.mine(session, identity=identity, interview_id=interview_id)
    if interview.status != IN_PROGRESS or position > interview.position:
        return RedirectResponse(f"/interview/{interview_id}", status_code=303)
    if position < interview.position:
        return _already(
            request,
            interview_id,
            Conflict(service.recorded_message(position, interview.position)),
            status_code=200,
        )
    question = service.current_question(interview, content.questions)
    return _question_page(request, interview, question, now=now)


def _already(
    request: Request,
    interview_id: int,
    exc: Conflict | InvalidInput,
    *,
    status_code: int | None = None,
) -> HTMLResponse:
    """The page for a form sent again (Back, then submit) or sent to an interview that is
    over: what happened, that nothing saved changed, and the way on."""
    return render(
        request,
        "interview/already.html",
        {"message": exc.message, "interview_id": interview_id, "revisited": status_code == 200},
        status_code=status_code or exc.status,
    )


def _text(form: FormData) -> str:
    value = form.get("text")
    return value if isinstance(value, str) else ""


@router.post("/interview/{interview_id}/answers", response_model=None)
async def interview_answer(
    request: Request,
    interview_id: InterviewId,
    identity: FormIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> Response:
    form = await request.form()
    text = _text(form)
    position = ascii_int(form.get("position"), low=1, high=1000) or 0
    bank = content.questions
    try:
        question = await run_in_threadpool(
            lambda: service.answerable(
                session, identity=identity, interview_id=interview_id, position=position, bank=bank
            )
        )
    except (Conflict, InvalidInput) as exc:
        return _already(request, interview_id, exc)
    try:
        checked = open_answers.check_text(question, text)
        source: open_answers.EmbedderSource = request.app.state.lab_store
        runner: open_answers.Runner = request.app.state.lab_pool
        graded = await runner.run(lambda: open_answers.grade(question, checked, source.embedder()))
    except (InvalidInput, RateLimited) as exc:
        refused = exc  # nothing was kept: the same question again, with the text
        return await run_in_threadpool(
            lambda: _again(request, session, identity, interview_id, question, text, refused, now)
        )
    clock = request.app.state.clock
    try:
        interview = await run_in_threadpool(
            lambda: service.record_answer(
                session,
                identity=identity,
                interview_id=interview_id,
                position=position,
                question=question,
                text=checked,
                graded=graded,
                arrived=now,
                clock=clock,
                bank=bank,
            )
        )
    except Conflict as exc:  # the same position sent twice at once: the first one is kept
        return _already(request, interview_id, exc)
    over = interview.status != IN_PROGRESS
    return RedirectResponse(
        f"/interview/{interview_id}" if over else _question_url(interview), status_code=303
    )


def _again(
    request: Request,
    session: Session,
    identity: Identity,
    interview_id: int,
    question: Question,
    text: str,
    exc: InvalidInput | RateLimited,
    now: datetime,
) -> HTMLResponse:
    """The same question again with the learner's text and what to do (nothing was kept)."""
    interview = service.mine(session, identity=identity, interview_id=interview_id)
    if isinstance(exc, RateLimited):
        message = f"The grader is busy right now; nothing was lost: send your answer again in {exc.retry_after} s."
        status = 429
    else:
        message, status = exc.message, 422
    return _question_page(
        request, interview, question, now=now, text=text, error=message, status_code=status
    )


@router.post("/interview/{interview_id}/finish", response_model=None)
def interview_finish(
    request: Request,
    interview_id: InterviewId,
    identity: FormIdentity,
    session: SessionDep,
    now: NowDep,
) -> Response:
    try:
        service.finish(session, identity=identity, interview_id=interview_id, now=now)
    except Conflict as exc:
        return _already(request, interview_id, exc)
    return RedirectResponse(f"/interview/{interview_id}", status_code=303)


@router.post("/interview/{interview_id}/abandon", response_model=None)
def interview_abandon(
    request: Request,
    interview_id: InterviewId,
    identity: FormIdentity,
    session: SessionDep,
    now: NowDep,
) -> Response:
    try:
        service.abandon(session, identity=identity, interview_id=interview_id, now=now)
    except Conflict as exc:
        return _already(request, interview_id, exc)
    return RedirectResponse(f"/interview?abandoned={interview_id}", status_code=303)
