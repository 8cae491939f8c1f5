"""Practice-session use cases: start one (on its first answer, or from the missed ones of
another), find the learner's own, record what counted at a position, sum it up. Each write
commits once; these are blocking (the async routes run them in a worker thread)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.accounts.identity import Identity, ensure_learner
from app.clock import as_utc
from app.content.index import ContentIndex
from app.content.questions import Question, QuestionBank
from app.db import retry_on_conflict
from app.errors import NotFound
from app.quiz import calculated, practice, practice_repository, repository, service
from app.quiz.practice import Item, Progress
from app.quiz.practice_tables import PracticeSession
from app.quiz.review import DueSummary

__all__ = [
    "Row",
    "Summary",
    "again",
    "find",
    "lookup",
    "pool_of",
    "record",
    "start",
    "state",
    "summary",
    "under_way",
]


def find(session: Session, *, identity: Identity, session_id: str, lesson: str) -> PracticeSession:
    """The learner's own session of this lesson; NotFound for anyone else's, or none."""
    learner = identity.learner
    found = (
        practice_repository.get_session(session, session_id=session_id, learner_id=learner.id)
        if learner is not None and learner.id is not None
        else None
    )
    session.commit()  # end the read
    if found is None or found.lesson != lesson:
        raise NotFound(
            "There is no such practice session of yours here. Sessions belong to whoever "
            "started them, in the browser they started them in (or their account)."
        )
    return found


def lookup(session: Session, *, identity: Identity, session_id: str) -> PracticeSession | None:
    """A first page's session if it was made already (the page sent before): the learner's
    own, or NotFound when it is someone else's; None when there is none yet."""
    learner = identity.learner
    mine = (
        practice_repository.get_session(session, session_id=session_id, learner_id=learner.id)
        if learner is not None and learner.id is not None
        else None
    )
    taken = mine is None and practice_repository.exists(session, session_id=session_id)
    session.commit()
    if taken:
        raise NotFound("That practice session is not yours; start one of your own.")
    return mine


def under_way(session: Session, *, identity: Identity, lesson: str) -> tuple[str, Progress] | None:
    """The learner's unfinished session of this lesson (its URL and progress), if any: the
    first page offers to carry on with it."""
    learner = identity.learner
    if learner is None or learner.id is None:
        return None
    found = practice_repository.latest_unfinished(session, learner_id=learner.id, lesson=lesson)
    if found is None:
        session.commit()
        return None
    _, progress = state(session, practice_session=found)
    return f"/quiz/{lesson}/s/{found.id}", progress


def start(
    session: Session,
    *,
    identity: Identity,
    session_id: str,
    lesson: str,
    pool: Sequence[Question],
    first: str,
    length: int,
    rng: random.Random,
    now: datetime,
    started_at: datetime,
) -> PracticeSession:
    """The session whose first page was answered: made now with its plan (``first``, then the
    draw of ``practice.plan``), or the one made by an earlier send of that page (a reload).

    One write transaction (``retry_on_conflict``): on SQLite a read followed by a write in one
    deferred transaction fails at once when another writer committed in between, so the reads
    the plan needs are made under the write lock, afresh on each try."""

    def work() -> PracticeSession:
        learner = ensure_learner(session, identity)
        assert learner.id is not None
        existing = practice_repository.get_session(
            session, session_id=session_id, learner_id=learner.id
        )
        if existing is not None:  # an earlier send of this page made it
            session.commit()
            return existing
        if practice_repository.exists(session, session_id=session_id):
            raise NotFound("That practice session is not yours; start one of your own.")
        latest = repository.latest_attempts(session, learner_id=learner.id)
        cards = repository.cards_of(session, learner_id=learner.id)
        questions = practice.plan(
            [q.id for q in pool],
            length=length,
            latest={q: (a.correct, as_utc(a.created_at)) for q, a in latest.items()},
            due={c.question_id: as_utc(c.due) for c in cards},
            now=now,
            rng=rng,
            first=first,
        )
        made = practice_repository.create(
            session,
            session_id=session_id,
            learner_id=learner.id,
            lesson=lesson,
            questions=questions,
            started_at=started_at,
        )
        session.commit()
        return made

    # A unique key taken meanwhile (the same first page sent twice at once) is retried: the
    # next try finds the session the other send made.
    return retry_on_conflict(session, work)


