"""A live server whose lab pool is full: one worker, no queue, held by a long run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.live import live_server

__all__ = ["full_lab"]

HEAVY = {"variant": "bert", "preset": "tiny", "seq_len": 512, "runs": 20}


@contextmanager
def full_lab(data_dir: Path) -> Iterator[str]:
    """Yield the base URL while a long run holds the pool's only slot; on the way out, wait for
    that run and check that it finished."""
    env = {"BERTPREP_LAB_WORKERS": "1", "BERTPREP_LAB_QUEUE": "0", "BERTPREP_LAB_PRELOAD": "false"}
    with live_server(data_dir, extra_env=env) as base:
        results: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: results.append(
                httpx.post(base + "/api/v1/lab/run", json=HEAVY, timeout=120)
            )
        )
        worker.start()
        for _ in range(600):  # until the heavy run holds the only slot
            if httpx.get(base + "/api/v1/lab/variants").json()["pool"]["busy"] == 1:
                break
            threading.Event().wait(0.02)
        yield base
        worker.join()
    assert results and results[0].status_code == 200
