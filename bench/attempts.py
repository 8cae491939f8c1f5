"""Attempt submissions per second (grading, database write, FSRS scheduling) as a ratio to a
bare FastAPI endpoint that parses the same JSON and answers a body of the same shape.

Both run in their own uvicorn process on a fresh SQLite file; wrk posts a new attempt id with
every request (a Lua script), alternating rounds. Target: ratio >= 0.3.

    .venv/bin/python bench/attempts.py [--seconds 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import alternate, migrated_data_dir, report, require_wrk, serve, wrk

TARGET = 0.3

LUA = """
math.randomseed(os.time())
local prefix = string.format("%08x", math.random(0, 0x7fffffff))
local counter = 0
request = function()
  counter = counter + 1
  local id = string.format("%s-0000-4000-8000-%012x", prefix, counter)
  local body = '{"attempt_id":"' .. id .. '","question_id":"QUESTION","response":{"choice":"CHOICE"},"duration_ms":9000}'
  return wrk.format("POST", "/api/v1/attempts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN"}, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    require_wrk()
    with migrated_data_dir() as env:
        tmp = env["BERTPREP_DATA_DIR"]
        with serve("app.main:create_app_from_env", env) as ours:
            httpx.post(
                ours + "/api/v1/accounts", json={"username": "bench", "password": "bench password"}
            ).raise_for_status()
            token = httpx.post(ours + "/api/v1/tokens", auth=("bench", "bench password")).json()[
                "token"
            ]
            question = next(
                q
                for q in httpx.get(
                    ours + "/api/v1/questions", headers={"Authorization": f"Bearer {token}"}
                ).json()
                if q["type"] == "single"
            )
            script = Path(tmp) / "attempts.lua"
            script.write_text(
                LUA.replace("QUESTION", question["id"])
                .replace("CHOICE", question["options"][0]["id"])
                .replace("TOKEN", token)
            )
            with serve("bench.bare_app:create_bare_attempts_app", {}) as bare:
                ours_rps, bare_rps = alternate(
                    lambda s: wrk(
                        ours + "/api/v1/attempts", s, script=script, connections=args.connections
                    ),
                    lambda s: wrk(
                        bare + "/api/v1/attempts", s, script=script, connections=args.connections
                    ),
                    rounds=args.rounds,
                    seconds=args.seconds,
                )
            stored = httpx.get(
                ours + "/api/v1/progress", headers={"Authorization": f"Bearer {token}"}
            ).json()["attempts"]
    print(
        f"POST /api/v1/attempts; client: wrk -t1 -c8 with a new attempt id per request; "
        f"{args.rounds} rounds x {args.seconds:g} s; {stored:,} attempts stored"
    )
    report("bertprep attempts", "bare FastAPI JSON endpoint", ours_rps, bare_rps, TARGET)


if __name__ == "__main__":
    main()
