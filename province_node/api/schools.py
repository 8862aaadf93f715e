"""Schools and their classes (API.md "Organisation"), within the caller's jurisdiction."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.regions import region_contains
from province_node.api.deps import Runtime
from xueji.access.guards import CurrentUser, Policy, SchoolInSight

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])


@router.get("")
async def list_schools(
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    region: str | None = None,
    name: str | None = None,
) -> dict:
    """Schools of the caller's jurisdiction, filtered by region (compared at the region's
    level, ID-4) and by a part of the name."""
    schools = await runtime.schools.schools()
    items = [s for s in schools if policy.sees(user, s["school_code"])]
    if region:
        items = [s for s in items if region_contains(region, s["region_code"], "region")]
    if name:
        items = [s for s in items if name in s["name"]]
    return {"items": items, "total": len(items)}


@router.get("/{school_code}")
async def get_school(school_code: SchoolInSight, runtime: Runtime) -> dict:
    """One school with its classes."""
    return await runtime.schools.school(school_code)
