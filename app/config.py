"""Settings, read from the environment (prefix ``BERTPREP_``) and an optional ``.env`` file.

Every field here is documented in README.md; a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.encoders.configs import Preset

__all__ = ["PROJECT_ROOT", "Environment", "MissingSecretKey", "Settings", "resolve_secret_key"]

# The repository root: templates/, static/, content/ and migrations/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

SECRET_KEY_FILE = "secret_key"


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Application settings; build one and hand it to ``create_app``."""

    model_config = SettingsConfigDict(
        env_prefix="BERTPREP_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Field(
        default=Environment.development,
        description="`development` or `production`. Production refuses to start without a secret key.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Directory for the SQLite database and the generated development secret key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: a SQLite file `bertprep.db` in the data directory.",
    )
    content_dir: Path = Field(
        default=PROJECT_ROOT / "content",
        description="Directory holding `lessons/NN-slug.md` files.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that signs cookies. Development: generated once and kept in the data directory (mode 0600).",
    )
    debug: bool = Field(default=False, description="Show tracebacks on error pages and log SQL.")
    models_dir: Path | None = Field(
        default=None,
        description="Directory for pretrained model files (`bertprep fetch-model`). Default: `models` in the data directory.",
    )

    db_concurrency: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Requests that use the database at once, per process; the connection pool holds this many plus 2.",
    )
    max_queued: int = Field(
        default=256,
        ge=0,
        le=100_000,
        description="Requests that may wait for a turn at the database; one more is answered 503 with Retry-After at once.",
    )
    queue_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a request waits for its turn at the database before it is answered 503 with Retry-After.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes (set by `bertprep serve --workers N`); with more, tokens are checked on every call.",
    )

    lab_max_preset: Preset = Field(
        default=Preset.base,
        description=(
            f"Largest lab preset this server builds ({', '.join(f'`{p}`' for p in Preset)}); "
            "base takes ~2 GB."
        ),
    )
    lab_preload: bool = Field(
        default=True,
        description="Build the tiny lab models and load MiniLM in the background at start-up (otherwise on first use).",
    )
    lab_workers: int = Field(
        default=1, ge=1, le=16, description="Lab runs executed at the same time (worker threads)."
    )
    lab_queue: int = Field(
        default=2,
        ge=0,
        le=100,
        description="Lab runs that may wait for a worker; one more is refused with 429 and Retry-After.",
    )
    lab_max_work: float = Field(
        default=2500.0,
        gt=0,
        description="Most work one lab request may ask for, in GFLOP (runs x models x forward pass); more gets 422.",
    )
    lab_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="BLAS threads for lab runs (threadpoolctl). Default: the number of CPUs.",
    )

    @property
    def embedded_database(self) -> bool:
        """True for the default SQLite file in the data directory (nothing configured)."""
        return not self.database_url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bertprep.db').as_posix()}"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"


class MissingSecretKey(RuntimeError):
    """Production refuses to start without an explicit secret key."""


def resolve_secret_key(settings: Settings) -> str:
    """The configured key; in development, a key generated once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    if settings.env is Environment.production:
        raise MissingSecretKey(
            "BERTPREP_SECRET_KEY must be set when BERTPREP_ENV=production "
            '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not both write; the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
