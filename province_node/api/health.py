"""`GET /healthz` as API.md says: 200 when NATS and the store answer, 503 otherwise."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts.calendar import calendar_health
from province_node.api.deps import Runtime

router = APIRouter()


@router.get("/healthz")
async def healthz(runtime: Runtime) -> JSONResponse:
    """Health of this node: NATS link and event store."""
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
        "province": runtime.settings.province,
        "nats": nats,
        "store": store,
        "outbox_published": runtime.relay.published,
        "views": await asyncio.to_thread(runtime.views.lags),  # lag = log max id − position
        # SYS-2: years whose deadlines are refused, as far as the node's copy of the hub's
        # calendar knows
        "calendar": calendar_health(runtime.calendar.missing(runtime.clock.today())),
        # Issue 17 item 5: background loops started again after a crash
        "restarts": runtime.supervisor.health(),
    }
    return JSONResponse(body, status_code=200 if ok else 503)
