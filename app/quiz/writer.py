"""Group commit for answers: every answer waiting at a moment is stored in one transaction.

A busy class (or a script) sends many answers at once. Storing each in its own transaction
spends most of the time on transaction set-up and commit, and SQLite has one writer anyway.
``AttemptWriter.submit`` queues a graded answer and waits; one drain task takes everything that
is waiting, stores it with ``service.store`` (one transaction, executemany for the rows) and
hands each request its own outcome. With a single request in flight the batch is that one
answer, so nothing waits longer than its own write.

SQLite work runs inline on the event loop (a local file answers faster than a thread hop);
other databases are written from the thread pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fsrs import Scheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.content.questions import QuestionBank
from app.errors import AppError
from app.quiz import service
from app.quiz.service import AttemptResult, Outcome, Pending

__all__ = ["AttemptWriter"]

MAX_BATCH = 64


class AttemptWriter:
    def __init__(self, engine: Engine, *, scheduler: Scheduler, bank: QuestionBank) -> None:
        self._engine = engine
        self._scheduler = scheduler
        self._bank = bank
        self._inline = engine.dialect.name == "sqlite"
        self._waiting: list[tuple[Pending, asyncio.Future[Outcome]]] = []
        self._draining: asyncio.Task[None] | None = None
        self.batches = 0  # for the benchmark and tests: how many transactions were made
        self.stored = 0

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
        try:
            outcomes = await self._run(lambda: self._write(pending))
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

    async def _run(self, work: Callable[[], list[Outcome]]) -> list[Outcome]:
        if self._inline:
            return work()
        return await run_in_threadpool(work)
