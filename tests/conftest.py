"""Shared fixtures. Every test builds its own app on its own temporary SQLite file, migrated by
Alembic exactly as production is; nothing module-global is patched."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.migrate import upgrade

CONTENT_DIR = PROJECT_ROOT / "content"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'data' / 'test.db'}",
        content_dir=CONTENT_DIR,
        secret_key="test-secret-key-not-for-production",
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    upgrade(settings.resolved_database_url)
    return settings


@pytest.fixture
def app(migrated: Settings) -> FastAPI:
    return create_app(migrated)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


LessonWriter = Callable[..., Path]


@pytest.fixture
def write_lesson(tmp_path: Path) -> LessonWriter:
    """Write ``content/lessons/<name>`` under tmp_path from a front matter dict and a body."""
    lessons = tmp_path / "content" / "lessons"
    lessons.mkdir(parents=True, exist_ok=True)

    def write(
        name: str, *, front: str | None = None, body: str = "Intro.\n\n## Part\n\nText.\n"
    ) -> Path:
        number = int(name[:2]) if name[:2].isdigit() else 1
        slug = name[3:-3] if name.endswith(".md") else name
        if front is None:
            front = f"""\
                title: "Lesson {slug}"
                summary: "About {slug}."
                order: {number}
                sources:
                  - title: "A paper"
                    arxiv: "1810.04805"
                """
        text = "---\n" + textwrap.dedent(front) + "---\n" + textwrap.dedent(body)
        path = lessons / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
