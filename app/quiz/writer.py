"""Group commit for answers: every answer waiting at a moment is stored in one transaction.

A busy class (or a script) sends many answers at once. Storing each in its own transaction
spends most of the time on transaction set-up and commit, and SQLite has one writer anyway.
``AttemptWriter.submit`` queues a graded answer and waits; one drain task takes everything that
is waiting, stores it with ``service.store`` (one transaction, executemany for the rows) and
hands each request its own outcome. With a single request in flight the batch is that one
answer, so nothing waits longer than its own write.

The writes run in one thread of the writer's own (never on the event loop, and never waiting
for a turn in the shared thread pool): one batch at a time per process, which is all SQLite can
take anyway, while the next batch gathers on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from fsrs import Scheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.identity import Identity
from app.content.questions import QuestionBank
from app.errors import AppError, InvalidInput
from app.quiz import service
from app.quiz.service import AttemptResult, Outcome, Pending

__all__ = ["AttemptWriter"]

MAX_BATCH = 64


class AttemptWriter:
    def __init__(self, engine: Engine, *, scheduler: Scheduler, bank: QuestionBank) -> None:
        self._engine = engine
        self._scheduler = scheduler
        self._bank = bank
        self._thread: ThreadPoolExecutor | None = None  # started on the first answer
        self._waiting: list[tuple[Pending, asyncio.Future[Outcome]]] = []
        self._draining: asyncio.Task[None] | None = None
        self.batches = 0  # for the benchmark and tests: how many transactions were made
        self.stored = 0

    async def answer(
        self,
        session: Session,
        *,
        identity: Identity,
        attempt_id: str,
        question_id: str,
        response: Mapping[str, Any],
        shown_order: Sequence[str] | None,
        duration_ms: int | None,
        now: datetime,
    ) -> tuple[AttemptResult, bool]:
        """Grade an answer and store it: the one path every answer takes, from the API and from
        the quiz form. ``created`` is False for a resent attempt id. Grading is pure and quick,
        so it runs on the loop; a response that no longer grades is looked up (``session``, in
        a worker thread) in case it is the retry of one stored before."""
        try:
            pending = service.prepare(
                bank=self._bank,
                identity=identity,
                attempt_id=attempt_id,
                question_id=question_id,
                response=response,
                shown_order=shown_order,
                duration_ms=duration_ms,
                now=now,
            )
        except InvalidInput:
            first = await run_in_threadpool(
                lambda: service.replay(
                    session,
                    bank=self._bank,
                    identity=identity,
                    attempt_id=attempt_id,
                    question_id=question_id,
                )
            )
            if first is None:
                raise
            return first, False
        return await self.submit(pending)

    async def submit(self, pending: Pending) -> tuple[AttemptResult, bool]:
        """Store one graded answer (with whatever else is waiting) and return its outcome."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._waiting.append((pending, future))
        if self._draining is None:
            self._draining = loop.create_task(self._drain())
        outcome = await future
        if isinstance(outcome, AppError):
            raise outcome
        return outcome

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # let the requests already read queue their answers too
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._store(batch)
        finally:
            self._draining = None

    async def _store(self, batch: list[tuple[Pending, asyncio.Future[Outcome]]]) -> None:
        pending = [p for p, _ in batch]
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attempt-writer")
        try:
            outcomes = await loop.run_in_executor(self._thread, self._write, pending)
        except Exception as exc:  # the database failed the whole batch: each request says so
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.stored += sum(1 for o in outcomes if not isinstance(o, AppError) and o[1])
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # the client may have gone away meanwhile
                future.set_result(outcome)

    def _write(self, batch: list[Pending]) -> list[Outcome]:
        with Session(self._engine, expire_on_commit=False) as session:
            return service.store(session, scheduler=self._scheduler, bank=self._bank, batch=batch)

    def close(self) -> None:
        """Wait for a batch being written, then stop the thread (the app's shutdown)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)
