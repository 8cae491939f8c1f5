"""The Dockerfile and compose.yaml run what ``make run`` runs. No container engine exists where
the tests run, so the images are never built here: these tests read the files instead."""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT

SERVE = re.compile(r"bertprep serve\b")
MIGRATE = re.compile(r"bertprep migrate\b")


def _make_run_commands() -> list[str]:
    """The recipe of the Makefile's ``run`` target, without the ``$(BIN)/`` prefix."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no run target"
    return [
        line.strip().lstrip("-").replace("$(BIN)/", "") for line in recipe.group(1).splitlines()
    ]


def _in_order(command: str) -> tuple[int, int]:
    migrate, serve = MIGRATE.search(command), SERVE.search(command)
    assert migrate and serve, f"does not migrate and serve: {command}"
    return migrate.start(), serve.start()


def test_make_run_migrates_then_serves() -> None:
    commands = _make_run_commands()
    migrate = next(i for i, c in enumerate(commands) if MIGRATE.match(c))
    serve = next(i for i, c in enumerate(commands) if SERVE.match(c))
    assert migrate < serve


def _dockerfile() -> dict[str, list[str]]:
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.setdefault(keyword.upper(), []).append(rest.strip())
    return instructions


def test_the_image_migrates_then_serves_as_a_non_root_user() -> None:
    docker = _dockerfile()
    (cmd,) = docker["CMD"]
    shell = yaml.safe_load(cmd)  # the exec form is a JSON (so YAML) list
    assert shell[:2] == ["sh", "-c"]
    migrate, serve = _in_order(shell[2])
    assert migrate < serve and "&&" in shell[2][migrate:serve]
    assert "--host 0.0.0.0" in shell[2]
    assert docker["USER"] == ["bertprep"]
    assert any("'.[postgres]'" in run for run in docker["RUN"]), "the image needs the driver"
    assert any("/healthz" in check for check in docker["HEALTHCHECK"])
    assert docker["EXPOSE"] == ["8000"]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text("utf-8"))
    return loaded


def test_compose_runs_the_app_on_postgresql_after_its_migrations() -> None:
    compose = _compose()
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert app["build"] == "."
    command = app["command"]
    assert command[:2] == ["sh", "-c"]
    migrate, serve = _in_order(command[2])
    assert migrate < serve
    workers = shlex.split(command[2][serve:])
    assert workers[workers.index("--workers") + 1] == "2"
    url = make_url(app["environment"]["BERTPREP_DATABASE_URL"])
    assert url.drivername == "postgresql+psycopg" and url.host == "db"
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["BERTPREP_ENV"] == "production"
    assert "${BERTPREP_SECRET_KEY:?" in app["environment"]["BERTPREP_SECRET_KEY"]


def test_compose_checks_health_and_keeps_data_in_named_volumes() -> None:
    compose = _compose()
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    named = set(compose["volumes"])
    for service in (app, db):
        volume = service["volumes"][0].split(":")[0]
        assert volume in named, f"{volume} is not a named volume"
