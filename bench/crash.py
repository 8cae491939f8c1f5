"""Crash test: answers posted while the server is killed (SIGKILL) and restarted, repeatedly.

Afterwards every acknowledged answer must be in the database exactly once.

A server is started on a fresh data directory (or ``--database-url``); each writer gets its
own account and token first, then posts API answers back to back. At random moments (every
``--between LOW HIGH`` seconds) the server process and its workers are killed with SIGKILL,
then started again on the same data and port; writers resume by themselves. A request that
got no answer (connection refused or reset during the kill) or a 5xx is not an
acknowledgement: the writer sends the same attempt id again until one comes, as a client
should (a 200 then means the first try had been stored before the kill). After the last
restart the writers run a little longer, then the server is stopped and the database checked:
every acknowledged attempt id has exactly one ``attempt`` row and exactly one ``review_log``
row, and on SQLite ``PRAGMA integrity_check`` says ``ok`` (and at least one answer was
acknowledged at all). Exit 1 otherwise.

    .venv/bin/python bench/crash.py [--writers 16] [--kills 3] [--between 2 4]
        [--database-url postgresql+psycopg://...] [--workers 1] [--seed N]

From tests: ``bench.crash.run_crash(writers=4, kills=1, seconds_between=(1, 2))``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._learners import (
    DbCheck,
    Recorder,
    Server,
    api_attempt,
    check_acknowledged,
    create_api_user,
    new_client,
    redact,
    sqlite_integrity,
)

__all__ = ["CrashReport", "main", "run_crash"]

RETRY_PAUSE = 0.1  # seconds between a writer's tries while the server is down


@dataclass(frozen=True)
class CrashReport:
    writers: int
    kills: int
    database: str  # the URL, without a password
    elapsed: float  # writing time, first answer to the writers' stop
    downtime: list[float]  # per kill: seconds from SIGKILL to ready again
    requests: int
    outcomes: dict[str, int]  # status code or exception name -> count
    created: int  # answers acknowledged with 201
    replayed: int  # retries answered 200: stored before the kill, the response lost
    acknowledged: int
    db: DbCheck
    integrity: str | None  # PRAGMA integrity_check on SQLite; None elsewhere
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.db.lost

    @property
    def duplicated(self) -> int:
        return self.db.duplicated

    @property
    def failures(self) -> list[str]:
        why = []
        if not self.db.ok:
            why.append(f"{self.db.lost} lost, {self.db.duplicated} duplicated")
        if self.integrity is not None and self.integrity != "ok":
            why.append(f"integrity_check: {self.integrity}")
        if self.acknowledged == 0:
            why.append("no answer was acknowledged")
        return why

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        downtime = ", ".join(f"{s:.1f}" for s in self.downtime) or "-"
        outcomes = ", ".join(f"{k}: {n}" for k, n in sorted(self.outcomes.items()))
        problems = ", ".join(f"{k}: {n}" for k, n in sorted(self.problems.items())) or "none"
        rate = self.acknowledged / self.elapsed if self.elapsed > 0 else 0.0
        lines = [
            f"bertprep crash: {self.writers} writers, {self.kills} kill -9, {self.database}",
            f"writing       {self.elapsed:.1f} s; down after each kill (s): {downtime}",
            f"requests      {self.requests} ({outcomes})",
            f"acknowledged  {self.acknowledged} ({rate:.0f}/s): {self.created} created (201), "
            f"{self.replayed} retries answered 200 (stored before a kill, answer lost)",
            f"DB check      {self.db.line()}",
            f"integrity     {self.integrity if self.integrity is not None else 'n/a (not SQLite)'}",
            f"problems      {problems}",
            "result        " + ("OK" if self.ok else "NOT OK: " + "; ".join(self.failures)),
        ]
        return "\n".join(lines)


async def _writer(
    client: httpx.AsyncClient,
    questions: list[dict[str, Any]],
    recorder: Recorder,
    rng: random.Random,
    stop: asyncio.Event,
) -> None:
    """Post answers back to back; one without an answer is sent again with the same id."""
    while not stop.is_set():
        body = api_attempt(rng.choice(questions), rng)
        kind = "attempt"
        while not stop.is_set():
            response = await recorder.send(client, kind, "POST", "/api/v1/attempts", json=body)
            if response is not None and response.status_code in (200, 201):
                recorder.acknowledge(body["attempt_id"], "api")
                if response.status_code == 200 and kind == "attempt":
                    recorder.problem("a fresh attempt id answered 200")
                break
            if response is not None and response.status_code < 500:
                recorder.problem(f"answer refused ({response.status_code})")
                break
            kind = "retry"
            await asyncio.sleep(RETRY_PAUSE)


async def _killer(
    server: Server,
    kills: int,
    between: tuple[float, float],
    rng: random.Random,
    stop: asyncio.Event,
) -> list[float]:
    downtime = []
    try:
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(*between))
            began = time.monotonic()
            server.kill()
            await asyncio.to_thread(server.start)
            downtime.append(time.monotonic() - began)
        await asyncio.sleep(rng.uniform(*between))  # writes after the last restart count too
    finally:
        stop.set()  # also when a restart failed: the writers end, the error is raised
    return downtime


async def _drive(
    server: Server,
    writers: int,
    kills: int,
    between: tuple[float, float],
    rng: random.Random,
) -> tuple[Recorder, list[float], float]:
    base = server.base_url
    run = secrets.token_hex(4)
    async with new_client(base) as setup:
        tokens = []
        for i in range(writers):  # one at a time: password hashing is CPU-bound anyway
            tokens.append(await create_api_user(setup, f"c{run}-w{i}", secrets.token_urlsafe(15)))
        listed = await setup.get(
            "/api/v1/questions", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        listed.raise_for_status()
        questions: list[dict[str, Any]] = listed.json()
    clients = [new_client(base, headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    recorder = Recorder()
    stop = asyncio.Event()
    began = time.monotonic()
    try:
        killing = asyncio.create_task(_killer(server, kills, between, rng, stop))
        await asyncio.gather(
            *(
                _writer(client, questions, recorder, random.Random(rng.getrandbits(64)), stop)
                for client in clients
            )
        )
        downtime = await killing
    finally:
        for client in clients:
            await client.aclose()
    return recorder, downtime, time.monotonic() - began


def run_crash(
    writers: int = 16,
    kills: int = 3,
    *,
    database_url: str | None = None,
    seconds_between: tuple[float, float] = (2, 4),
    workers: int = 1,
    seed: int | None = None,
    echo: bool = True,
) -> CrashReport:
    """Post answers from ``writers`` accounts while the server is killed (SIGKILL) and
    restarted ``kills`` times, ``seconds_between`` apart (drawn uniformly), then check that
    every acknowledged answer is stored exactly once. ``database_url``: run on that database
    (migrated first) instead of a fresh SQLite file. ``echo``: print the report."""
    if writers < 1 or kills < 0 or not 0 < seconds_between[0] <= seconds_between[1]:
        raise ValueError("need writers >= 1, kills >= 0 and 0 < low <= high seconds between")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="bertprep-crash-") as tmp:
        server = Server(Path(tmp), database_url=database_url, workers=workers)
        server.migrate()
        server.start()
        try:
            recorder, downtime, elapsed = asyncio.run(
                _drive(server, writers, kills, seconds_between, rng)
            )
        finally:
            server.stop()
        db = check_acknowledged(server.database_url, recorder.acks)
        integrity = sqlite_integrity(server.database_url)
    samples = recorder.samples
    report = CrashReport(
        writers=writers,
        kills=kills,
        database=redact(server.database_url),
        elapsed=elapsed,
        downtime=downtime,
        requests=len(samples),
        outcomes=dict(Counter(s.outcome for s in samples)),
        created=sum(1 for s in samples if s.status == 201),
        replayed=sum(1 for s in samples if s.status == 200 and s.kind == "retry"),
        acknowledged=len(recorder.acks),
        db=db,
        integrity=integrity,
        problems=dict(recorder.problems),
    )
    if echo:
        print(report.render(), flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument(
        "--between",
        type=float,
        nargs=2,
        default=(2.0, 4.0),
        metavar=("LOW", "HIGH"),
        help="seconds between kills, drawn uniformly",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite, fresh file)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (--workers N)")
    parser.add_argument("--seed", type=int, help="seed the writers' choices and the kill times")
    args = parser.parse_args(argv)
    report = run_crash(
        args.writers,
        args.kills,
        database_url=args.database_url,
        seconds_between=(args.between[0], args.between[1]),
        workers=args.workers,
        seed=args.seed,
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
