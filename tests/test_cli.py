"""The ``bertprep`` command, run as a real process."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from app.migrate import head_revision
from tests.conftest import CONTENT_DIR, LessonWriter
from tests.live import bertprep, free_port, live_server


def test_check_passes_on_the_real_content() -> None:
    result = bertprep("check", env={})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def _broken_content(tmp_path: Path, write_lesson: LessonWriter) -> Path:
    shutil.copytree(CONTENT_DIR, tmp_path / "content", dirs_exist_ok=True)
    write_lesson(
        "09-broken.md",
        front='title: "Broken"\norder: 9\nsources: [{title: "P", arxiv: "1810.04805"}]\n',
    )
    return tmp_path / "content"


def test_check_reports_path_line_message_and_exits_1(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    content = _broken_content(tmp_path, write_lesson)
    result = bertprep("check", "--content-dir", str(content), env={})
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.endswith("09-broken.md:1: front matter is missing required field 'summary'"), (
        result.stderr
    )


def test_serve_refuses_invalid_content_with_the_same_message(
    tmp_path: Path, write_lesson: LessonWriter
) -> None:
    content = _broken_content(tmp_path, write_lesson)
    env = {"BERTPREP_CONTENT_DIR": str(content), "BERTPREP_DATA_DIR": str(tmp_path / "data")}
    checked = bertprep("check", env=env)
    served = bertprep("serve", "--port", str(free_port()), env=env, timeout=30)
    assert served.returncode == 1
    assert "09-broken.md:1: front matter is missing required field 'summary'" in served.stderr
    assert served.stderr.splitlines()[0] == checked.stderr.splitlines()[0]


def test_serve_in_production_without_a_key_refuses(tmp_path: Path) -> None:
    env = {"BERTPREP_ENV": "production", "BERTPREP_DATA_DIR": str(tmp_path)}
    result = bertprep("serve", "--port", str(free_port()), env=env, timeout=30)
    assert result.returncode == 1
    assert "BERTPREP_SECRET_KEY must be set" in result.stderr


def test_serve_honours_port_and_data_survives_restart(tmp_path: Path) -> None:
    with live_server(tmp_path / "data") as base:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        page = httpx.get(f"{base}/lessons/distilbert")
        assert page.status_code == 200 and "<math" in page.text
    assert (tmp_path / "data" / "bertprep.db").exists()
    key = (tmp_path / "data" / "secret_key").read_text()
    with live_server(tmp_path / "data") as base:
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    assert (tmp_path / "data" / "secret_key").read_text() == key


def test_migrate_down_and_up(tmp_path: Path) -> None:
    env = {"BERTPREP_DATA_DIR": str(tmp_path)}
    assert f"database at {head_revision('sqlite://')}" in bertprep("migrate", env=env).stdout
    assert "database at base" in bertprep("migrate", "base", "--down", env=env).stdout


def test_readme_documents_every_command() -> None:
    from typer.main import get_command

    from app.cli import cli
    from app.config import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = get_command(cli).commands  # type: ignore[attr-defined]
    assert set(commands) == {"serve", "migrate", "check", "fetch-model"}
    for name in commands:
        assert f"`bertprep {name}" in readme, f"README.md does not document 'bertprep {name}'"


def test_serve_migrates_a_missing_embedded_database_first(tmp_path: Path) -> None:
    with live_server(tmp_path / "data", migrate=False) as base:
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["status"] == "ready" and ready["schema_revision"] == head_revision("sqlite://")
        assert ready["dialect"] == "sqlite"
    log = (tmp_path / "data" / "server.log").read_text()
    assert f"migrated {tmp_path / 'data' / 'bertprep.db'} from empty to" in log


def test_serve_migrates_an_embedded_database_behind_the_migrations(tmp_path: Path) -> None:
    env = {"BERTPREP_DATA_DIR": str(tmp_path / "data")}
    assert bertprep("migrate", "0002", env=env).returncode == 0
    with live_server(tmp_path / "data", migrate=False) as base:
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    assert "from 0002 to" in (tmp_path / "data" / "server.log").read_text()


def _configured(tmp_path: Path) -> dict[str, str]:
    """A database the host configured (not the embedded default): serve never migrates it."""
    return {
        "BERTPREP_DATA_DIR": str(tmp_path / "data"),
        "BERTPREP_DATABASE_URL": f"sqlite:///{tmp_path / 'hosted.db'}",
    }


def test_serve_refuses_a_configured_database_that_is_empty_or_behind(tmp_path: Path) -> None:
    env = _configured(tmp_path)
    empty = bertprep("serve", "--port", str(free_port()), env=env, timeout=30)
    assert empty.returncode == 1
    assert empty.stderr.strip().splitlines() == [
        "bertprep: not serving: the sqlite database has no tables yet: run 'bertprep migrate'"
    ]
    assert bertprep("migrate", "0002", env=env).returncode == 0
    behind = bertprep("serve", "--port", str(free_port()), env=env, timeout=30)
    assert behind.returncode == 1
    (line,) = behind.stderr.strip().splitlines()
    assert "at revision 0002" in line and "run 'bertprep migrate'" in line


def _from_a_newer_version(env: dict[str, str], url: str) -> None:
    assert bertprep("migrate", env=env).returncode == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()


def test_serve_and_migrate_refuse_a_database_from_a_newer_version(tmp_path: Path) -> None:
    env = {"BERTPREP_DATA_DIR": str(tmp_path / "data")}
    _from_a_newer_version(env, f"sqlite:///{tmp_path / 'data' / 'bertprep.db'}")
    for command in (("serve", "--port", str(free_port())), ("migrate",)):
        result = bertprep(*command, env=env, timeout=30)
        assert result.returncode == 1, command
        (line,) = result.stderr.strip().splitlines()  # one line, no traceback
        assert "revision 0999" in line and "newer version" in line, line


def test_several_workers_on_sqlite_are_refused_with_advice(tmp_path: Path) -> None:
    env = {"BERTPREP_DATA_DIR": str(tmp_path / "data")}
    result = bertprep("serve", "--workers", "2", "--port", str(free_port()), env=env, timeout=30)
    assert result.returncode == 1
    assert "needs PostgreSQL" in result.stderr and "BERTPREP_DATABASE_URL" in result.stderr
