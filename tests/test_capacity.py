"""Admission control (``app.capacity``): slots, a bounded queue, a bounded wait, clean hand-overs."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.capacity import Capacity
from app.errors import Unavailable


def run(coroutine: Any) -> Any:
    """``asyncio.run`` in a thread of its own (the browser tests keep a loop in the main one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _hold(capacity: Capacity, seconds: float, log: list[str], name: str) -> None:
    async with capacity.slot():
        log.append(f"{name} in")
        await asyncio.sleep(seconds)
        log.append(f"{name} out")


def test_slots_are_granted_in_arrival_order_up_to_the_limit() -> None:
    async def scenario() -> list[str]:
        capacity = Capacity(active=2, queued=10, wait_seconds=5)
        log: list[str] = []
        await asyncio.gather(*(_hold(capacity, 0.02, log, str(i)) for i in range(4)))
        assert capacity.active == 0 and capacity.waiting == 0
        return log

    log = run(scenario())
    assert log[:2] == ["0 in", "1 in"]  # two at once; the others wait their turn
    assert log.index("2 in") > log.index("0 out") and log.index("3 in") > log.index("1 out")


def test_a_full_queue_is_refused_at_once_with_retry_after() -> None:
    async def scenario() -> tuple[list[BaseException | None], float]:
        capacity = Capacity(active=1, queued=1, wait_seconds=5)
        log: list[str] = []
        loop = asyncio.get_running_loop()
        started = loop.time()
        holder = asyncio.create_task(_hold(capacity, 0.2, log, "a"))
        await asyncio.sleep(0)
        waiter = asyncio.create_task(_hold(capacity, 0.0, log, "b"))
        await asyncio.sleep(0)
        refused: list[BaseException | None] = []
        try:
            async with capacity.slot():
                refused.append(None)
        except Unavailable as exc:
            refused.append(exc)
            elapsed = loop.time() - started
        await asyncio.gather(holder, waiter)
        assert capacity.active == 0
        return refused, elapsed

    refused, elapsed = run(scenario())
    (error,) = refused
    assert isinstance(error, Unavailable) and error.status == 503
    assert error.retry_after >= 1 and "busy" in error.message
    assert elapsed < 0.1  # refused at once, not after a wait


def test_a_wait_past_the_limit_is_refused_and_frees_its_place() -> None:
    async def scenario() -> None:
        capacity = Capacity(active=1, queued=5, wait_seconds=0.05)
        log: list[str] = []
        holder = asyncio.create_task(_hold(capacity, 0.3, log, "a"))
        await asyncio.sleep(0)
        with pytest.raises(Unavailable, match="waited"):
            async with capacity.slot():
                pass
        assert capacity.waiting == 0 and capacity.refused == 1
        await holder
        async with capacity.slot():  # free again once the holder is done
            assert capacity.active == 1
        assert capacity.active == 0

    run(scenario())


def test_a_cancelled_waiter_does_not_leak_a_slot() -> None:
    async def scenario() -> None:
        capacity = Capacity(active=1, queued=5, wait_seconds=5)
        log: list[str] = []
        holder = asyncio.create_task(_hold(capacity, 0.05, log, "a"))
        await asyncio.sleep(0)
        waiter = asyncio.create_task(_hold(capacity, 0.0, log, "gone"))
        await asyncio.sleep(0.01)
        waiter.cancel()  # the client went away while waiting
        await holder
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert capacity.active == 0 and capacity.waiting == 0
        assert "gone in" not in log

    run(scenario())


def test_bad_limits_are_named() -> None:
    with pytest.raises(ValueError, match="active >= 1"):
        Capacity(active=0, queued=1, wait_seconds=1)
