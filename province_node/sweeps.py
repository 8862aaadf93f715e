"""The node's own periodic work (REG-5): national checks finished later, claims released;
SYS-5: unused accounts frozen."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable

from contracts.meta import CommandMeta
from province_node.runtime import NodeRuntime
from xueji.lifecycle import Supervisor
from xueji.logs import get_logger

log = get_logger("province_node.sweeps")


def start_sweeps(runtime: NodeRuntime, supervisor: Supervisor) -> list[asyncio.Task]:
    """One supervised task per sweep (started again if it crashed), stopped with the node."""
    return [
        supervisor.start(sweep.__name__, functools.partial(sweep, runtime))
        for sweep in (
            sweep_deferred_dedup,
            retry_pending_authentications,
            abandon_returned,
            promote_when_due,
            settle_revocations,
            freeze_unused_accounts,
        )
    ]


async def sweep_deferred_dedup(runtime: NodeRuntime) -> None:
    """REG-5 with instant dedup off: registrations wait for this periodic national dedup."""

    async def sweep(meta: CommandMeta) -> bool:
        await runtime.later_checks.run_deferred_dedup(meta)
        return True

    seconds = runtime.settings.deferred_dedup_seconds
    await _periodically(runtime, "deferred_dedup", sweep, seconds, seconds)


async def retry_pending_authentications(runtime: NodeRuntime) -> None:
    """REG-5: authentications left pending are retried by themselves — at once when the
    registry answers again, otherwise after a pause that doubles while it stays away."""

    async def retry(meta: CommandMeta) -> bool:
        counts = await runtime.later_checks.retry_pending_authentications(meta)
        return counts["pending"] == 0

    settings = runtime.settings
    await _periodically(
        runtime,
        "pending_authentication",
        retry,
        settings.auth_retry_seconds,
        settings.auth_retry_max_seconds,
        wake=runtime.registrations.registry.returned,
    )


async def abandon_returned(runtime: NodeRuntime) -> None:
    """REG-5: returned registrations the school let lie end, and release their claims."""
    settings = runtime.settings

    async def sweep(meta: CommandMeta) -> bool:
        await runtime.later_checks.abandon_returned(meta, settings.returned_expiry_days)
        return True

    seconds = settings.abandon_sweep_seconds
    await _periodically(runtime, "abandon_returned", sweep, seconds, seconds, needs_bus=False)


async def promote_when_due(runtime: NodeRuntime) -> None:
    """GRD-3: once the province's promotion day has passed, the promotion runs by itself; a
    node that was killed mid-run finishes it when it is back (resumable)."""

    async def promote(meta: CommandMeta) -> bool:
        await runtime.promotions.run(meta)  # a new node: its records are in the year in force
        return True

    try:  # at once on start: a run cut short by a crash finishes now, not a pause later
        await promote(CommandMeta.new("system", runtime.settings.province, "sysadmin"))
    except Exception:  # a store hiccup: the periodic runs try again
        log.warning("promotion_failed", exc_info=True)

    seconds = runtime.settings.promotion_check_seconds
    await _periodically(runtime, "promotion", promote, seconds, seconds, needs_bus=False)


async def settle_revocations(runtime: NodeRuntime) -> None:
    """ORG-1, ORG-2: confirmed revocations complete once nothing holds their school or region."""

    async def settle(meta: CommandMeta) -> bool:
        await runtime.org_changes.settle(meta)
        return True

    seconds = runtime.settings.promotion_check_seconds
    await _periodically(runtime, "settle_revocations", settle, seconds, seconds, needs_bus=False)


async def freeze_unused_accounts(runtime: NodeRuntime) -> None:
    """SYS-5: accounts not logged in for longer than the period are frozen until a superior
    unit's sysadmin unfreezes them (`xueji/access/rules.py`)."""

    async def sweep(meta: CommandMeta) -> bool:
        await runtime.access.freeze_unused(meta.as_dict())
        return True

    seconds = runtime.settings.account_sweep_seconds
    await _periodically(runtime, "freeze_unused_accounts", sweep, seconds, seconds, needs_bus=False)


async def _periodically(
    runtime: NodeRuntime,
    name: str,
    job: Callable[[CommandMeta], Awaitable[bool]],
    pause: float,
    longest: float,
    wake: asyncio.Event | None = None,
    needs_bus: bool = True,
) -> None:
    """Runs `job` as the system after each pause. A run that could not finish (it says so,
    it failed, or the bus is down: the other side is away) doubles the pause up to
    `longest`; `wake` ends a pause early (the other side is back)."""
    meta = CommandMeta.new("system", runtime.settings.province, "sysadmin")
    delay = pause
    while True:
        if wake is None:
            await asyncio.sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()
            wake.clear()
        done = False
        try:
            done = (runtime.bus.connected or not needs_bus) and await job(meta)
        except Exception:  # the other side is away: the next run tries again
            log.warning(f"{name}_failed", exc_info=True)
        delay = pause if done else min(delay * 2, longest)
