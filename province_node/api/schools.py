"""Schools and their classes (API.md "Organisation"), within the caller's jurisdiction."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.regions import region_contains
from province_node.api.deps import Meta, Runtime
from xueji.access.guards import CurrentUser, Policy, SchoolInSight, SchoolRegistrar

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


class ClassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    class_code: str = Field(min_length=7, max_length=7)  # ID-5: 2027101
    name: str | None = Field(default=None, min_length=1, max_length=30)  # default: 小学1年级1班
    campus: int = Field(default=0, ge=0, le=99)  # 0: the main campus; n: branch campus n


@router.post("/{school_code}/classes", status_code=201)
async def open_class(
    school_code: str, body: ClassIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """ORG: the school opens a class (next year's grade 1 before the promotion day, too)."""
    today = runtime.clock.today()
    return await runtime.schools.open_class(
        school_code, body.class_code.strip(), body.name, today, meta, body.campus
    )
