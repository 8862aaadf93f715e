"""Stopping background tasks for sure; garbage collection fit for a long-running service."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterable

from xueji.logs import get_logger

log = get_logger("xueji.lifecycle")


async def stop_tasks(tasks: Iterable[asyncio.Task], timeout: float = 5.0) -> None:
    """Cancels the tasks and waits for them, cancelling again while any lingers.

    Once is not enough on Python 3.11: `asyncio.wait_for` (used inside nats-py and by the
    relay) can swallow a cancellation that races with its inner result (cpython#86296),
    and a loop that swallowed it runs on forever.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = {task for task in tasks if not task.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.2)
    if pending:
        log.error("tasks_not_stopped", tasks=[task.get_name() for task in pending])


def tune_garbage_collection() -> None:
    """Fewer, cheaper collections once a service has started.

    A command allocates many short-lived objects (events, rows, pydantic models) while the
    aggregate caches hold many long-lived ones; with CPython's default thresholds (700, 10,
    10) the collections that rescan those caches took about half the CPU of an Excel import
    (docs/benchmarks.md). What is alive after startup is frozen out of collections, and young
    collections run every 50,000 allocations. Cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
