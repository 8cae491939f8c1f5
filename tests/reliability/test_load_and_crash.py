"""Short versions of the reliability suites (``bench/load.py``, ``bench/crash.py``) against real
server processes, so a regression fails CI; the full runs' figures are in bench/README.md. Plus
the case that once wedged the server: a class of guests opening /review at the same moment,
and a burst far past capacity, which must be refused fast and recovered from."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench._learners import new_client
from bench.crash import run_crash
from bench.load import LESSON_P95_TARGET, run_load
from bench.reliability import class_opens_review
from tests.live import live_server
from tests.postgres import Cluster


def _in_a_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call in a thread of its own: the suites run event loops of their own, and the browser
    tests keep one running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _run(coroutine: Any) -> Any:
    return _in_a_thread(asyncio.run, coroutine)


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop(url)


def test_sixteen_learners_for_ten_seconds_on_sqlite() -> None:
    report = _in_a_thread(run_load, 16, 10, echo=False)
    assert report.ok, report.render()
    assert report.acknowledged > 0 and report.lost == report.duplicated == 0
    assert report.latency["lesson"].p95 < LESSON_P95_TARGET * 4  # a shared CI box: loose here


def test_sixteen_learners_for_ten_seconds_on_postgresql_with_two_workers(
    postgres_url: str,
) -> None:
    report = _in_a_thread(run_load, 16, 10, database_url=postgres_url, workers=2, echo=False)
    assert report.ok, report.render()
    assert report.acknowledged > 0 and report.lost == report.duplicated == 0


def test_sixteen_writers_and_a_kill_lose_and_duplicate_nothing() -> None:
    report = _in_a_thread(run_crash, 16, kills=1, echo=False)
    assert report.ok, report.render()
    assert report.integrity == "ok"


def test_thirty_two_guests_open_review_at_once(tmp_path: Path) -> None:
    with live_server(tmp_path / "data", extra_env={"BERTPREP_LAB_PRELOAD": "false"}) as base:
        outcomes, slowest, healthz = _run(class_opens_review(base, 32))
    assert outcomes == {"200": 32, "healthz 200": 1}
    assert slowest < 10 and healthz < 1


# Probes /healthz every 0.1 s from a process of its own, so that the load generator's own busy
# event loop does not count as the server's latency; prints one latency per line.
PROBE = """
import sys, time, httpx
with httpx.Client(timeout=5) as client:
    while True:
        began = time.perf_counter()
        status = client.get(sys.argv[1] + "/healthz").status_code
        print(status, time.perf_counter() - began, flush=True)
        time.sleep(0.1)
"""


async def _burst(base: str, n: int) -> tuple[list[httpx.Response], float]:
    async def one(path: str) -> httpx.Response:
        async with new_client(base) as client:
            return await client.get(path)

    began = time.perf_counter()
    paths = ["/review" if i % 2 else "/api/v1/lessons/bert" for i in range(n)]
    paths += ["/api/v1/reviews/due"] * (n // 4)
    responses = await asyncio.gather(*(one(p) for p in paths))
    return responses, time.perf_counter() - began


def _probed(base: str, n: int) -> tuple[list[httpx.Response], list[float], float]:
    prober = subprocess.Popen(
        [sys.executable, "-c", PROBE, base], stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(0.5)  # a probe or two before the burst
        responses, elapsed = _run(_burst(base, n))
        time.sleep(0.5)  # and after it
    finally:
        prober.terminate()
        output, _ = prober.communicate(timeout=10)
    probes = [line.split() for line in output.splitlines() if line.strip()]
    assert probes and all(status == "200" for status, _ in probes)
    return responses, [float(seconds) for _, seconds in probes], elapsed


def test_a_burst_past_capacity_gets_fast_503s_and_the_server_recovers(tmp_path: Path) -> None:
    env = {
        "BERTPREP_LAB_PRELOAD": "false",
        "BERTPREP_DB_CONCURRENCY": "1",
        "BERTPREP_MAX_QUEUED": "4",
        "BERTPREP_QUEUE_TIMEOUT": "1",
    }
    with live_server(tmp_path / "data", extra_env=env) as base:
        responses, probes, elapsed = _probed(base, 200)
        refused = [r for r in responses if r.status_code == 503]
        assert refused, Counter(r.status_code for r in responses)
        assert all(r.status_code in (200, 401, 503) for r in responses)
        assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
        pages = [r for r in refused if not r.request.url.path.startswith("/api/")]
        api = [r for r in refused if r.request.url.path.startswith("/api/")]
        assert pages and all("text/html" in r.headers["content-type"] for r in pages)
        assert "busy" in pages[0].text
        assert api and all(r.headers["content-type"] == "application/problem+json" for r in api)
        # Memory-only pages are never refused, and the process answers health checks fast.
        lessons = [r for r in responses if r.request.url.path == "/api/v1/lessons/bert"]
        assert all(r.status_code == 200 for r in lessons)
        assert max(probes) < 1.0, max(probes)
        assert elapsed < 20
        # The moment the burst is over, it serves again.
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/review").status_code == 200
            assert client.get("/healthz").status_code == 200
