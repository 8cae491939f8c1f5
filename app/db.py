"""Database engine: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, and the session dependency."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "SessionDep",
    "get_session",
    "make_engine",
    "ping",
    "retry_on_conflict",
]

T = TypeVar("T")

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


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created and pragmas set on connect."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """Writes take SQLite's write lock up front and wait for it (busy timeout) instead of
    failing when a read snapshot cannot be upgraded; reads stay concurrent."""
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def retry_on_conflict(session: Session, work: Callable[[], T], *, tries: int = 6) -> T:
    """Run a write ``work()``; when a concurrent writer got in first, roll back and run it again.

    Conflicts are a unique key taken meanwhile (two first answers creating the same review card)
    and, on SQLite, a write lock that a read transaction could not upgrade ("database is
    locked"). ``work`` must read what it needs afresh each time and commit at its end.
    """
    lock = _write_lock(session)
    for attempt in range(tries):
        try:
            with lock:
                session.commit()  # end any read transaction: the write starts afresh, locked
                session.connection(execution_options={IMMEDIATE: True})
                return work()
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            retryable = (
                isinstance(exc, IntegrityError) or "locked" in str(exc) or "busy" in str(exc)
            )
            if not retryable or attempt == tries - 1:
                raise
            time.sleep(0.002 * 2**attempt)
    raise AssertionError("unreachable")


_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def _write_lock(session: Session) -> threading.Lock | nullcontext[None]:
    """SQLite has one writer: threads of this process queue on a lock (a prompt hand-over)
    rather than on SQLite's busy handler, which polls with sleeps. Other databases: no lock."""
    engine = session.get_bind()
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        return nullcontext()
    return _WRITE_LOCKS.setdefault(engine, threading.Lock())


async def run_db(session: Session, work: Callable[[], T]) -> T:
    """Run blocking database work from an async handler.

    SQLite answers from a local file in a fraction of a millisecond, less than a hop to the
    thread pool costs, so its work runs inline; any other database waits on the network, so
    its work goes to the thread pool.
    """
    engine = session.get_bind()
    if isinstance(engine, Engine) and engine.dialect.name == "sqlite":
        return work()
    return await run_in_threadpool(work)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. An async generator only so that FastAPI does not spend two
    thread-pool hops entering and leaving it; the session itself is the ordinary sync one.
    Objects stay readable after commit, so rendering what was saved costs no reload query."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
