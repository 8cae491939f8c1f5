"""Group commit for answers: every answer waiting at a moment is stored in one transaction.

A busy class (or a script) sends many answers at once. Storing each in its own transaction
spends most of the time on transaction set-up and commit, and SQLite has one writer anyway.
``AttemptWriter.submit`` queues a graded answer and awaits it. The writer's own thread (never
the event loop, and never waiting for a turn in the shared thread pool) takes everything that
is waiting, stores it with ``answers.store`` (one transaction, executemany for the rows) and
hands each request its outcome back on its loop (``call_soon_threadsafe``). With a single
request in flight the batch is that one answer, so nothing waits longer than its own write;
while a batch is written, the next one gathers. One batch at a time per process is all SQLite
can take anyway.

Left alone, busy clients split into two halves that take turns: while one half is written,
the other gathers, and the written half's next answers arrive only after it was answered, in
time for the batch after next. Each transaction then carries half the answers it could, and
its fixed cost (begin, commit, the WAL write) is paid twice as often. So when fewer answers
are in hand than were waiting or being written as the last batch ended, the writer waits up
to ``LINGER_S`` for the rest. A lone client is never kept waiting (one answer in flight, one
in hand), and a half that does not come back costs one millisecond.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from fsrs import Scheduler
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.accounts.identity import Identity
from app.content.questions import QuestionBank
from app.errors import AppError, InvalidInput, Unavailable
from app.quiz import answers, open_answers
from app.quiz.answers import Answered, AttemptResult, Outcome, Pending
from app.quiz.open_answers import Graded, OpenGrader
from app.quiz.scheduling import Rating

__all__ = ["AttemptWriter"]

MAX_BATCH = 64
LINGER_S = 0.001  # how long a batch smaller than the last round's demand waits for the rest

_Item = tuple[Pending, "asyncio.Future[Outcome]", asyncio.AbstractEventLoop]

# Runs a function of a session in a worker thread and awaits its result.
InThread = Callable[[Callable[[Session], AttemptResult | None]], Awaitable[AttemptResult | None]]


class AttemptWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        scheduler: Scheduler,
        bank: QuestionBank,
        max_waiting: int = 1024,
        open_grader: OpenGrader | None = None,
    ) -> None:
        self._engine = engine
        self._open_grader = open_grader  # None: open answers by keywords (tests of the writer)
        self.max_waiting = max_waiting
        self._scheduler = scheduler
        self._bank = bank
        self._thread: threading.Thread | None = None  # started on the first answer
        self._inbox: queue.SimpleQueue[list[_Item] | None] = queue.SimpleQueue()
        self._gathering: list[_Item] = []  # queued this turn of the loop
        self._queued = 0  # answers waiting or being written (kept on the loop)
        self._expected = 1  # answers in flight when the last batch was written (writer thread)
        self.batches = 0  # for the benchmark and tests: how many transactions were made
        self.stored = 0

    async def answer(
        self,
        in_thread: InThread,
        *,
        identity: Identity,
        attempt_id: str,
        question_id: str,
        response: Mapping[str, Any],
        shown_order: Sequence[str] | None,
        duration_ms: int | None,
        now: datetime,
        source: str = "quiz",
        rating: int | None = None,
    ) -> Answered:
        """Grade an answer and store it: the one path every answer takes, from the API and from
        the quiz form. ``created`` is False for a resent attempt id. Grading is pure and quick,
        so it runs on the loop; a response that no longer grades is looked up (``in_thread``
        runs that lookup with a session in a worker thread) in case it is the retry of one
        stored before. An open answer is judged first, on the lab's pool (the sentence encoder
        takes milliseconds: not on the loop). ``rating``: the learner's own rating of a closed
        answer (the review queue), instead of the one its result gives."""
        judged = await self._judge(question_id, response)
        try:
            pending = answers.prepare(
                bank=self._bank,
                identity=identity,
                attempt_id=attempt_id,
                question_id=question_id,
                response=response,
                shown_order=shown_order,
                duration_ms=duration_ms,
                now=now,
                judged=judged,
                source=source,
                rating=Rating(rating) if rating is not None else None,
            )
        except InvalidInput:
            first = await in_thread(
                lambda session: answers.replay(
                    session,
                    bank=self._bank,
                    identity=identity,
                    attempt_id=attempt_id,
                    question_id=question_id,
                )
            )
            if first is None:
                raise
            return Answered(first, False)
        return await self.submit(pending)

    async def _judge(self, question_id: str, response: Mapping[str, Any]) -> Graded | None:
        question = self._bank.get(question_id)
        if self._open_grader is None or question is None or question.type != "open":
            return None
        text = response.get("text") if isinstance(response, Mapping) else None
        try:
            checked = open_answers.check_text(question, text if isinstance(text, str) else "")
        except InvalidInput:  # prepare says what is wrong with it
            return None
        return await self._open_grader(question, checked)

    async def submit(self, pending: Pending) -> Answered:
        """Store one graded answer (with whatever else is waiting) and return its outcome.

        Answers wait on the loop, holding nothing, for the one writer thread; past
        ``max_waiting`` of them the server is over capacity and says so (503)."""
        if self._queued >= self.max_waiting:
            raise Unavailable(
                f"The server is busy storing {self._queued} answers; try again in a moment.",
                retry_after=1,
            )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queued += 1
        try:
            if not self._gathering:  # answers queued in one turn of the loop go together
                loop.call_soon(self._hand_over)
            self._gathering.append((pending, future, loop))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="attempt-writer", daemon=True
                )
                self._thread.start()
            outcome = await future
        finally:
            self._queued -= 1
        if isinstance(outcome, AppError):
            raise outcome
        return outcome

    def _hand_over(self) -> None:
        gathered, self._gathering = self._gathering, []
        self._inbox.put(gathered)

    def _run(self) -> None:
        """The writer thread: take what is waiting (at least one answer), store it in one
        transaction, hand each request its outcome on its loop; until told to stop. While
        answers keep coming it keeps its database connection; idle, it gives it back."""
        connection: Connection | None = None
        try:
            while True:
                try:
                    first = self._inbox.get_nowait()
                except queue.Empty:
                    if connection is not None:
                        connection.close()
                        connection = None
                    first = self._inbox.get()
                if first is None:
                    return
                batch = self._gather(first)
                results: list[Outcome | BaseException]
                try:
                    connection = connection or self._engine.connect()
                    outcomes = self._write(connection, [p for p, _, _ in batch])
                except Exception as exc:  # the database failed the whole batch: each says so
                    results = [exc] * len(batch)
                    if connection is not None:  # not reused: the next batch starts afresh
                        connection.close()
                        connection = None
                else:
                    self.batches += 1
                    self.stored += sum(1 for o in outcomes if isinstance(o, Answered) and o.created)
                    results = list(outcomes)
                # Read across threads without a lock: an int, and only a hint for the next batch.
                self._expected = min(self._queued, MAX_BATCH)
                self._hand_back(batch, results)
        finally:
            if connection is not None:
                connection.close()

    def _gather(self, first: list[_Item]) -> list[_Item]:
        """The batch: what is waiting now; when that is fewer answers than were in flight as
        the last batch ended, what else arrives within ``LINGER_S``."""
        batch = list(first)
        deadline = time.monotonic() + LINGER_S
        while len(batch) < MAX_BATCH:
            try:
                if len(batch) < self._expected:
                    more = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
                else:
                    more = self._inbox.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._inbox.put(None)  # stop after this batch
                break
            batch.extend(more)
        return batch

    @staticmethod
    def _hand_back(batch: list[_Item], results: list[Outcome | BaseException]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any]]] = {}
        for (_, future, loop), result in zip(batch, results, strict=True):
            by_loop.setdefault(loop, []).append((future, result))
        for loop, delivered in by_loop.items():
            with suppress(RuntimeError):  # that loop has closed: nobody is waiting
                loop.call_soon_threadsafe(_deliver, delivered)

    def _write(self, connection: Connection, batch: list[Pending]) -> list[Outcome]:
        with Session(connection, expire_on_commit=False) as session:
            return answers.store(session, scheduler=self._scheduler, bank=self._bank, batch=batch)

    def close(self) -> None:
        """Let the thread finish what is queued, then stop it (the app's shutdown)."""
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._inbox.put(None)
            thread.join()


def _deliver(results: list[tuple[asyncio.Future[Outcome], Outcome | BaseException]]) -> None:
    """On the request's loop: each waiting request gets its outcome."""
    for future, outcome in results:
        if future.done():  # the client went away meanwhile
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