def state(session: Session, *, practice_session: PracticeSession) -> tuple[list[Item], Progress]:
    items = practice_repository.items_of(session, session_id=practice_session.id)
    session.commit()
    return items, practice.progress(practice_session.questions, items)


def record(
    session: Session, *, practice_session: PracticeSession, item: Item, now: datetime
) -> tuple[bool, Progress]:
    """Record what counted at a position; False when that position was recorded before (the
    first answer counts). The session's progress after it. One write transaction, which reads
    the recorded positions under the write lock (see ``start``)."""

    def work() -> bool:
        done = {
            i.position
            for i in practice_repository.items_of(session, session_id=practice_session.id)
        }
        if item.position in done:
            session.commit()
            return False
        last = len(done) + 1 == len(practice_session.questions)
        return practice_repository.add_item(
            session, practice=practice_session, item=item, now=now, last=last
        )

    recorded = retry_on_conflict(session, work)
    _, progress = state(session, practice_session=practice_session)
    return recorded, progress


def again(
    session: Session, *, identity: Identity, practice_session: PracticeSession, now: datetime
) -> PracticeSession | None:
    """A new session of the questions this one missed (None when it missed none)."""
    items, _ = state(session, practice_session=practice_session)
    missed = practice.missed(practice_session.questions, items)
    if not missed:
        return None
    new_id = practice.new_session_id()

    def work() -> PracticeSession:
        made = practice_repository.create(
            session,
            session_id=new_id,
            learner_id=practice_session.learner_id,
            lesson=practice_session.lesson,
            questions=missed,
            started_at=now,
        )
        session.commit()
        return made

    return retry_on_conflict(session, work)


@dataclass(frozen=True)
class Row:
    number: int
    question: Question | None  # None: removed from the bank since
    question_id: str
    item: Item | None  # None: not reached
    next_review_at: datetime | None
    section_url: str
    section_title: str
    prompt_html: str  # a calculated question's with the values it was asked with


@dataclass(frozen=True)
class Summary:
    rows: tuple[Row, ...]
    progress: Progress
    missed: tuple[str, ...]
    started_at: datetime
    ended_at: datetime
    time_taken: str
    due: DueSummary
    next_of_these: datetime | None  # the earliest review of this session's questions


def summary(
    session: Session,
    *,
    identity: Identity,
    practice_session: PracticeSession,
    content: ContentIndex,
    now: datetime,
) -> Summary:
    items, progress = state(session, practice_session=practice_session)
    by_position = {i.position: i for i in items}
    attempt_ids = [i.attempt_id for i in items if i.attempt_id]
    attempts = {a.id: a for a in repository.attempts_by_id(session, attempt_ids=attempt_ids)}
    due = service.due_for(session, identity=identity, bank=content.questions, now=now)
    session.commit()
    rows = []
    for position, question_id in enumerate(practice_session.questions):
        item = by_position.get(position)
        attempt = attempts.get(item.attempt_id or "") if item else None
        question = content.questions.get(question_id)
        url, title = _section(content, question)
        review_at = as_utc(attempt.next_review_at) if attempt else None
        values = ((attempt.drawn if attempt else None) or {}).get("values") or {}
        prompt = calculated.fill(question.prompt_html, values) if question else question_id
        rows.append(Row(position + 1, question, question_id, item, review_at, url, title, prompt))
    started = as_utc(practice_session.started_at)
    ended = as_utc(practice_session.finished_at) if practice_session.finished_at else now
    upcoming = [r.next_review_at for r in rows if r.next_review_at is not None]
    return Summary(
        tuple(rows),
        progress,
        tuple(practice.missed(practice_session.questions, items)),
        started,
        ended,
        practice.time_taken(started, ended),
        due,
        min(upcoming, default=None),
    )


def _section(content: ContentIndex, question: Question | None) -> tuple[str, str]:
    """The lesson section a question belongs to: its URL and heading (the lesson's title when
    the anchor is not one of its headings)."""
    if question is None:
        return "/lessons", "Lessons"
    try:
        lesson = content.lesson(question.lesson)
    except NotFound:
        return question.lesson_url, question.lesson
    heading = next((t.text for t in lesson.toc if t.anchor == question.anchor), None)
    return question.lesson_url, heading or lesson.title


def pool_of(bank: QuestionBank, slug: str | None) -> tuple[Question, ...]:
    return bank.for_lesson(slug) if slug else bank.questions
