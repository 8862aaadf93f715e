"""`GET /healthz` of the hub, with how far it has applied each province's stream."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts import subjects
from contracts.calendar import calendar_health
from hub.api.deps import Runtime
from hub.messaging import stream_alarms
from xueji.bus import consumer_lag

router = APIRouter()


@router.get("/healthz")
async def healthz(runtime: Runtime) -> JSONResponse:
    """Health of the hub: NATS link, event store, per-province stream positions, and the
    calendar years deadlines need that nobody has entered yet."""
    try:
        positions = await runtime.identities.positions(runtime.settings.provinces)
        dead_letters = await runtime.identities.dead_letters()
        conflicts = await runtime.claims.conflicts()
        backlog = await runtime.relay.backlog()
        store = "ok"
    except Exception:  # noqa: BLE001 - any store failure is "down"
        positions, store, dead_letters, conflicts, backlog = {}, "down", None, None, None
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
        # BUS-6: messages recorded instead of applied (the hub console lists them)
        "dead_letters": dead_letters and {k: dead_letters[k] for k in ("total", "by_province")},
        # REG-5: claims the reconciliation could not resolve (the hub console lists them)
        "claim_conflicts": conflicts and {k: conflicts[k] for k in ("total", "by_province")},
        # Issue 17 item 5: background loops started again after a crash
        "restarts": runtime.supervisor.health() if runtime.supervisor else None,
        # BUS-6: province streams gone backwards, no longer followed until repaired
        "stream_alarms": stream_alarms(runtime.followers),
        # Issue 17 item 5: notices stored, not yet on NATS (≤ 1000 counted); per province,
        # its stream's messages the hub has not taken or not acknowledged yet
        "outbox_backlog": backlog,
        "consumer_lag": {
            p: await consumer_lag(runtime.bus.nc, subjects.province_stream(p), subjects.HUB_DURABLE)
            for p in runtime.settings.provinces
        },
    }
    return JSONResponse(body, status_code=200 if ok else 503)
