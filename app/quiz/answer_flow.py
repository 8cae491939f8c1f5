"""One quiz form sent: read it, grade and store the answer, record it in its practice session,
render what comes next. Shared by ``/quiz/{lesson}`` (a session's first page, or an old form
without a session) and ``/quiz/{lesson}/s/{id}`` (a session's later questions).

A form resent with the attempt id of a stored answer (a reload, a double click, or Back and a
different answer) gets the first answer's result; when the answer differs, the page says
"Already answered" and labels the result as the first answer's. A session records each
position once, so a resent form never counts twice. A form that cannot be taken (an unknown
question, a bogus attempt id, another page's session) gets ``quiz/form_error.html``: what
happened, and the question again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.identity import Identity
from app.content.index import ContentIndex
from app.content.questions import Question
from app.errors import AppError, InvalidInput
from app.quiz import answers, calculated, forms, practice, practice_service, service
from app.quiz.answers import AttemptResult
from app.quiz.practice import Item
from app.quiz.practice_tables import PracticeSession
from app.quiz.quiz_views import Page, feedback, form_error, open_reveal, practice_view
from app.quiz.quiz_views import question_page as render_question
from app.quiz.writer import AttemptWriter

__all__ = ["Sent", "SessionRef", "take"]

T = TypeVar("T")


@dataclass(frozen=True)
class SessionRef:
    """The practice session a form belongs to. ``length`` set: the session's first page, whose
    session is made when it is answered; None: an existing session (``/quiz/{lesson}/s/{id}``)."""

    session_id: str
    length: int | None = None

    def url(self, lesson: str) -> str:
        return f"/quiz/{lesson}/s/{self.session_id}"


@dataclass(frozen=True)
class Sent:
    """What the route hands over: the request, who sent it, and where."""

    request: Request
    identity: Identity
    session: Session
    content: ContentIndex
    now: datetime
    page: Page
    ref: SessionRef | None
    existing: PracticeSession | None  # the session, when ref names an existing one


def _in_thread(sent: Sent, work: Callable[[Session], T]) -> Any:
    return run_in_threadpool(work, sent.session)


async def take(sent: Sent, form: FormData) -> Response:
    """The response to a sent quiz form (never a 500 for anything the form says)."""
    try:
        question = _answered_question(sent, form)
    except AppError as exc:
        return form_error(
            sent.request, status=exc.status, detail=exc.message, again_url=_again(sent, None)
        )
    try:
        attempt_id = answers.parse_attempt_id(str(form.get("attempt_id") or ""))
    except InvalidInput:
        return form_error(
            sent.request,
            status=422,
            detail="This form's attempt id is not one this site makes (the page was changed "
            "or is too old), so the answer was not taken.",
            again_url=_again(sent, question),
        )
    try:
        return await _take(sent, form, question, attempt_id)
    except AppError as exc:  # e.g. the attempt id was used for another question (409)
        return form_error(
            sent.request, status=exc.status, detail=exc.message, again_url=_again(sent, question)
        )


def _again(sent: Sent, question: Question | None) -> str:
    """Where to ask the question again: the session's page (it asks its next one), or the
    question itself."""
    if sent.existing is not None and sent.ref is not None:
        return sent.ref.url(sent.page.lesson)
    if question is not None:
        return f"/quiz/{sent.page.lesson}?question={question.id}"
    return f"/quiz/{sent.page.lesson}"


def _answered_question(sent: Sent, form: FormData) -> Question:
    """The question the form answers: one of the page's lesson (or mixed practice), and of
    its session when it has one."""
    question = sent.content.questions.get(str(form.get("question_id") or ""))
    if question is None:
        raise InvalidInput("This form names a question that does not exist (any more).")
    if sent.page.slug is not None and question.lesson != sent.page.slug:
        raise InvalidInput(
            f"That question belongs to the {sent.content.lesson(question.lesson).title} lesson, "
            f"not this one: answer it at /quiz/{question.lesson}."
        )
    if sent.existing is not None and question.id not in sent.existing.questions:
        raise InvalidInput("That question is not part of this practice session.")
    return question


async def _take(sent: Sent, form: FormData, question: Question, attempt_id: str) -> Response:
    if form.get("skip") and sent.ref is not None:
        return await _skip(sent, sent.ref, form, question)
    try:
        answer = forms.read_answer(question, form)
    except InvalidInput as exc:
        return await _ask_again(sent, form, question, attempt_id, exc.message)
    if question.type == "open" and "rating" not in answer.response:
        first = await _first_result(sent, question, attempt_id)
        if first is not None:  # rated before: Back to the question, a new text
            text_only = {**answer.response, "rating": first.response.get("rating")}
            return await _shown(sent, question, first, answer, created=False, compare=text_only)
        intervals = await _in_thread(
            sent,
            lambda session: service.intervals_for(
                session,
                scheduler=sent.request.app.state.scheduler,
                identity=sent.identity,
                question_id=question.id,
                now=sent.now,
            ),
        )
        return await open_reveal(
            sent.request, sent.page, question, answer, attempt_id, intervals=intervals
        )
    writer: AttemptWriter = sent.request.app.state.attempt_writer
    answered = await writer.answer(
        lambda work: run_in_threadpool(work, sent.session),
        identity=sent.identity,
        attempt_id=attempt_id,
        question_id=question.id,
        response=answer.response,
        shown_order=answer.shown_order,
        duration_ms=answer.duration_ms(),
        now=sent.now,
    )
    return await _shown(
        sent, question, answered.result, answer, created=answered.created, compare=None
    )


async def _first_result(sent: Sent, question: Question, attempt_id: str) -> AttemptResult | None:
    bank = sent.content.questions
    result: AttemptResult | None = await _in_thread(
        sent,
        lambda s: answers.replay(
            s, bank=bank, identity=sent.identity, attempt_id=attempt_id, question_id=question.id
        ),
    )
    return result


async def _shown(
    sent: Sent,
    question: Question,
    result: AttemptResult,
    answer: forms.FormAnswer,
    *,
    created: bool,
    compare: dict[str, Any] | None,
) -> Response:
    """The feedback page for a stored answer, after recording it in the session."""
    resubmitted = not created and not practice.same_response(
        question.type, result.response, compare if compare is not None else answer.response
    )
    item = Item(-1, question.id, result.attempt_id, result.correct, result.score)
    page, counted = await _record(sent, item, answer.duration_ms())
    return feedback(
        sent.request,
        page,
        result,
        now=sent.now,
        resubmitted=resubmitted,
        counted_before=not counted and not resubmitted and created,
    )


async def _record(sent: Sent, item: Item, duration_ms: int | None) -> tuple[Page, bool]:
    """Record the item in the form's session (made now for a first page): the page with the
    session's progress, and whether this item is what counted at its position."""
    if sent.ref is None:
        return sent.page, True
    ref = sent.ref
    lesson = sent.page.lesson
    started = sent.now - timedelta(milliseconds=duration_ms or 0)

    def work(session: Session) -> tuple[bool, Any]:
        session.commit()  # end the read this request began: the writer has stored since
        found = sent.existing
        if found is None:
            found = practice_service.start(
                session,
                identity=sent.identity,
                session_id=ref.session_id,
                lesson=lesson,
                pool=practice_service.pool_of(sent.content.questions, sent.page.slug),
                first=item.question_id,
                length=ref.length or practice.DEFAULT_LENGTH,
                rng=sent.request.app.state.rng,
                now=sent.now,
                started_at=started,
            )
        if item.question_id not in found.questions:
            raise InvalidInput("That question is not part of this practice session.")
        placed = replace(item, position=found.questions.index(item.question_id))
        counted, progress = practice_service.record(
            session, practice_session=found, item=placed, now=sent.now
        )
        return counted, practice_view(ref.url(lesson), progress, number=placed.position + 1)

    counted, view = await _in_thread(sent, work)
    return replace(sent.page, practice=view, action=ref.url(lesson), hidden={}), counted


async def _skip(sent: Sent, ref: SessionRef, form: FormData, question: Question) -> Response:
    """Skip: the position counts as missed, and the session asks its next question."""
    duration = forms.FormAnswer({}, None, forms.started(form)).duration_ms()
    await _record(sent, Item(-1, question.id, None, False, 0.0), duration)
    return RedirectResponse(ref.url(sent.page.lesson), status_code=303)


async def _ask_again(
    sent: Sent, form: FormData, question: Question, attempt_id: str, message: str
) -> HTMLResponse:
    """The question again, as it was shown, with what to fix (422)."""
    seed = forms.seed(form)  # the values the learner saw, or a fresh draw if the form lost them
    if question.compute and seed is None:
        seed = calculated.new_seed(sent.request.app.state.rng)
    return render_question(
        sent.request,
        sent.page,
        question=question,
        order=forms.order_to_show_again(question, form),
        seed=seed,
        attempt_id=attempt_id,
        error=message,
        form=form,
        status_code=422,
    )
