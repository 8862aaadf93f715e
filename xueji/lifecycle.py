"""Background tasks supervised and stopped for sure; garbage collection fit for a
long-running service."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterable

from xueji.logs import get_logger

log = get_logger("xueji.lifecycle")


class Supervisor:
    """Runs a service's background loops (stream followers, the outbox relay, sweeps, the
    notice consumer) and starts one again when it crashed, after a backoff (issue 17 item 5).

    A loop is given as a factory of its coroutine, so a restart begins afresh (a follower
    declares its stream and durable again). The backoff doubles from `first_delay` up to
    `max_delay`, and starts over once a run lasted `healthy_after` seconds. A loop that
    returns is done; one cancelled (the service stopping) is not restarted. `/healthz`
    shows `restarts`.
    """

    def __init__(
        self, first_delay: float = 0.5, max_delay: float = 30.0, healthy_after: float = 60.0
    ) -> None:
        self.first_delay, self.max_delay, self.healthy_after = first_delay, max_delay, healthy_after
        self.tasks: list[asyncio.Task] = []
        self.restarts: dict[str, int] = {}
        self.last_errors: dict[str, str] = {}

    def start(self, name: str, loop: Callable[[], Awaitable[object]]) -> asyncio.Task:
        task = asyncio.create_task(self._supervise(name, loop), name=name)
        self.tasks.append(task)
        return task

    async def _supervise(self, name: str, loop: Callable[[], Awaitable[object]]) -> None:
        clock = asyncio.get_running_loop()
        delay = self.first_delay
        while True:
            started = clock.time()
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged, counted and started again
                if clock.time() - started >= self.healthy_after:
                    delay = self.first_delay
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.last_errors[name] = repr(exc)[:300]
                log.exception("task_crashed", task=name, restarts=self.restarts[name],
                              retry_in=delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def health(self) -> dict:
        """For `/healthz`: restarts in all and per task, each task's last error."""
        return {
            "total": sum(self.restarts.values()),
            "by_task": dict(self.restarts),
            "last_errors": dict(self.last_errors),
        }

    async def stop(self) -> None:
        await stop_tasks(self.tasks)


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
