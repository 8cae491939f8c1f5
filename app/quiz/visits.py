"""Lessons opened: the review queue draws new cards only from the lessons a learner has read
(and the questions they have answered), so the lesson page records its visitor's first visit.

The lesson page is the busiest route and is served from memory, so the record costs it next
to nothing: a visitor without a session cookie (a crawler, a first-time reader) costs one
dictionary lookup; a cookie already recorded for this lesson, one set lookup. Otherwise the
cookie's signature is checked and the write is handed to a background task that Starlette
runs after the response has been sent: one read to find the learner (a guest who has saved
nothing yet has no row, and nothing is recorded), and an ``INSERT … ON CONFLICT DO NOTHING``
only when it is the first visit. Failures are logged, never shown: the page is already out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.background import BackgroundTask

from app.accounts.security import SessionClaims, Signer, hash_token
from app.db import retry_on_conflict
from app.errors import AppError
from app.quiz import repository

__all__ = ["LessonVisits"]

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # (cookie, lesson) pairs known to be recorded, per process


class LessonVisits:
    def __init__(self, engine: Engine, *, signer: Signer, clock: Callable[[], datetime]) -> None:
        self._engine, self._signer, self._clock = engine, signer, clock
        self._recorded: dict[tuple[str, str], None] = {}  # insertion order: oldest first
        self._lock = threading.Lock()

    def after_page(self, cookie: str | None, lesson: str) -> BackgroundTask | None:
        """The task that records this visit once the page is sent, or None when there is
        nothing to record (no cookie, a forged one, or one already recorded here)."""
        if not cookie or (cookie, lesson) in self._recorded:
            return None
        claims = self._signer.read_session(cookie)
        if claims is None:
            return None
        return BackgroundTask(self.record, cookie, claims, lesson)

    def record(self, cookie: str, claims: SessionClaims, lesson: str) -> None:
        """Blocking (Starlette runs a plain function in its thread pool)."""
        secret = hash_token(claims.secret) if claims.secret is not None else None
        try:
            with Session(self._engine) as session:
                found = repository.visitor(
                    session, public_id=claims.public_id, secret_hash=secret, lesson=lesson
                )
                session.commit()  # end the read
                if found is None:
                    return  # no learner row yet: nothing to remember either
                learner_id, seen = found
                if not seen:
                    at = self._clock()

                    def write() -> None:
                        repository.record_visit(
                            session, learner_id=learner_id, lesson=lesson, at=at
                        )
                        session.commit()

                    retry_on_conflict(session, write)
        except (SQLAlchemyError, AppError) as exc:
            log.warning("lesson visit to %s not recorded: %s", lesson, exc)
            return
        self._remember((cookie, lesson))

    def _remember(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recorded[key] = None
            if len(self._recorded) > REMEMBERED:
                del self._recorded[next(iter(self._recorded))]
