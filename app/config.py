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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bertprep.db').as_posix()}"


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
