"""Shared by the benchmarks: run an ASGI factory under uvicorn in its own process, load it with
wrk (or an httpx fallback), and compare two servers in alternating rounds."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

Load = Callable[[float], float]  # seconds -> requests per second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def migrated_data_dir() -> Iterator[dict[str, str]]:
    """A temporary data directory with a migrated database; yields the environment to use it."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"BERTPREP_DATA_DIR": tmp}
        subprocess.run(
            [sys.executable, "-m", "app", "migrate"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        yield env


@contextmanager
def serve(factory: str, env: dict[str, str]) -> Iterator[str]:
    """``uvicorn <factory> --factory`` on a free port, one worker, no access log."""
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
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}
    )
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


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("the benchmarks drive the servers with wrk: apt-get install wrk")


def wrk(url: str, seconds: float, *, script: Path | None = None, connections: int = 8) -> float:
    """Requests per second from one wrk thread with ``connections`` keep-alive connections."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} requests failed during the run:\n{out}")
    return float(match.group(1))


def alternate(
    ours: Load, baseline: Load, *, rounds: int, seconds: float
) -> tuple[list[float], list[float]]:
    """Warm both up, then measure them in alternating rounds so drift hits both alike."""
    ours(1)
    baseline(1)
    ours_rps, base_rps = [], []
    for _ in range(rounds):
        ours_rps.append(ours(seconds))
        base_rps.append(baseline(seconds))
    return ours_rps, base_rps


def report(name: str, baseline: str, ours: list[float], base: list[float], target: float) -> float:
    ratio = statistics.median(ours) / statistics.median(base)
    paired = statistics.median(o / b for o, b in zip(ours, base, strict=True))
    print(
        f"{name:<28} {statistics.median(ours):8.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in ours)})"
    )
    print(
        f"{baseline:<28} {statistics.median(base):8.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in base)})"
    )
    print(f"ratio of medians: {ratio:.2f}; median of per-round ratios: {paired:.2f}")
    print(
        f"ratio: {ratio:.2f}  (target >= {target}) -> {'OK' if ratio >= target else 'BELOW TARGET'}"
    )
    return ratio
