"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.migrate import downgrade


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
