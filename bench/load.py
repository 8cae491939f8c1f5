"""Load test: simulated learners on a real bertprep server, then a check of the database.

Every answer the server acknowledged must be stored exactly once.

A mix of learners, each with its own cookies and a random think time between actions: guests
on the HTML pages (lessons, quiz answers through the cookie + CSRF form flow, review, progress),
token users (sign up and create a token through the API, answer through it, resend an attempt
id now and then: the resend must get 200 and the first result) and HTML sign-ups (then on as
guests). ``GET /healthz`` is probed once a second and after the run. Printed: requests and
rate, errors by status, timeouts (client timeout 30 s), p50/p95/p99 per kind and overall, the
lesson page's p95 (target < 250 ms), healthz's worst latency, and the database check
(acknowledged, stored once, lost, duplicated).

OK means: no timeouts, no 5xx, no failed or slow (>= 1 s) health probe, every resend answered
200 with the first result, and every acknowledged answer stored exactly once with exactly one
review_log row. The command exits 1 otherwise.

    .venv/bin/python bench/load.py [--learners 64] [--seconds 60] [--workers 1]
        [--think 0.2 1.0] [--database-url postgresql+psycopg://...] [--seed N]
    .venv/bin/python bench/load.py --base-url http://HOST:PORT --database-url URL

Without ``--base-url`` it starts its own server (``python -m app serve``) on a free port with
a fresh data directory (SQLite there, unless ``--database-url`` names another database, which
is migrated first). With ``--base-url`` it loads a server already running; ``--database-url``
then names that server's database for the check (without it the check is not run, and the
result is NOT OK). From tests: ``bench.load.run_load(6, 5, think=(0.05, 0.2))``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._learners import (
    CLIENT_TIMEOUT,
    DbCheck,
    HealthProbe,
    Latency,
    Recorder,
    Sample,
    check_acknowledged,
    discover,
    latency_table,
    make_learners,
    redact,
    running_server,
)

__all__ = ["HEALTHZ_LIMIT", "LESSON_P95_TARGET", "LoadReport", "main", "run_load"]

LESSON_P95_TARGET = 0.250  # seconds
HEALTHZ_LIMIT = 1.0  # seconds
SETTLE = 10.0  # seconds: the opening rush of sign-ups, reported apart


@dataclass(frozen=True)
class LoadReport:
    learners: int
    seconds: float  # asked for
    elapsed: float  # from the first learner's start to the last one's end
    workers: int
    database: str  # the URL, without a password
    roles: dict[str, int]  # learners per role: guest, token, signup
    requests: int
    statuses: dict[str, int]  # every outcome: status code, or exception name
    errors: dict[str, int]  # the failures among them: >= 400, or no response
    timeouts: int
    server_errors: int  # 5xx responses
    latency: dict[str, Latency]  # per request kind, and "all"
    settled: Latency | None  # every request sent after the first SETTLE seconds of the run
    healthz_worst: float | None
    healthz_probes: int
    healthz_failures: dict[str, int]
    acknowledged: int
    acknowledged_by: dict[str, int]  # "api", "html"
    db: DbCheck | None  # None: not checked (a --base-url server without --database-url)
    resends: int
    resend_failures: int
    problems: dict[str, int] = field(default_factory=dict)
    server_tracebacks: int | None = None  # in the server's log, when we ran the server

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def lesson_p95(self) -> float | None:
        lesson = self.latency.get("lesson")
        return lesson.p95 if lesson else None

    @property
    def lost(self) -> int | None:
        return self.db.lost if self.db else None

    @property
    def duplicated(self) -> int | None:
        return self.db.duplicated if self.db else None

    @property
    def failures(self) -> list[str]:
        """Why the run is not OK (empty when it is)."""
        why = []
        if self.timeouts:
            why.append(f"{self.timeouts} timeouts")
        if self.server_errors:
            why.append(f"{self.server_errors} 5xx responses")
        if self.healthz_failures:
            why.append(f"{sum(self.healthz_failures.values())} failed health probes")
        if self.healthz_worst is None or self.healthz_worst >= HEALTHZ_LIMIT:
            why.append("healthz not under 1 s")
        if self.resend_failures:
            why.append(f"{self.resend_failures} resends without the first result")
        if self.db is None:
            why.append("database not checked")
        elif not self.db.ok:
            why.append(f"{self.db.lost} lost, {self.db.duplicated} duplicated")
        return why

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        ms = 1000
        roles = ", ".join(f"{n} {role}" for role, n in self.roles.items())
        lines = [
            f"bertprep load: {self.learners} learners ({roles}) for {self.seconds:g} s, "
            f"{self.workers} worker{'s' if self.workers > 1 else ''}, {self.database}",
            f"requests      {self.requests} in {self.elapsed:.1f} s = {self.rate:.1f} req/s",
            f"outcomes      {_counts(self.statuses)}",
            f"errors        {_counts(self.errors)}",
            f"timeouts      {self.timeouts} (client timeout {CLIENT_TIMEOUT:g} s)",
            f"latency (ms)  {'kind':<15}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}",
        ]
        for kind, lat in self.latency.items():
            lines.append(
                f"              {kind:<15}{lat.count:>7}{lat.p50 * ms:>9.1f}{lat.p95 * ms:>9.1f}"
                f"{lat.p99 * ms:>9.1f}{lat.worst * ms:>9.1f}"
            )
        if self.settled is not None:
            s = self.settled
            lines.append(
                f"after {SETTLE:g} s     {s.count} requests: p50 {s.p50 * ms:.1f}, p95 "
                f"{s.p95 * ms:.1f}, p99 {s.p99 * ms:.1f}, max {s.worst * ms:.1f} ms "
                "(once the opening sign-ups are done)"
            )
        p95 = self.lesson_p95
        if p95 is None:
            lines.append("lesson p95    no lesson page answered")
        else:
            verdict = "OK" if p95 < LESSON_P95_TARGET else "ABOVE TARGET"
            lines.append(
                f"lesson p95    {p95 * ms:.1f} ms (target < {LESSON_P95_TARGET * ms:.0f} ms) -> {verdict}"
            )
        worst = f"{self.healthz_worst * ms:.1f} ms" if self.healthz_worst is not None else "-"
        failed = _counts(self.healthz_failures) if self.healthz_failures else "0 failed"
        lines.append(
            f"healthz       worst {worst} over {self.healthz_probes} probes, {failed} "
            f"(limit {HEALTHZ_LIMIT * ms:.0f} ms)"
        )
        lines.append(
            f"resends       {self.resends} attempt ids resent, {self.resend_failures} without "
            "200 and the first result"
        )
        by = ", ".join(f"{n} {via}" for via, n in sorted(self.acknowledged_by.items()))
        if self.db is None:
            lines.append(
                f"DB check      NOT RUN: {self.acknowledged} acknowledged ({by or 'none'}); "
                "give --database-url for a --base-url server"
            )
        else:
            lines.append(f"DB check      {self.db.line()} ({by or 'none'})")
        lines.append(f"problems      {_counts(self.problems)}")
        if self.server_tracebacks is not None:
            lines.append(f"server log    {self.server_tracebacks} tracebacks")
        lines.append(
            "result        " + ("OK" if self.ok else "NOT OK: " + "; ".join(self.failures))
        )
        return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))


async def _drive(
    base_url: str,
    learners: int,
    seconds: float,
    think: tuple[float, float],
    rng: random.Random,
) -> tuple[Recorder, HealthProbe, dict[str, int], float]:
    site = await discover(base_url)
    recorder = Recorder()
    crowd = make_learners(learners, site, recorder, think=think, rng=rng)
    probe = HealthProbe()
    stop = asyncio.Event()
    probing = asyncio.create_task(probe.run(base_url, stop))
    began = time.monotonic()
    await asyncio.gather(*(learner.run(began + seconds) for learner in crowd))
    elapsed = time.monotonic() - began
    stop.set()
    await probing
    return recorder, probe, dict(Counter(learner.role for learner in crowd)), elapsed


def _settled(samples: list[Sample]) -> Latency | None:
    if not samples:
        return None
    start = min(s.started for s in samples)
    late = [s for s in samples if s.started - start >= SETTLE]
    return latency_table(late).get("all") if late else None


def run_load(
    learners: int,
    seconds: float,
    *,
    database_url: str | None = None,
    workers: int = 1,
    think: tuple[float, float] = (0.2, 1.0),
    base_url: str | None = None,
    seed: int | None = None,
    echo: bool = True,
) -> LoadReport:
    """Run ``learners`` simulated learners for ``seconds`` and check the database.

    ``base_url``: load a server that is already running (``database_url`` then names its
    database, for the check; ``workers`` is only reported). Otherwise a server is started
    (``workers`` > 1 passes ``--workers``) with a fresh data directory, on ``database_url`` when
    given. ``think``: seconds between a learner's actions, drawn uniformly. ``echo``: print the
    report.
    """
    if learners < 1 or seconds <= 0 or not 0 <= think[0] <= think[1]:
        raise ValueError("need learners >= 1, seconds > 0 and 0 <= think low <= think high")
    rng = random.Random(seed)
    tracebacks: int | None = None
    if base_url is not None:
        recorder, probe, roles, elapsed = asyncio.run(
            _drive(base_url.rstrip("/"), learners, seconds, think, rng)
        )
        db = check_acknowledged(database_url, recorder.acks) if database_url else None
        database = redact(database_url) if database_url else f"server at {base_url}"
    else:
        with running_server(database_url=database_url, workers=workers) as server:
            recorder, probe, roles, elapsed = asyncio.run(
                _drive(server.base_url, learners, seconds, think, rng)
            )
            server.stop()
            tracebacks = server.log_count("Traceback")
            db = check_acknowledged(server.database_url, recorder.acks)
            database = redact(server.database_url)
    samples = recorder.samples
    report = LoadReport(
        learners=learners,
        seconds=seconds,
        elapsed=elapsed,
        workers=workers,
        database=database,
        roles=roles,
        requests=len(samples),
        statuses=dict(Counter(s.outcome for s in samples)),
        errors=dict(Counter(f"{s.outcome} ({s.kind})" for s in samples if s.failed)),
        timeouts=recorder.count(lambda s: s.timed_out),
        server_errors=recorder.count(lambda s: s.status is not None and s.status >= 500),
        latency=latency_table(samples),
        settled=_settled(samples),
        healthz_worst=probe.worst,
        healthz_probes=len(probe.latencies),
        healthz_failures=dict(probe.failures),
        acknowledged=len(recorder.acks),
        acknowledged_by=dict(Counter(recorder.acks.values())),
        db=db,
        resends=recorder.resends,
        resend_failures=recorder.resend_failures,
        problems=dict(recorder.problems),
        server_tracebacks=tracebacks,
    )
    if echo:
        print(report.render(), flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (--workers N)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite, fresh file)")
    parser.add_argument("--base-url", help="load this running server instead of starting one")
    parser.add_argument("--seed", type=int, help="seed the learners' choices")
    args = parser.parse_args(argv)
    report = run_load(
        args.learners,
        args.seconds,
        database_url=args.database_url,
        workers=args.workers,
        think=(args.think[0], args.think[1]),
        base_url=args.base_url,
        seed=args.seed,
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
