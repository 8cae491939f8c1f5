"""The full reliability suite, as ``make reliability`` runs it, with the figures that go in
bench/README.md:

1. load: 64 learners for 60 s on SQLite, one worker;
2. load: 64 learners for 60 s on PostgreSQL, two workers (a throw-away cluster from Debian's
   server binaries, ``tests/postgres.py``; skipped with a note where there are none);
3. crash: 16 writers, three ``kill -9``s, on SQLite;
4. a class of 32 guests with history opening /review at the same moment (once 31 timeouts
   and a 500, and afterwards no /healthz at all).

    .venv/bin/python bench/reliability.py [--learners 64] [--seconds 60] [--skip-postgres]

Exit 1 when any part misses its targets.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._learners import new_client, running_server
from bench.crash import run_crash
from bench.load import run_load

__all__ = ["class_opens_review", "main"]


async def _guest_with_history(base: str) -> httpx.AsyncClient:
    """A guest who answered one question, so their cookie names a learner row."""
    client = new_client(base)
    page = (await client.get("/quiz/bert")).text

    def field(name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', page)
        return found.group(1) if found else ""

    choice = re.search(r'name="choice" value="([^"]+)"', page)
    data = {n: field(n) for n in ("csrf_token", "question_id", "attempt_id", "shown", "seed")}
    data |= {"choice": choice.group(1) if choice else "", "value": "true"}
    answered = await client.post("/quiz/bert", data=data)
    if answered.status_code not in (200, 422):
        raise RuntimeError(f"a guest could not answer: {answered.status_code}")
    return client


async def class_opens_review(base: str, guests: int) -> tuple[Counter[str], float, float]:
    """``guests`` guests with history open /review at the same moment, each on a new
    connection, as a class's browsers would; then /healthz. Returns the outcomes (status or
    exception name), the slowest answer and the health check's time, in seconds."""
    made = [await _guest_with_history(base) for _ in range(guests)]
    for client in made:
        await client.aclose()
    fresh = [new_client(base, cookies=client.cookies) for client in made]

    async def review(client: httpx.AsyncClient) -> str:
        try:
            return str((await client.get("/review")).status_code)
        except httpx.HTTPError as exc:
            return type(exc).__name__

    began = time.perf_counter()
    outcomes = Counter(await asyncio.gather(*(review(c) for c in fresh)))
    slowest = time.perf_counter() - began
    probe = time.perf_counter()
    async with new_client(base) as health:
        outcomes[f"healthz {(await health.get('/healthz')).status_code}"] += 1
    healthz = time.perf_counter() - probe
    for client in fresh:
        await client.aclose()
    return outcomes, slowest, healthz


def _review_case(guests: int) -> bool:
    with running_server() as server:
        outcomes, slowest, healthz = asyncio.run(class_opens_review(server.base_url, guests))
    ok = outcomes == Counter({"200": guests, "healthz 200": 1}) and healthz < 1
    print(
        f"bertprep review burst: {guests} guests with history open /review at once\n"
        f"outcomes      {dict(outcomes)}\n"
        f"slowest       {slowest * 1000:.0f} ms; /healthz after it {healthz * 1000:.0f} ms\n"
        f"result        {'OK' if ok else 'NOT OK'}",
        flush=True,
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    results = [run_load(args.learners, args.seconds).ok]
    print()
    if not args.skip_postgres:
        from tests.postgres import Cluster, PostgresUnavailable

        cluster = Cluster()
        try:
            cluster.start()
        except PostgresUnavailable as exc:
            print(f"PostgreSQL load skipped: {exc}\n")
        else:
            try:
                url = cluster.new_database()
                results.append(
                    run_load(args.learners, args.seconds, database_url=url, workers=2).ok
                )
            finally:
                cluster.stop()
            print()
    results.append(run_crash(16, kills=3).ok)
    print()
    results.append(_review_case(32))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
