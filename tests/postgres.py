"""A throw-away PostgreSQL cluster for the tests: Debian's server binaries, a temporary data
directory, a free port on 127.0.0.1, trust authentication, no fsync. Started once per test
session, each test gets a fresh database of its own, dropped afterwards.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then runs as the
``postgres`` system user that Debian's package creates (``runuser``). Set
``BERTPREP_TEST_POSTGRES`` to the URL of a server to use instead of starting one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = ["Cluster", "PostgresUnavailable", "find_bindir"]


INITDB = ("--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
STOP = ("-m", "immediate", "-w", "stop")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (install Debian's ``postgresql``)."""


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: PATH, or Debian's versioned directory."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdecimal() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """One PostgreSQL server for a test session."""

    def __init__(self) -> None:
        self._base: Path | None = None
        self._owned = False
        external = os.environ.get("BERTPREP_TEST_POSTGRES")
        self.admin_url = external or ""

    def start(self) -> None:
        if self.admin_url:
            return
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
            )
        self._base = Path(tempfile.mkdtemp(prefix="bertprep-pg-"))
        as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            shutil.chown(self._base, "postgres", "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        data, port = self._base / "data", _free_port()
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", *INITDB],
            check=True,
            capture_output=True,
        )
        log = ["-l", str(self._base / "server.log"), "-w", "-t", "60"]
        options = (
            f"-p {port} -k {self._base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, *log, "start"],
            check=True,
            capture_output=True,
        )
        self._owned, self._bindir, self._as_user, self._data = True, bindir, as_user, data
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        if self._owned:
            subprocess.run(
                [*self._as_user, str(self._bindir / "pg_ctl"), "-D", str(self._data), *STOP],
                check=False,
                capture_output=True,
            )
            self._owned = False
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        url = make_url(self.admin_url)
        return psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
        )

    def new_database(self, template: str | None = None) -> str:
        """A fresh, empty database (or a copy of ``template``); its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0")
        )
        with self._admin() as connection:
            connection.execute(create)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as connection:
            connection.execute(_drop(name))

    def rename(self, url: str, new_name: str) -> None:
        """Turn a prepared database into a template other databases are copied from."""
        name = make_url(url).database
        with self._admin() as connection:
            connection.execute(_drop(new_name))
            connection.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(name), sql.Identifier(new_name)
                )
            )


def _drop(name: str | None) -> sql.Composed:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
