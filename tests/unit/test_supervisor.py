"""Issue 17 item 5: a crashed background loop is started again, with backoff, and counted."""

from __future__ import annotations

import asyncio

from xueji.lifecycle import Supervisor


async def test_issue17_crashed_loop_is_started_again_with_backoff_and_counted():
    runs: list[float] = []
    steady = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def follower() -> None:
        runs.append(loop.time())
        if len(runs) <= 3:
            raise ConnectionError(f"lost {len(runs)}")
        steady.set()
        await asyncio.Event().wait()  # runs on until stopped

    supervisor = Supervisor(first_delay=0.05, max_delay=0.1)
    supervisor.start("follow-44", follower)
    await asyncio.wait_for(steady.wait(), timeout=5)
    try:
        assert len(runs) == 4
        pauses = [b - a for a, b in zip(runs, runs[1:], strict=False)]
        assert pauses[0] >= 0.05 and pauses[1] >= 0.1 and pauses[2] >= 0.1  # doubled, capped
        health = supervisor.health()
        assert health["total"] == 3 and health["by_task"] == {"follow-44": 3}
        assert "lost 3" in health["last_errors"]["follow-44"]
    finally:
        await supervisor.stop()
    assert all(task.done() for task in supervisor.tasks)


async def test_issue17_finished_or_stopped_loops_are_not_started_again():
    calls = {"done": 0, "forever": 0}

    async def done() -> None:
        calls["done"] += 1

    async def forever() -> None:
        calls["forever"] += 1
        await asyncio.Event().wait()

    supervisor = Supervisor(first_delay=0.01)
    finished = supervisor.start("once", done)
    supervisor.start("forever", forever)
    await asyncio.wait_for(finished, timeout=2)
    await asyncio.sleep(0.05)
    await supervisor.stop()  # cancelled: the service stops, no restart
    await asyncio.sleep(0.05)
    assert calls == {"done": 1, "forever": 1}
    assert supervisor.health()["total"] == 0
