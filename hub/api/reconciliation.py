"""REG-5 claim reconciliation on demand, for the ministry sysadmin: run it (all provinces or
one) and read what it could not resolve."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Runtime
from xueji.access.guards import MinistrySysadmin

router = APIRouter(prefix="/api/v1/reconciliations", tags=["reconciliation"])


class ClaimsRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: One province; every province the hub follows when omitted.
    province: str | None = Field(default=None, pattern=r"^\d{2}$")


@router.post("/claims")
async def reconcile_claims(body: ClaimsRunIn, runtime: Runtime, user: MinistrySysadmin) -> dict:
    """Runs the reconciliation now; per province: checked, kept, released, conflicts."""
    return {"runs": await runtime.claims.run(body.province)}


@router.get("/claims")
async def claim_conflicts(runtime: Runtime, user: MinistrySysadmin) -> dict:
    """The conflicts the last runs reported, and each province's last figures."""
    conflicts = await runtime.claims.conflicts()
    return conflicts | {"last_runs": list(runtime.claims.last.values())}
