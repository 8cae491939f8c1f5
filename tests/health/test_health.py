"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Settings
from app.main import create_app
from app.migrate import downgrade, head_revision, upgrade

pytestmark = pytest.mark.both_databases


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["database"] == "ok" and body["lessons"] >= 6


def test_readyz_is_503_on_an_unmigrated_database(migrated: Settings) -> None:
    downgrade(migrated.resolved_database_url, "base")
    with TestClient(create_app(migrated)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "run 'bertprep migrate'" in response.json()["database"]


def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings, tmp_path: Path) -> None:
    not_a_file = tmp_path / "a-directory"
    not_a_file.mkdir()
    unreachable = settings.model_copy(update={"database_url": f"sqlite:///{not_a_file}"})
    app = create_app(unreachable)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "not answering" in response.json()["database"]


def test_readyz_reports_dialect_and_revisions(client: TestClient, migrated: Settings) -> None:
    body = client.get("/readyz").json()
    head = head_revision(migrated.resolved_database_url)
    assert body["dialect"] == make_url(migrated.resolved_database_url).get_backend_name()
    assert body["schema_revision"] == body["expected_revision"] == head


def test_a_database_behind_the_code_is_not_served_until_it_is_migrated(
    migrated: Settings,
) -> None:
    url = migrated.resolved_database_url
    downgrade(url, "0002")
    with TestClient(create_app(migrated)) as client:
        for path in ("/review", "/api/v1/progress", "/account"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert "revision 0002" in response.text and "bertprep migrate" in response.text
            assert int(response.headers["retry-after"]) > 0
        assert client.get("/api/v1/progress").headers["content-type"] == "application/problem+json"
        assert client.get("/lessons/bert").status_code == 200  # memory-only pages still serve
        assert client.get("/healthz").status_code == 200
        upgrade(url)
        assert client.get("/readyz").status_code == 200  # looks again, and lets requests in
        assert client.get("/review").status_code == 200
