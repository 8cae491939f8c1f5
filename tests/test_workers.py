"""``bertprep serve --workers N`` on PostgreSQL: several processes, one truth in the database.

Each new connection may land on any worker (they share the listening socket), so a check made
over many fresh connections is a check of every worker."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from app.accounts.security import SESSION_COOKIE
from app.accounts.service import MAX_FAILURES_PER_PAIR
from app.migrate import upgrade
from tests.live import live_process
from tests.postgres import Cluster

PASSWORD = "correct horse"
FRESH_CONNECTIONS = 24


@pytest.fixture
def two_workers(tmp_path: Path, postgres_cluster: Cluster) -> Iterator[str]:
    url = postgres_cluster.new_database()
    upgrade(url)
    env = {"BERTPREP_DATABASE_URL": url, "BERTPREP_LAB_PRELOAD": "false"}
    with live_process(tmp_path / "data", extra_env=env, migrate=False, args=("--workers", "2")) as (
        base,
        process,
    ):
        children = psutil.Process(process.pid).children()
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2, children  # two worker processes under the supervisor
        yield base
    postgres_cluster.drop(url)


def _each_fresh(
    base: str, method: str, path: str, cookies: dict[str, str] | None = None, **kwargs: object
) -> Counter[int]:
    """The statuses of the same request over many new connections (so, every worker)."""
    statuses: Counter[int] = Counter()
    for _ in range(FRESH_CONNECTIONS):
        with httpx.Client(base_url=base, timeout=10, cookies=cookies) as client:
            statuses[client.request(method, path, **kwargs).status_code] += 1  # type: ignore[arg-type]
    return statuses


def test_two_workers_serve_and_a_revoked_token_fails_on_every_one(two_workers: str) -> None:
    base = two_workers
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/readyz").json()["dialect"] == "postgresql"
        created = client.post("/api/v1/accounts", json={"username": "ada", "password": PASSWORD})
        assert created.status_code == 201
        token = client.post("/api/v1/tokens", auth=("ada", PASSWORD)).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert _each_fresh(base, "GET", "/api/v1/progress", headers=headers) == {200: FRESH_CONNECTIONS}
    with httpx.Client(base_url=base, timeout=10) as client:
        revoked = client.delete(f"/api/v1/tokens/{token['id']}", headers=headers)
        assert revoked.status_code == 204
    assert _each_fresh(base, "GET", "/api/v1/progress", headers=headers) == {401: FRESH_CONNECTIONS}


def test_sign_in_limits_hold_across_workers(two_workers: str) -> None:
    base = two_workers
    with httpx.Client(base_url=base, timeout=10) as client:
        client.post("/api/v1/accounts", json={"username": "ada", "password": PASSWORD})
    guesses = _each_fresh(base, "POST", "/api/v1/tokens", auth=("ada", "wrong guess"))
    assert guesses == {401: MAX_FAILURES_PER_PAIR, 429: FRESH_CONNECTIONS - MAX_FAILURES_PER_PAIR}


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert found
    return found.group(1)


def test_a_signed_out_cookie_fails_on_every_worker(two_workers: str) -> None:
    base = two_workers
    with httpx.Client(base_url=base, timeout=10) as client:
        client.post("/api/v1/accounts", json={"username": "grace", "password": PASSWORD})
        signed_in = client.post(
            "/account/sign-in",
            data={"csrf_token": _csrf(client), "username": "grace", "password": PASSWORD},
        )
        assert signed_in.status_code == 303 and "grace" in client.get("/account").text
        cookie = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}
        assert _each_fresh(base, "GET", "/api/v1/progress", cookies=cookie) == {
            200: FRESH_CONNECTIONS
        }
        out = client.post("/account/sign-out", data={"csrf_token": _csrf(client)})
        assert out.status_code == 303
    assert _each_fresh(base, "GET", "/api/v1/progress", cookies=cookie) == {401: FRESH_CONNECTIONS}
