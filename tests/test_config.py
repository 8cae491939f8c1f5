"""Settings: environment prefix, the development secret key, production's refusal, the README."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT, Environment, MissingSecretKey, Settings, resolve_secret_key


def test_settings_read_the_bertprep_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BERTPREP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BERTPREP_DEBUG", "true")
    settings = Settings(_env_file=None)
    assert settings.debug is True
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.as_posix()}/bertprep.db"


def test_default_database_is_a_sqlite_file_under_data() -> None:
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == "sqlite:///data/bertprep.db"


def test_development_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    first = resolve_secret_key(settings)
    second = resolve_secret_key(settings)
    key_file = tmp_path / "data" / "secret_key"
    assert first == second and len(first) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_explicit_key_wins(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="given")
    assert resolve_secret_key(settings) == "given"
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, env=Environment.production)
    with pytest.raises(MissingSecretKey, match="BERTPREP_SECRET_KEY must be set"):
        resolve_secret_key(settings)
    assert not (tmp_path / "secret_key").exists()


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`BERTPREP_{name.upper()}`" in readme, (
            f"README.md does not document BERTPREP_{name.upper()}"
        )
