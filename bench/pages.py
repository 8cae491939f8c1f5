"""Lesson page throughput as a ratio to a bare FastAPI endpoint returning the same bytes.

Both apps run in their own uvicorn process (one worker, no access log, same flags) and are
loaded by the same client (wrk, one thread, 8 connections) in alternating rounds.
Target: ratio >= 0.7.

    .venv/bin/python bench/pages.py [--seconds 3] [--rounds 5] [--path /lessons/distilbert]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import alternate, migrated_data_dir, report, require_wrk, serve, wrk

TARGET = 0.7


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/lessons/distilbert")
    args = parser.parse_args()
    require_wrk()
    with migrated_data_dir() as env:
        tmp = env["BERTPREP_DATA_DIR"]
        with serve("app.main:create_app_from_env", env) as ours:
            body = httpx.get(ours + args.path).content
            body_file = Path(tmp) / "body.html"
            body_file.write_bytes(body)
            with serve(
                "bench.bare_app:create_bare_app",
                {"BENCH_BODY_FILE": str(body_file), "BENCH_PATH": args.path},
            ) as bare:
                assert httpx.get(bare + args.path).content == body
                ours_rps, bare_rps = alternate(
                    lambda s: wrk(ours + args.path, s),
                    lambda s: wrk(bare + args.path, s),
                    rounds=args.rounds,
                    seconds=args.seconds,
                )
    print(
        f"page: {args.path} ({len(body):,} bytes); client: wrk -t1 -c8; {args.rounds} rounds x {args.seconds:g} s each"
    )
    report("bertprep lesson page", "bare FastAPI, same bytes", ours_rps, bare_rps, TARGET)


if __name__ == "__main__":
    main()
