"""``/api/v1/questions``, ``/api/v1/attempts``, ``/api/v1/reviews``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.accounts.identity import ApiIdentity
from app.api import problem_responses
from app.clock import as_utc
from app.db import SessionDep, run_with_session
from app.deps import NowDep, RngDep, SchedulerDep
from app.pagination import Page, paging
from app.quiz import answers, calculated, open_answers, service
from app.quiz.scheduling import State
from app.quiz.schemas import (
    AttemptIn,
    AttemptOut,
    GradeIn,
    GradeOut,
    QuestionOut,
    RatingIn,
    ReviewOut,
)
from app.quiz.writer import AttemptWriter
from app.web import ContentDep

__all__ = ["ATTEMPTS_ROUTE", "create_attempt", "router"]

router = APIRouter(prefix="/api/v1", tags=["quiz"])


@router.get(
    "/questions",
    summary="Questions without answer keys, options shuffled, calculated ones with drawn values",
    responses=problem_responses(401, 404),
)
async def list_questions(
    content: ContentDep,
    identity: ApiIdentity,
    rng: RngDep,
    page: Annotated[Page, Depends(paging(what="questions"))],
    lesson: Annotated[
        str | None, Query(description="a lesson slug; all questions when left out")
    ] = None,
) -> list[QuestionOut]:
    if lesson is not None:
        content.lesson(lesson)  # 404 for an unknown lesson
    questions = content.questions.for_lesson(lesson) if lesson else content.questions.questions
    return [
        QuestionOut.of(
            q, service.shuffled_order(q, rng), calculated.new_seed(rng) if q.compute else None
        )
        for q in page.of(questions)
    ]


# Registered by create_app directly on the app, ahead of the other routes: it is the busiest
# API call, and routes match in order (bench/attempts.py measures it).
ATTEMPTS_ROUTE: dict[str, Any] = {
    "path": "/api/v1/attempts",
    "methods": ["POST"],
    "status_code": 201,
    "tags": ["quiz"],
    "summary": "Answer a question: graded, kept, rescheduled. Resending the same attempt_id is safe.",
    "responses": {
        **problem_responses(401, 403, 404, 409, 413, 422),
        200: {
            "model": AttemptOut,
            "description": "This attempt_id was seen before: the first result",
        },
    },
}


async def create_attempt(body: AttemptIn, identity: ApiIdentity, request: Request) -> Response:
    # The busiest call: the app-wide collaborators come straight from app.state rather than
    # through five more dependencies (each costs a measurable share of the request), and there
    # is no session dependency: the database is touched only by the writer's thread (or, in a
    # worker thread, to replay a retry whose response no longer grades). Grading is pure and
    # quick, so it runs here.
    state = request.app.state
    writer: AttemptWriter = state.attempt_writer
    answered = await writer.answer(
        lambda work: run_with_session(request, work),
        identity=identity,
        attempt_id=answers.parse_attempt_id(body.attempt_id),
        question_id=body.question_id,
        response=body.response,
        shown_order=body.shown_order,
        duration_ms=body.duration_ms,
        now=state.clock(),
    )
    return Response(  # pydantic writes the JSON bytes itself: no dict, no json.dumps
        AttemptOut.of(answered.result).model_dump_json(),
        status_code=201 if answered.created else 200,
        media_type="application/json",
    )


class DueItemOut(BaseModel):
    question_id: str
    kind: str
    due: str | None


class DueOut(BaseModel):
    new: int
    learning: int
    review: int
    next_due: str | None
    queue: list[DueItemOut]


@router.get("/reviews/due", summary="What is due for review now", responses=problem_responses(401))
def reviews_due(
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    now: NowDep,
    page: Annotated[Page, Depends(paging(what="queue items"))],
) -> DueOut:
    summary = service.due_for(session, identity=identity, bank=content.questions, now=now)
    return DueOut(
        new=summary.new,
        learning=summary.learning,
        review=summary.review,
        next_due=summary.next_due.isoformat() if summary.next_due else None,
        queue=[
            DueItemOut(
                question_id=i.question_id, kind=i.kind, due=i.due.isoformat() if i.due else None
            )
            for i in page.of(summary.queue)
        ],
    )


@router.post(
    "/reviews/{question_id}",
    summary="Rate a card from the review queue (1 Again … 4 Easy)",
    responses=problem_responses(401, 403, 404, 422),
)
def review_question(
    question_id: str,
    body: RatingIn,
    identity: ApiIdentity,
    session: SessionDep,
    content: ContentDep,
    scheduler: SchedulerDep,
    now: NowDep,
) -> ReviewOut:
    card = service.rate(
        session,
        scheduler=scheduler,
        bank=content.questions,
        identity=identity,
        question_id=question_id,
        rating=body.rating,
        now=now,
    )
    return ReviewOut(
        question_id=question_id,
        rating=body.rating,
        state=State(card.state).name.lower(),
        next_review_at=as_utc(card.due),
    )


@router.post(
    "/questions/{question_id}/grade",
    summary="Grade an open answer without keeping it: the verdict and its evidence",
    responses=problem_responses(401, 403, 404, 413, 422, 429),
)
async def grade_answer(
    question_id: str, body: GradeIn, identity: ApiIdentity, content: ContentDep, request: Request
) -> GradeOut:
    """Judged by all-MiniLM-L6-v2 (``grader: "minilm"``): each key point by its best-matching
    sentence, with negation, direction and numbers checked, and the question's misconceptions.
    Without the model, by keywords (``grader: "keywords"``, never better than "unsure").
    Runs on the lab's bounded pool: 429 with Retry-After when it is busy."""
    question = service.question_or_404(content.questions, question_id)
    text = open_answers.check_text(question, body.text)
    source: open_answers.EmbedderSource = request.app.state.lab_store
    runner: open_answers.Runner = request.app.state.lab_pool
    graded = await runner.run(lambda: open_answers.grade(question, text, source.embedder()))
    return GradeOut.of(graded)
