"""The bounded pool lab runs go through, so that one heavy request cannot starve the site.

Forward passes run on a few worker threads (numpy releases the GIL inside BLAS, so the event
loop keeps serving pages meanwhile). At most ``workers + queue`` runs are admitted at once; one
more is refused with 429 and a Retry-After estimated from how long recent runs took. BLAS
threads are fixed once for the process with threadpoolctl, so timings are comparable from run to
run and with the benchmark.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from threadpoolctl import threadpool_info, threadpool_limits

from app.errors import RateLimited

__all__ = ["LabPool", "blas_info", "blas_threads"]

T = TypeVar("T")


def blas_info() -> list[dict[str, object]]:
    """What threadpoolctl sees: BLAS library, version, threads, architecture."""
    return [
        {
            "library": i.get("internal_api"),
            "version": i.get("version"),
            "threads": i.get("num_threads"),
            "architecture": i.get("architecture"),
            "threading_layer": i.get("threading_layer"),
        }
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]


def blas_threads(limit: int | None) -> AbstractContextManager[object]:
    """BLAS limited to ``limit`` threads inside the block (None: as the pool set it). The limit
    is process-wide, so it is meant for the pool's runs, one at a time by default."""
    if limit is None:
        return nullcontext()
    limited: AbstractContextManager[object] = threadpool_limits(limits=limit, user_api="blas")
    return limited


class LabPool:
    def __init__(self, *, workers: int, queue: int, blas_threads: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self.blas_threads = blas_threads
        self._limits = threadpool_limits(limits=blas_threads, user_api="blas")
        self._executor: ThreadPoolExecutor | None = None  # started on first use, after close too
        self._admitted = 0
        self._recent: deque[float] = deque(maxlen=8)

    @property
    def busy(self) -> int:
        return self._admitted

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on a worker thread, or refuse at once (429) when the pool is full."""
        if self._admitted >= self.capacity:
            raise RateLimited(
                f"The lab is busy with {self._admitted} runs; try again in a few seconds "
                "(or ask for fewer runs or a smaller preset).",
                retry_after=self.retry_after(),
            )
        self._admitted += 1
        start = time.monotonic()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="lab")
        future = asyncio.get_running_loop().run_in_executor(self._executor, work)

        def finished(_: object) -> None:  # on the loop, when the work itself ends
            self._admitted -= 1
            self._recent.append(time.monotonic() - start)

        future.add_done_callback(finished)
        # A client that goes away does not free the slot early: the pass still runs to its end.
        return await asyncio.shield(future)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the typical run time times the runs ahead."""
        typical = sorted(self._recent)[len(self._recent) // 2] if self._recent else 1.0
        return max(1, math.ceil(typical * self._admitted / self.workers))

    def close(self) -> None:
        """Stop the worker threads (the app's shutdown); a later run starts new ones."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
