"""`GET /healthz` as API.md says: 200 when NATS and the store answer, 503 otherwise."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts import subjects
from contracts.calendar import calendar_health
from province_node.api.deps import Runtime
from xueji.bus import consumer_lag

router = APIRouter()


@router.get("/healthz")
async def healthz(runtime: Runtime) -> JSONResponse:
    """Health of this node: NATS link and event store."""
    province = runtime.settings.province
    try:
        await runtime.schools.store_position()
        store = "ok"
    except Exception:  # noqa: BLE001 - any store failure is "down"
        store = "down"
    nats = "connected" if runtime.bus.connected else "down"
    ok = store == "ok" and nats == "connected"
    body = {
        "status": "ok" if ok else "degraded",
        "service": "province",
        "province": province,
        "nats": nats,
        "store": store,
        "outbox_published": runtime.relay.published,
        # Issue 17 item 5: events stored, not yet on NATS (≤ 1000 counted); the hub's notices
        # waiting in this node's durable on HUB_OUT
        "outbox_backlog": await _backlog(runtime),
        "consumer_lag": await consumer_lag(
            runtime.bus.nc, subjects.HUB_OUT_STREAM, subjects.hub_out_durable(province)
        ),
        "views": await asyncio.to_thread(runtime.views.lags),  # lag = log max id − position
        # SYS-2: years whose deadlines are refused, as far as the node's copy of the hub's
        # calendar knows
        "calendar": calendar_health(runtime.calendar.missing(runtime.clock.today())),
        # BUS-4: the hub's notices set aside (refused, or given up after their retries)
        "dead_notices": await _dead_notices(runtime),
        # Issue 17 item 5: background loops started again after a crash
        "restarts": runtime.supervisor.health(),
    }
    return JSONResponse(body, status_code=200 if ok else 503)


async def _backlog(runtime) -> int | None:
    try:
        return await runtime.relay.backlog()
    except Exception:  # noqa: BLE001 - the store is down: said above
        return None


async def _dead_notices(runtime) -> dict | None:
    try:
        return await runtime.writer(runtime.node.dead_notices)
    except Exception:  # noqa: BLE001 - the store is down: said above
        return None
