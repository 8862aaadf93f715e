"""Schools and their classes (API.md "Organisation"), within the caller's jurisdiction."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.regions import region_contains
from province_node.api.deps import Runtime, ensure_within
from xueji.access.api import CurrentUser

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])


@router.get("")
async def list_schools(
    runtime: Runtime, user: CurrentUser, region: str | None = None, name: str | None = None
) -> dict:
    """Schools of the caller's jurisdiction, filtered by region (compared at the region's
    level, ID-4) and by a part of the name."""
    items = [
        s
        for s in await runtime.writer(runtime.node.schools)
        if runtime.org.is_within(s["school_code"], user.unit_code)
    ]
    if region:
        items = [s for s in items if region_contains(region, s["region_code"], "region")]
    if name:
        items = [s for s in items if name in s["name"]]
    return {"items": items, "total": len(items)}


@router.get("/{school_code}")
async def get_school(school_code: str, runtime: Runtime, user: CurrentUser) -> dict:
    """One school with its classes."""
    ensure_within(runtime, user, school_code)
    return await runtime.writer(runtime.node.school, school_code)
