"""Dependencies shared by the learner-facing features: the clock, the scheduler, randomness."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fsrs import Scheduler

__all__ = ["NowDep", "RngDep", "SchedulerDep"]


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_scheduler(request: Request) -> Scheduler:
    scheduler: Scheduler = request.app.state.scheduler
    return scheduler


async def get_rng(request: Request) -> random.Random:
    rng: random.Random = request.app.state.rng
    return rng


NowDep = Annotated[datetime, Depends(get_now)]
SchedulerDep = Annotated[Scheduler, Depends(get_scheduler)]
RngDep = Annotated[random.Random, Depends(get_rng)]
