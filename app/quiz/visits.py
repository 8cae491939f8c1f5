"""Lessons opened: the review queue draws new cards only from the lessons a learner has read
(and the questions they have answered), so the lesson page records its visitor's first visit.

The lesson page is the busiest route and is served from memory, so the record costs it next
to nothing: a request without a session cookie (a script, a crawler) costs one dictionary
lookup; a cookie already recorded for this lesson, one more (a browser's first page, a
navigation with no cookie, is given a guest cookie by the lesson page first). Otherwise the
cookie's signature is checked (once per cookie and process) and the write is handed to a
background task that Starlette runs after the response has been sent: one read to find the
learner (a guest who has saved nothing yet gets their row now, as a first answer would give it), and an
``INSERT … ON CONFLICT DO NOTHING`` only when it is the first visit. Failures are logged,
never shown: the page is already out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.background import BackgroundTask

from app.accounts.identity import Identity, ensure_learner
from app.accounts.security import SessionClaims, Signer, hash_token
from app.db import retry_on_conflict
from app.errors import AppError
from app.quiz import repository

__all__ = ["LessonVisits"]

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # entries in each of the per-process memos below


class LessonVisits:
    def __init__(self, engine: Engine, *, signer: Signer, clock: Callable[[], datetime]) -> None:
        self._engine, self._signer, self._clock = engine, signer, clock
        self._recorded: dict[tuple[str, str], None] = {}  # (cookie, lesson) written
        self._claims: dict[str, SessionClaims] = {}  # cookies whose signature was checked
        self._lock = threading.Lock()

    def after_page(self, cookie: str | None, lesson: str) -> BackgroundTask | None:
        """The task that records this visit once the page is sent, or None when there is
        nothing to record: no cookie, a forged one, or one already recorded here."""
        if not cookie or (cookie, lesson) in self._recorded:
            return None
        claims = self._claims.get(cookie)
        if claims is None:
            claims = self._signer.read_session(cookie)  # tens of microseconds: once per cookie
            if claims is None:
                return None
            self._remember(self._claims, cookie, claims)
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
                if found is None and secret is None:  # a guest who has saved nothing yet
                    found = self._new_guest(session, claims.public_id)
                if found is None:  # a signed-in session since ended
                    return
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
        self._remember(self._recorded, (cookie, lesson), None)

    @staticmethod
    def _new_guest(session: Session, public_id: str) -> tuple[int, bool]:
        """A guest's first lesson makes their learner row (as a first answer would), so what
        they read before answering anything reaches their review queue."""

        def work() -> int:
            learner = ensure_learner(session, Identity(public_id, None, "session"))
            session.commit()
            assert learner.id is not None  # flushed by the commit
            return learner.id

        return retry_on_conflict(session, work), False

    def _remember(self, memo: dict[Any, Any], key: Any, value: Any) -> None:
        """Bounded: past ``REMEMBERED`` entries the oldest goes (dicts keep insertion order)."""
        with self._lock:
            memo[key] = value
            if len(memo) > REMEMBERED:
                del memo[next(iter(memo))]
