"""A real server process (``python -m app serve``) on a free port, for CLI and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bertprep(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def live_server(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    migrate: bool = True,
    args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Migrate a fresh database in ``data_dir`` (unless told not to), serve it with ``args``,
    yield the base URL, stop it."""
    with live_process(data_dir, extra_env=extra_env, migrate=migrate, args=args) as (base, _):
        yield base


@contextmanager
def live_process(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    migrate: bool = True,
    args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``live_server``, yielding the server process too."""
    port = free_port()
    env = {"BERTPREP_DATA_DIR": str(data_dir), "PORT": str(port), **(extra_env or {})}
    if migrate:
        migrated = bertprep("migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready within 30 s")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
