"""待办: what awaits the caller, across every business (one read model, `province_node.pending`)."""

from __future__ import annotations

from fastapi import APIRouter

from province_node.api.deps import Meta, Runtime
from xueji.access.api import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["pending"])


@router.get("/pending/summary")
async def pending_summary(runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
    """Counts per business of what awaits the caller's unit and role (the console's 待办)."""
    return await runtime.pending.summary(meta)
