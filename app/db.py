"""Database engine: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL; the one retrying
write path; the per-request session, which is where a request is admitted to the database.

The serving model: database work runs only in worker threads (plain ``def`` routes and
dependencies, which FastAPI runs in its thread pool, or ``run_in_threadpool``), never on the
event loop, which stays free for pages that read memory and for ``/healthz``. The engine
refuses any connection checkout or statement on an event loop thread.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, FastAPI, Request, Response
from sqlalchemy import TextClause, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.selectable import TextualSelect
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.errors import AppError, Unavailable

if TYPE_CHECKING:
    from app.capacity import Capacity

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "BlockingOnEventLoop",
    "DriverStatement",
    "SessionDep",
    "get_session",
    "install_database_error_handler",
    "make_engine",
    "refusing_work_on_this_thread",
    "retry_on_conflict",
    "run_with_session",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

IMMEDIATE = "bertprep_sqlite_immediate"

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, say BEGIN: writes then start with BEGIN IMMEDIATE (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class BlockingOnEventLoop(RuntimeError):
    """Database work was started on the event loop thread, where it would stall every request."""


class _LoopGuard:
    """Refuses database work on the threads that run this app's event loop."""

    def __init__(self) -> None:
        self.threads: set[int] = set()

    def __call__(self, *_: Any) -> None:
        if threading.get_ident() in self.threads:
            raise BlockingOnEventLoop(
                "database work on the event loop: make the route or dependency a plain 'def' "
                "(FastAPI runs it in the thread pool) or hand the work to run_in_threadpool"
            )


_LOOP_GUARDS: WeakKeyDictionary[Engine, _LoopGuard] = WeakKeyDictionary()


