"""Shared fixtures. Every test builds its own app on its own temporary database, migrated by
Alembic exactly as production is; nothing module-global is patched.

A module marked ``both_databases`` runs each test that uses a database twice: on a SQLite file
and on PostgreSQL (a throw-away cluster started once per session, ``tests/postgres.py``; a
fresh database per test). Without PostgreSQL server binaries those runs are skipped, with the
reason shown; in CI (``CI`` set) they fail instead."""

from __future__ import annotations

import os
import random
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.migrate import upgrade
from app.quiz.scheduling import make_scheduler
from tests.postgres import Cluster, PostgresUnavailable

CONTENT_DIR = PROJECT_ROOT / "content"
DATABASES = ("sqlite", "postgresql")
MIGRATED_TEMPLATE = "bertprep_migrated"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("database", DATABASES, indirect=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    try:
        cluster.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; the PostgreSQL tests must run in CI")
        pytest.skip(str(exc))
    template = cluster.new_database()
    upgrade(template)
    cluster.rename(template, MIGRATED_TEMPLATE)
    yield cluster
    cluster.stop()


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of this test's database: a SQLite file, or a fresh PostgreSQL database (already
    migrated, copied from a template, when the test asks for ``migrated``: it saves ~0.4 s)."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'test.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    wants_migrated = "migrated" in request.fixturenames
    url = cluster.new_database(MIGRATED_TEMPLATE if wants_migrated else None)
    yield url
    cluster.drop(url)


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database,
        content_dir=CONTENT_DIR,
        secret_key="test-secret-key-not-for-production",
        lab_preload=False,  # lab tests that need built models build them
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    upgrade(settings.resolved_database_url)
    return settings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def app(migrated: Settings, clock: Clock) -> FastAPI:
    return create_app(
        migrated, clock=clock, rng=random.Random(7), scheduler=make_scheduler(fuzz=False)
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def minilm_client(migrated: Settings) -> Iterator[TestClient]:
    """The app with the real all-MiniLM-L6-v2 (skips without it locally, fails in CI)."""
    from tests.lab.needs import models_dir

    settings = migrated.model_copy(update={"models_dir": models_dir()})
    app = create_app(settings, rng=random.Random(7), scheduler=make_scheduler(fuzz=False))
    with TestClient(app) as client:
        yield client


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


def make_account(
    client: TestClient, username: str = "ada", password: str = "correct horse"
) -> dict[str, str]:
    """Register through the API and return Bearer headers for a fresh token."""
    assert (
        client.post(
            "/api/v1/accounts", json={"username": username, "password": password}
        ).status_code
        == 201
    )
    created = client.post("/api/v1/tokens", auth=(username, password), json={"name": "tests"})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return make_account(client)


def new_id() -> str:
    return str(uuid.uuid4())
