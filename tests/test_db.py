"""The SQLite engine is opened with WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.db import SQLITE_BUSY_TIMEOUT_MS, make_engine


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()
    assert (tmp_path / "nested" / "x.db").exists()