@contextmanager
def refusing_work_on_this_thread(engine: Engine) -> Iterator[None]:
    """While the block runs (the app's lifespan: the whole time it serves), ``engine`` refuses
    every checkout and statement made on the calling thread, the event loop's."""
    guard = _LOOP_GUARDS[engine]
    thread = threading.get_ident()
    guard.threads.add(thread)
    try:
        yield
    finally:
        guard.threads.discard(thread)


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, pool_timeout: float = 5.0
) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created and pragmas set on connect.

    The pool holds ``pool_size`` connections and no overflow: the app admits no more requests
    to the database than that (``app.capacity``), so a wait for a connection means something
    is wrong and ends after ``pool_timeout`` seconds. While the app serves, every checkout and
    every statement on its event loop thread is refused (``BlockingOnEventLoop``, see
    ``refusing_work_on_this_thread``): one blocking call there stalls the whole process.
    """
    parsed = make_url(url)
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": pool_timeout,
    }
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, echo=echo, pool_pre_ping=True, **pooling)
    else:
        database = parsed.database
        memory = not database or database == ":memory:"
        if database and not memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False},
            **({} if memory else pooling),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    guard = _LOOP_GUARDS[engine] = _LoopGuard()
    event.listen(engine, "checkout", guard)
    event.listen(engine, "before_cursor_execute", guard)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """Writes take SQLite's write lock up front and wait for it (busy timeout) instead of
    failing when a read snapshot cannot be upgraded; reads stay concurrent."""
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def retry_on_conflict(
    session: Session, work: Callable[[], T], *, tries: int = 8, serialize: Sequence[str] = ()
) -> T:
    """The one write path: run ``work()`` in a write transaction; when a concurrent writer got
    in first, roll back and run it again.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (behind a per-process lock), so it
    holds the single write lock from its first statement: whatever ``work`` reads, it reads
    knowing nobody writes meanwhile. On PostgreSQL, ``serialize`` names what the work must not
    do concurrently with anyone else (a username whose failed sign-ins it counts, say): each
    name becomes a transaction-scoped advisory lock, taken in sorted order. Conflicts are a
    unique key taken meanwhile (two first answers creating the same review card, two sign-ups
    of one name) and, on SQLite, a write lock that stayed busy; ``work`` must read what it
    needs afresh each time and commit at its end. When the lock stays busy through every try,
    the caller gets ``Unavailable`` (503, try again), never a 500.
    """
    lock = _write_lock(session)
    for attempt in range(tries):
        try:
            with lock:
                session.commit()  # end any read transaction: the write starts afresh, locked
                connection = session.connection(execution_options={IMMEDIATE: True})
                if serialize and connection.dialect.name == "postgresql":
                    for key in sorted(set(serialize)):
                        connection.execute(_ADVISORY_LOCK, {"key": _lock_key(key)})
                try:
                    return work()
                except BaseException:
                    session.rollback()  # never leave the write lock held past this call
                    raise
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            retryable = isinstance(exc, IntegrityError) or _busy(exc)
            if not retryable:
                raise
            if attempt == tries - 1:
                if isinstance(exc, IntegrityError):
                    raise
                raise Unavailable(
                    "The database is busy with other writes; try again in a moment.",
                    retry_after=1,
                ) from exc
            time.sleep(0.002 * 2**attempt)
    raise AssertionError("unreachable")


class DriverStatement:
    """A fixed statement of the busiest write, run on the driver's own cursor.

    Each ``session.execute`` costs SQLAlchemy's per-execution bookkeeping (an execution context,
    a result object, events), more than the statement itself costs SQLite; the answer writer
    makes several per batch. A ``DriverStatement`` is compiled once per dialect, converts its
    values with the statement's own SQLAlchemy types (their bind and result processors, so
    rows are stored and read exactly as through the ORM) and runs inside the session's
    transaction, on its connection. Driver errors come back as SQLAlchemy's
    (``IntegrityError``, ``OperationalError``), so ``retry_on_conflict`` treats them as it
    treats any other statement's.
    """

    def __init__(self, statement: TextClause | TextualSelect) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def many(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Run the statement once per row (one ``executemany``)."""
        compiled, cursor = self._cursor(session)
        params = [compiled.params(row) for row in rows]
        try:
            compiled.run(cursor, params, many=True)
        finally:
            cursor.close()

    def first(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement selects, its values converted, or None."""
        compiled, cursor = self._cursor(session)
        try:
            row = compiled.run(cursor, compiled.params(params), many=False)
            return None if row is None else compiled.converted(row, cursor.description)
        finally:
            cursor.close()

    def _cursor(self, session: Session) -> tuple[_Compiled, Any]:
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self._statement, dialect)
        return compiled, connection.connection.cursor()


class _Compiled:
    """A statement's SQL, parameter order and value converters for one dialect."""

    def __init__(self, statement: TextClause | TextualSelect, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.dialect = dialect
        self.positional = compiled.positional
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        self.binds = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ]
        # Typed result columns by name (text().columns(...) lists only those it types); a
        # row's order and the driver's type codes come from the cursor's first description.
        self.typed = {
            c.name: c.type.dialect_impl(dialect) for c in getattr(statement, "selected_columns", ())
        }
        self.results: list[Callable[[Any], Any] | None] | None = None

    def params(self, values: dict[str, Any]) -> Any:
        converted = [
            (name, values[name] if process is None else process(values[name]))
            for name, process in self.binds
        ]
        if self.positional:
            return tuple(value for _, value in converted)
        return dict(converted)

    def converted(
        self, row: Sequence[Any], description: Sequence[Sequence[Any]]
    ) -> tuple[Any, ...]:
        if self.results is None:
            self.results = [
                typed.result_processor(self.dialect, column[1])
                if (typed := self.typed.get(column[0])) is not None
                else None
                for column in description
            ]
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )

    def run(self, cursor: Any, params: Any, *, many: bool) -> Any:
        error = self.dialect.loaded_dbapi.Error
        try:
            if many:
                cursor.executemany(self.sql, params)
                return None
            cursor.execute(self.sql, params)
            return cursor.fetchone()
        except error as exc:
            raise DBAPIError.instance(
                self.sql, params, exc, error, dialect=self.dialect, ismulti=many
            ) from exc


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock on ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _busy(exc: OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message or "deadlock" in message


_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def _write_lock(session: Session) -> threading.Lock | nullcontext[None]:
    """SQLite has one writer: threads of this process queue on a lock (a prompt hand-over)
    rather than on SQLite's busy handler, which polls with sleeps. Other databases: no lock."""
    engine = session.get_bind()
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        return nullcontext()
    return _WRITE_LOCKS.setdefault(engine, threading.Lock())


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The database for one request: admitted first (``app.capacity``: 503 when over capacity or
    when the schema is not the one this code expects), then a session that the route and its
    plain-``def`` dependencies use in the thread pool.

    Making the session touches nothing; its connection is taken on first use, in a worker
    thread. Closing returns that connection, itself a database call, so it happens in a
    thread too, outside the pool's limit (as FastAPI's own sync dependencies do), so that a
    full thread pool can never keep connections from coming back.
    """
    state = request.app.state
    capacity: Capacity = state.capacity
    async with capacity.slot():
        request.state.db_turn = True  # run_with_session: this request already has its turn
        await state.schema.ensure()
        session = Session(state.engine, expire_on_commit=False)  # no I/O: connects on first use
        try:
            yield session
        finally:
            if session.in_transaction():  # no I/O: it holds a connection, so close in a thread
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
            else:
                session.close()  # no I/O: nothing to give back


SessionDep = Annotated[Session, Depends(get_session)]


async def run_with_session(request: Request, work: Callable[[Session], T]) -> T:
    """Database work for an async handler that holds no session (the API's identity lookups):
    admitted like any request, unless this request already has its turn; run in a worker
    thread with a session of its own, which is closed in that thread too."""
    state = request.app.state
    held = getattr(request.state, "db_turn", False)
    capacity: Capacity = state.capacity
    async with nullcontext() if held else capacity.slot():
        await state.schema.ensure()
        return await run_in_threadpool(_with_session, state.engine, work)


def _with_session(engine: Engine, work: Callable[[Session], T]) -> T:
    with Session(engine, expire_on_commit=False) as session:
        return work(session)


def install_database_error_handler(app: FastAPI) -> None:
    """A database that is down, locked past every retry, or out of connections is a 503 with
    Retry-After (the problem+json or HTML page of every other error), never a 500."""

    async def on_database_error(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        unavailable = Unavailable(
            "The database cannot answer right now; try again in a moment.", retry_after=2
        )
        handler = app.exception_handlers[AppError]
        response = handler(request, unavailable)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(PoolTimeout, on_database_error)
    app.add_exception_handler(OperationalError, on_database_error)
