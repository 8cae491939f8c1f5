"""Run Alembic migrations from code (the CLI, the tests and ``/readyz`` use this)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.config import PROJECT_ROOT
from app.errors import Unavailable

__all__ = [
    "MIGRATIONS_DIR",
    "CommandError",
    "SchemaGate",
    "SchemaStatus",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "schema_status",
    "upgrade",
]

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal '%' (e.g. in a password) must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def current_revision_for_url(database_url: str) -> str | None:
    from app.db import make_engine

    engine = make_engine(database_url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


SchemaState = Literal["current", "empty", "behind", "newer", "unreachable"]


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against the migrations this code carries."""

    state: SchemaState
    revision: str | None
    head: str | None
    dialect: str
    detail: str = ""  # why a database is unreachable

    @property
    def current(self) -> bool:
        return self.state == "current"

    @property
    def message(self) -> str:
        """One line for a person: what is wrong and the command that fixes it."""
        if self.state == "current":
            return f"the {self.dialect} database is at revision {self.revision}, as expected"
        if self.state == "unreachable":
            return f"the {self.dialect} database is not answering ({self.detail})"
        if self.state == "empty":
            return f"the {self.dialect} database has no tables yet: run 'bertprep migrate'"
        if self.state == "behind":
            return (
                f"the {self.dialect} database is at revision {self.revision}, this version "
                f"needs {self.head}: run 'bertprep migrate'"
            )
        return (
            f"the {self.dialect} database is at revision {self.revision}, which this version "
            f"of bertprep does not know (its newest is {self.head}): it was migrated by a newer "
            "version; run that version, or restore a backup from before the upgrade"
        )


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database's revision with this code's head (blocking: call from a thread)."""
    dialect = engine.dialect.name
    scripts = ScriptDirectory.from_config(alembic_config(""))
    head = scripts.get_current_head()
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return SchemaStatus("unreachable", None, head, dialect, type(exc).__name__)
    if revision is None:
        return SchemaStatus("empty", None, head, dialect)
    if revision == head:
        return SchemaStatus("current", revision, head, dialect)
    try:
        scripts.get_revision(revision)
    except CommandError:
        return SchemaStatus("newer", revision, head, dialect)
    return SchemaStatus("behind", revision, head, dialect)


class SchemaGate:
    """Requests use the database only when its schema is the one this code expects.

    Checked at start-up; while it is not current, every request that needs the database gets
    503 with the reason (checked again at most every ``recheck_seconds``), so a server started
    before ``bertprep migrate`` finishes begins serving once it has, and one pointed at the
    wrong database never answers with half-working pages.
    """

    def __init__(self, engine: Engine, *, recheck_seconds: float = 2.0) -> None:
        self._engine = engine
        self._recheck = recheck_seconds
        self._checked_at = float("-inf")
        self.status: SchemaStatus | None = None

    def check(self) -> SchemaStatus:
        """Look again now (blocking)."""
        self._checked_at = time.monotonic()
        self.status = schema_status(self._engine)
        return self.status

    async def ensure(self) -> None:
        status = self.status
        if status is not None and status.current:
            return
        if time.monotonic() - self._checked_at >= self._recheck:
            self._checked_at = time.monotonic()
            status = await run_in_threadpool(self.check)
        if status is None or not status.current:
            message = status.message if status else "the database has not been checked yet"
            raise Unavailable(f"Not serving: {message}.", retry_after=5)
