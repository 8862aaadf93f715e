"""`GET /healthz` of the hub, with how far it has applied each province's stream."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts.calendar import calendar_health
from hub.api.deps import Runtime

router = APIRouter()


@router.get("/healthz")
async def healthz(runtime: Runtime) -> JSONResponse:
    """Health of the hub: NATS link, event store, per-province stream positions, and the
    calendar years deadlines need that nobody has entered yet."""
    try:
        positions = await runtime.identities.positions(runtime.settings.provinces)
        store = "ok"
    except Exception:  # noqa: BLE001 - any store failure is "down"
        positions, store = {}, "down"
    missing = runtime.calendar.missing(runtime.clock.today())  # in memory: no store read
    nats = "connected" if runtime.bus.connected else "down"
    ok = store == "ok" and nats == "connected"
    body = {
        "status": "ok" if ok else "degraded",
        "service": "hub",
        "province": None,
        "nats": nats,
        "store": store,
        "positions": positions,
        "calendar": calendar_health(missing),  # SYS-2: years whose deadlines are refused
    }
    return JSONResponse(body, status_code=200 if ok else 503)
