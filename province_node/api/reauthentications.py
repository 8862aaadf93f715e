"""重新认证 (ID-3, REG-5, [003 §一.1]): the province's yearly re-authentication run.

`POST /reauthentications` starts a run over the province's `L` records with a resident ID
(spring semester only; while one runs, it answers that one); the run goes on in the
background, `GET /reauthentications/{id}` shows its progress, `GET /reauthentications` every
run of the province.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from province_node.api.deps import Meta, Runtime
from xueji.access.guards import ProvinceSysadmin

router = APIRouter(prefix="/api/v1", tags=["reauthentication"])


@router.post("/reauthentications", status_code=202)
async def start(runtime: Runtime, meta: Meta, _: ProvinceSysadmin, response: Response) -> dict:
    """Starts the run (202: it goes on in the background), or answers the running one."""
    run = await runtime.reauthentications.start(meta)
    response.headers["Location"] = f"/api/v1/reauthentications/{run['id']}"
    return run


@router.get("/reauthentications")
async def runs(runtime: Runtime, _: ProvinceSysadmin) -> dict:
    return {"items": await runtime.reauthentications.runs()}


@router.get("/reauthentications/{run_id}")
async def run(runtime: Runtime, _: ProvinceSysadmin, run_id: UUID) -> dict:
    return await runtime.reauthentications.run(run_id)
