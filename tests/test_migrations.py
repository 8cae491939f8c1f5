"""The schema is made only by migrations: up from empty, down to base, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import current_revision, downgrade, head_revision, upgrade
from app.tables import metadata

pytestmark = pytest.mark.both_databases


def test_empty_to_head(database: str) -> None:
    url = database
    upgrade(url)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision(url) is not None
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_head_to_base_and_back(database: str) -> None:
    url = database
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)  # and up again: downgrades leave nothing behind that blocks a re-run


def test_models_and_migrations_agree(database: str) -> None:
    url = database
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert diff == [], f"models differ from migrations; write a migration for: {diff}"
