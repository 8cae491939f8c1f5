"""Lesson page throughput as a ratio to a bare FastAPI endpoint returning the same bytes.

Both apps run in their own uvicorn process (one worker, no access log, same flags), are loaded by
the same client in alternating rounds, and the ratio of median requests per second is printed.
The client is wrk when installed (apt-get install wrk), otherwise a threaded httpx loop; the
output says which. Target: ratio >= 0.7.

    .venv/bin/python bench/pages.py [--seconds 3] [--rounds 5] [--path /lessons/distilbert]
                                    [--client auto|wrk|httpx]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(factory: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"{factory} did not start (exit {process.returncode})")
            try:
                httpx.get(base + "/", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def load_wrk(url: str, seconds: float) -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{max(1, round(seconds))}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{out}")
    return float(match.group(1))


def load_httpx(url: str, seconds: float, threads: int = 4) -> float:
    count = [0] * threads
    deadline = time.monotonic() + seconds

    def worker(slot: int) -> None:
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                client.get(url).raise_for_status()
                count[slot] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(count) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/lessons/distilbert")
    parser.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    load = load_wrk if use_wrk else load_httpx
    client = "wrk -t1 -c8" if load is load_wrk else "httpx, 4 threads"

    with tempfile.TemporaryDirectory() as tmp:
        env = {"BERTPREP_DATA_DIR": tmp}
        subprocess.run(
            [sys.executable, "-m", "app", "migrate"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        with serve("app.main:create_app_from_env", env) as ours:
            body = httpx.get(ours + args.path).content
            body_file = Path(tmp) / "body.html"
            body_file.write_bytes(body)
            bare_env = {
                "BENCH_BODY_FILE": str(body_file),
                "BENCH_PATH": args.path,
                "PYTHONPATH": str(ROOT),
            }
            with serve("bench.bare_app:create_bare_app", bare_env) as bare:
                assert httpx.get(bare + args.path).content == body
                load(ours + args.path, 1)  # warm both up
                load(bare + args.path, 1)
                ours_rps, bare_rps = [], []
                for _ in range(args.rounds):
                    ours_rps.append(load(ours + args.path, args.seconds))
                    bare_rps.append(load(bare + args.path, args.seconds))

    ratio = statistics.median(ours_rps) / statistics.median(bare_rps)
    paired = statistics.median(o / b for o, b in zip(ours_rps, bare_rps, strict=True))
    print(
        f"page: {args.path} ({len(body):,} bytes); client: {client}; {args.rounds} rounds x {args.seconds:g} s each"
    )
    print(
        f"bertprep lesson page : {statistics.median(ours_rps):8.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in ours_rps)})"
    )
    print(
        f"bare FastAPI, same bytes: {statistics.median(bare_rps):5.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in bare_rps)})"
    )
    if not use_wrk:
        print("note: the httpx client saturates before either server does, which pulls the ratio")
        print("      towards 1; install wrk (apt-get install wrk) for a meaningful figure")
    print(f"ratio of medians: {ratio:.2f}; median of per-round ratios: {paired:.2f}")
    print(
        f"ratio: {ratio:.2f}  (target >= {TARGET}) -> {'OK' if ratio >= TARGET else 'BELOW TARGET'}"
    )


if __name__ == "__main__":
    main()
