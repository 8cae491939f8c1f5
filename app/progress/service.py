"""Load a learner's rows and compute their progress."""

from __future__ import annotations

from datetime import datetime

from fsrs import Scheduler
from sqlmodel import Session

from app.accounts.identity import Identity
from app.content.index import ContentIndex
from app.progress.stats import Progress, progress
from app.quiz import repository

__all__ = ["load_progress"]


def load_progress(
    session: Session,
    *,
    identity: Identity,
    content: ContentIndex,
    scheduler: Scheduler,
    now: datetime,
) -> Progress:
    learner = identity.learner
    if learner is None or learner.id is None:
        return progress(
            content=content, scheduler=scheduler, attempts=[], logs=[], cards=[], now=now
        )
    return progress(
        content=content,
        scheduler=scheduler,
        attempts=repository.attempts_of(session, learner_id=learner.id),
        logs=repository.logs_of(session, learner_id=learner.id),
        cards=repository.cards_of(session, learner_id=learner.id),
        now=now,
    )
