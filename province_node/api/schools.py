"""Schools and their classes (API.md "Organisation")."""

from __future__ import annotations

from fastapi import APIRouter

from province_node.api.deps import Runtime

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])


@router.get("")
async def list_schools(
    runtime: Runtime, region: str | None = None, name: str | None = None
) -> dict:
    """Schools of this province, filtered by region code prefix and name part."""
    items = await runtime.writer(runtime.node.schools)
    if region:
        prefix = region.rstrip("0") or region
        items = [s for s in items if s["region_code"].startswith(prefix)]
    if name:
        items = [s for s in items if name in s["name"]]
    return {"items": items, "total": len(items)}


@router.get("/{school_code}")
async def get_school(school_code: str, runtime: Runtime) -> dict:
    """One school with its classes."""
    return await runtime.writer(runtime.node.school, school_code)
