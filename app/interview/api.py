"""``/api/v1/interviews``: timed mock interviews for scripts and the browser's own session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlmodel import Session

from app.accounts.identity import ApiIdentity
from app.api import problem_responses
from app.content.index import ContentIndex
from app.db import SessionDep, run_with_session
from app.deps import NowDep, RngDep
from app.interview import service, view
from app.interview.schemas import (
    AnswerIn,
    AskedOut,
    InterviewIn,
    InterviewOut,
    InterviewSummaryOut,
    ReportOut,
)
from app.interview.tables import IN_PROGRESS, Interview
from app.pagination import Page, paging
from app.quiz import open_answers
from app.web import ContentDep

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["interviews"])

InterviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the interview's id")]


def interview_out(session: Session, interview: Interview, content: ContentIndex) -> InterviewOut:
    """The interview as the API shows it: the question to answer while it runs, the report
    once it is over."""
    summary = InterviewSummaryOut.of(interview).model_dump()
    if interview.status == IN_PROGRESS:
        question = service.current_question(interview, content.questions)
        assert interview.asked_at is not None
        return InterviewOut(
            **summary,
            position=interview.position,
            question=AskedOut.of(question, interview.asked_at),
            report=None,
        )
    rows = service.answers(session, interview=interview)
    report = view.report(interview, rows, content.questions)
    return InterviewOut(**summary, position=None, question=None, report=ReportOut.of(report))


@router.post(
    "/interviews",
    status_code=201,
    summary="Start a mock interview: open questions from these lessons, the first one asked now",
    responses=problem_responses(401, 403, 413, 422),
)
def create_interview(
    body: InterviewIn,
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    rng: RngDep,
    now: NowDep,
) -> InterviewOut:
    interview = service.start(
        session,
        identity=identity,
        content=content,
        lessons=body.lessons,
        length=body.length,
        rng=rng,
        now=now,
    )
    return interview_out(session, interview, content)


@router.get(
    "/interviews",
    summary="My mock interviews, newest first",
    responses=problem_responses(401),
)
def list_interviews(
    identity: ApiIdentity,
    session: SessionDep,
    page: Annotated[Page, Depends(paging(what="interviews"))],
) -> list[InterviewSummaryOut]:
    interviews = service.interviews(session, identity=identity)
    return [InterviewSummaryOut.of(i) for i in page.of(interviews)]


@router.get(
    "/interviews/{interview_id}",
    summary="One of my interviews: the current question while it runs, the report once over",
    responses=problem_responses(401, 404, 409, 422),
)
def get_interview(
    interview_id: InterviewId, identity: ApiIdentity, session: SessionDep, content: ContentDep
) -> InterviewOut:
    interview = service.mine(session, identity=identity, interview_id=interview_id)
    return interview_out(session, interview, content)


@router.post(
    "/interviews/{interview_id}/answers",
    summary="Answer the current question: the next one comes back (no feedback until the end)",
    responses=problem_responses(401, 403, 404, 409, 413, 422, 429),
)
async def answer_question(
    interview_id: InterviewId,
    body: AnswerIn,
    identity: ApiIdentity,
    content: ContentDep,
    now: NowDep,
    request: Request,
) -> InterviewOut:
    """``position`` must be the current one: a position already recorded is 409 (the answer
    kept is the first), and so is any answer to an interview that is over. The answer is
    judged on the lab's bounded pool (429 with Retry-After when it is busy) and kept; the
    verdicts are in the report."""
    state = request.app.state
    bank = content.questions
    question = await run_with_session(
        request,
        lambda session: service.answerable(
            session,
            identity=identity,
            interview_id=interview_id,
            position=body.position,
            bank=bank,
        ),
    )
    text = open_answers.check_text(question, body.text)
    source: open_answers.EmbedderSource = state.lab_store
    runner: open_answers.Runner = state.lab_pool
    graded = await runner.run(lambda: open_answers.grade(question, text, source.embedder()))

    def write(session: Session) -> InterviewOut:
        interview = service.record_answer(
            session,
            identity=identity,
            interview_id=interview_id,
            position=body.position,
            question=question,
            text=text,
            graded=graded,
            arrived=now,
            clock=state.clock,
            bank=bank,
        )
        return interview_out(session, interview, content)

    return await run_with_session(request, write)


@router.post(
    "/interviews/{interview_id}/finish",
    summary="Finish early: the report covers the answers given so far",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def finish_interview(
    interview_id: InterviewId,
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> InterviewOut:
    interview = service.finish(session, identity=identity, interview_id=interview_id, now=now)
    return interview_out(session, interview, content)


@router.post(
    "/interviews/{interview_id}/abandon",
    summary="Abandon it: the answers stay, with no score",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def abandon_interview(
    interview_id: InterviewId,
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
) -> InterviewOut:
    interview = service.abandon(session, identity=identity, interview_id=interview_id, now=now)
    return interview_out(session, interview, content)
