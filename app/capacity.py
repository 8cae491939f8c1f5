"""Admission control: how many requests may use the database at once, and how long others wait.

Requests that use the database run in the thread pool, each holding one connection. Letting
every arrival in at once only queues them on the connection pool and on the GIL, and a request
that cannot be served soon is better told so at once than after a long wait. ``Capacity`` lets
``active`` requests in; up to ``queued`` more wait (on the event loop, holding nothing) for at
most ``wait_seconds``; anything beyond that is answered 503 with a ``Retry-After`` at once.
Pages that only read memory (lessons, health, static files) never pass through here, so they
keep answering however busy the database side is.

One instance per process (per worker); all its methods run on the event loop thread. It holds
no loop-bound primitive, so one app can be served by several event loops in turn (tests).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.errors import Unavailable

__all__ = ["Capacity"]


class Capacity:
    def __init__(self, *, active: int, queued: int, wait_seconds: float) -> None:
        if active < 1 or queued < 0 or wait_seconds <= 0:
            raise ValueError(
                f"capacity needs active >= 1, queued >= 0, wait > 0; got {active}, {queued}, {wait_seconds}"
            )
        self.limit, self.queue_limit, self.wait_seconds = active, queued, wait_seconds
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._mean_hold = 0.01  # seconds a request holds a slot, smoothed: sizes Retry-After
        self.refused = 0  # requests answered 503 (for logs and tests)

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    def retry_after(self) -> int:
        """Seconds until the queue ahead of a new arrival has likely drained, at least 1."""
        drain = (self.waiting + self.active) * self._mean_hold / self.limit
        return max(1, min(30, math.ceil(drain)))

    def _refuse(self, why: str) -> Unavailable:
        self.refused += 1
        seconds = self.retry_after()
        return Unavailable(
            f"The server is busy ({why}); try again in {seconds} s.", retry_after=seconds
        )

    async def _acquire(self) -> None:
        if self.active < self.limit and not self.waiting:
            self.active += 1
            return
        if self.waiting >= self.queue_limit:
            raise self._refuse(f"{self.active} running, {self.waiting} waiting")
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.wait_seconds):
                await waiter  # release() hands its slot straight to us: ``active`` is unchanged
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return  # handed a slot in the same instant the wait ran out: keep it
            raise self._refuse(f"waited {self.wait_seconds:g} s for a turn") from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            raise
        finally:
            if not waiter.done():
                waiter.cancel()

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.active -= 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; Unavailable (503) when none comes in time."""
        await self._acquire()
        started = time.perf_counter()
        try:
            yield
        finally:
            held = time.perf_counter() - started
            self._mean_hold += 0.05 * (held - self._mean_hold)
            self.release()
