"""Stopping background tasks for sure."""

from __future__ import annotations

import asyncio
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
