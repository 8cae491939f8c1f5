"""Mock interview use cases: start one, answer its current question, finish it early, abandon
it, read the learner's own. Every write runs in ``retry_on_conflict`` and commits once; times
come from the server's clock, never from the browser.

Grading is not done here: the caller grades on the lab's pool (``open_answers.grade``) between
``answerable`` (read) and ``record_answer`` (write), and the write checks the position again,
so two tabs sending the same position record it once (the other gets 409).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from app.accounts.identity import Identity, ensure_learner
from app.content.index import ContentIndex
from app.content.questions import Question, QuestionBank
from app.db import retry_on_conflict
from app.errors import Conflict, InvalidInput, NotFound
from app.interview import plan, repository
from app.interview.tables import ABANDONED, FINISHED, IN_PROGRESS, Interview, InterviewAnswer
from app.quiz import open_answers

__all__ = [
    "abandon",
    "answerable",
    "answers",
    "current_question",
    "finish",
    "interviews",
    "lesson_choices",
    "mine",
    "record_answer",
    "recorded_message",
    "start",
]


def lesson_choices(content: ContentIndex) -> list[tuple[str, str, int]]:
    """(slug, title, open questions) of every lesson that has open questions, in lesson order."""
    rows = []
    for lesson in content.lessons:
        count = sum(q.type == "open" for q in content.questions.for_lesson(lesson.slug))
        if count:
            rows.append((lesson.slug, lesson.title, count))
    return rows


def _chosen(content: ContentIndex, lessons: Sequence[str] | None) -> list[str]:
    available = {slug: count for slug, _, count in lesson_choices(content)}
    if lessons is None:
        return list(available)
    if not lessons:
        raise InvalidInput("Choose at least one lesson (or leave 'lessons' out for all of them).")
    unknown = [slug for slug in lessons if slug not in available]
    if unknown:
        raise InvalidInput(
            f"No lesson with open questions is called '{unknown[0]}'; choose among: "
            f"{', '.join(available)}."
        )
    return [slug for slug in available if slug in set(lessons)]  # lesson order, no repeats


def start(
    session: Session,
    *,
    identity: Identity,
    content: ContentIndex,
    lessons: Sequence[str] | None,
    length: int,
    rng: random.Random,
    now: datetime,
) -> Interview:
    """A new interview on these lessons (None: all), its first question asked now."""
    if length not in plan.LENGTHS:
        raise InvalidInput(f"'length' must be 3, 5 or 8 questions, not {length}.")
    slugs = _chosen(content, lessons)
    pool = [q.id for q in content.questions.questions if q.type == "open" and q.lesson in slugs]
    if len(pool) < length:
        raise InvalidInput(
            f"The lessons you chose have {len(pool)} open questions, fewer than {length}: "
            "choose more lessons or a shorter interview."
        )
    steps = plan.draw(pool, length, rng)

    def write() -> Interview:
        learner = ensure_learner(session, identity)
        assert learner.id is not None
        interview = Interview(
            learner_id=learner.id,
            lessons=slugs,
            length=length,
            plan=plan.to_json(steps),
            status=IN_PROGRESS,
            position=1,
            asked_at=now,
            started_at=now,
        )
        repository.save(session, interview)
        session.commit()
        return interview

    return retry_on_conflict(session, write)


def _not_found(interview_id: int) -> NotFound:
    return NotFound(f"There is no interview {interview_id} of yours.")


def _learner_id(identity: Identity, interview_id: int) -> int:
    learner = identity.learner
    if learner is None or learner.id is None:  # a guest who has saved nothing has no interview
        raise _not_found(interview_id)
    return learner.id


def mine(
    session: Session, *, identity: Identity, interview_id: int, for_update: bool = False
) -> Interview:
    """The learner's interview; anyone else's is NotFound, like one that does not exist."""
    found = repository.get_interview(
        session,
        interview_id=interview_id,
        learner_id=_learner_id(identity, interview_id),
        for_update=for_update,
    )
    if found is None:
        raise _not_found(interview_id)
    return found


def interviews(session: Session, *, identity: Identity) -> Sequence[Interview]:
    learner = identity.learner
    if learner is None or learner.id is None:
        return []
    return repository.interviews_of(session, learner_id=learner.id)


def answers(session: Session, *, interview: Interview) -> Sequence[InterviewAnswer]:
    assert interview.id is not None
    return repository.answers_of(session, interview_ids=[interview.id])


def current_question(interview: Interview, bank: QuestionBank) -> Question:
    steps = plan.from_json(interview.plan)
    question_id = steps[interview.position - 1].question_id
    question = bank.get(question_id)
    if question is None:
        raise Conflict(
            f"Question '{question_id}' of this interview is no longer in the question bank: "
            "abandon this interview and start another."
        )
    return question


def recorded_message(position: int, current: int) -> str:
    return (
        f"Your answer to question {position} was already recorded and is kept as it was; "
        f"the interview is at question {current} now."
    )


def _check_answerable(interview: Interview, position: int) -> None:
    if interview.status != IN_PROGRESS:
        raise Conflict(
            f"This interview is {interview.status.replace('_', ' ')}: it takes no more answers."
        )
    if not 1 <= position <= interview.length:
        raise InvalidInput(
            f"'position' must be between 1 and {interview.length}: the interview is at "
            f"question {interview.position}."
        )
    if position < interview.position:
        raise Conflict(recorded_message(position, interview.position))
    if position > interview.position:
        raise Conflict(
            f"Question {position} has not been asked yet; the interview is at question "
            f"{interview.position}."
        )


def answerable(
    session: Session, *, identity: Identity, interview_id: int, position: int, bank: QuestionBank
) -> Question:
    """The question at ``position`` if it is the one to answer now; else Conflict saying which."""
    interview = mine(session, identity=identity, interview_id=interview_id)
    _check_answerable(interview, position)
    return current_question(interview, bank)


def record_answer(
    session: Session,
    *,
    identity: Identity,
    interview_id: int,
    position: int,
    question: Question,
    text: str,
    graded: open_answers.Graded,
    arrived: datetime,
    clock: Callable[[], datetime],
    bank: QuestionBank,
) -> Interview:
    """Keep the graded answer (it ``arrived`` then); choose what comes next; finish after the
    last position. The next question counts as asked from the moment this is written."""
    judgement = open_answers.as_json(graded)

    def write() -> Interview:
        interview = mine(session, identity=identity, interview_id=interview_id, for_update=True)
        _check_answerable(interview, position)
        assert interview.id is not None
        answer = InterviewAnswer(
            interview_id=interview.id,
            position=position,
            question_id=question.id,
            question_hash=question.content_hash,
            text=text,
            asked_at=interview.asked_at or arrived,
            answered_at=arrived,
            judgement=judgement,
        )
        repository.add_answer(session, answer)
        interview.position = position + 1
        if position == interview.length:
            _end(session, interview, FINISHED, clock())
        else:
            interview.plan = plan.to_json(_next_steps(interview, question, judgement, bank))
            interview.asked_at = clock()
            repository.save(session, interview)
        session.commit()
        return interview

    return retry_on_conflict(session, write)


def _next_steps(
    interview: Interview, question: Question, judgement: dict[str, object], bank: QuestionBank
) -> list[plan.Step]:
    steps = plan.from_json(interview.plan)
    answered = interview.position - 1
    follow_ups = {
        p.id: p.follow_up for p in question.key_points if p.follow_up and p.follow_up in bank
    }
    asked = {s.question_id for s in steps[:answered]}
    points = judgement["key_points"]
    assert isinstance(points, list)
    chosen = plan.choose_follow_up(points, follow_ups, asked)
    return plan.with_follow_up(steps, answered, *chosen) if chosen else steps


def _end(session: Session, interview: Interview, status: str, now: datetime) -> None:
    figures = plan.summary([a.judgement for a in answers(session, interview=interview)])
    interview.status = status
    interview.ended_at = now
    interview.asked_at = None
    interview.grader = figures.grader
    if status == FINISHED:  # an abandoned interview keeps its answers but has no score
        interview.score, interview.coverage = figures.score, figures.coverage
    repository.save(session, interview)


def _over(interview: Interview) -> Conflict:
    what = "finished" if interview.status == FINISHED else "abandoned"
    return Conflict(f"This interview was already {what}.")


def finish(session: Session, *, identity: Identity, interview_id: int, now: datetime) -> Interview:
    """End it now with the answers given so far: the report covers those."""

    def write() -> Interview:
        interview = mine(session, identity=identity, interview_id=interview_id, for_update=True)
        if interview.status != IN_PROGRESS:
            raise _over(interview)
        if interview.position == 1:
            raise Conflict(
                "Nothing is answered yet, so there is nothing to report: answer the first "
                "question, or abandon the interview."
            )
        _end(session, interview, FINISHED, now)
        session.commit()
        return interview

    return retry_on_conflict(session, write)


def abandon(session: Session, *, identity: Identity, interview_id: int, now: datetime) -> Interview:
    """Give it up: the answers stay (and can be read), but it gets no score."""

    def write() -> Interview:
        interview = mine(session, identity=identity, interview_id=interview_id, for_update=True)
        if interview.status != IN_PROGRESS:
            raise _over(interview)
        _end(session, interview, ABANDONED, now)
        session.commit()
        return interview

    return retry_on_conflict(session, write)
