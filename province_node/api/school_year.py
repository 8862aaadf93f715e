"""毕业升级 (API.md "The school year"; SPEC GRD-1…GRD-4): graduation, rollback, graduates,
promotion.

`POST /graduations` applies for a class list or picked students; the chain's units decide
through `/graduations/{id}/decisions`; `/graduations/{number}/rollback` is 毕业退回 by the
supervising bureau (the province after six months); `/graduates` is 毕业生查询; the promotion
job runs by itself at the province's promotion day, `POST /promotions` runs or resumes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.ids import parse_student_number
from projections import excel
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import process_routes
from province_node.graduations import GraduationForm
from xueji.access.api import PersonalExport
from xueji.access.guards import (
    BureauRegistrar,
    CurrentUser,
    Policy,
    ProvinceSysadmin,
    SchoolRegistrar,
)
from xueji.http import attachment

router = APIRouter(prefix="/api/v1", tags=["school year"])


class GraduationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_code: str = Field(max_length=10)
    kind: str = Field(default="graduate", max_length=20)  # graduate | completion | incomplete
    class_codes: list[str] = Field(default=[], max_length=100)
    student_numbers: list[str] = Field(default=[], max_length=2_000)
    date: dt.date | None = None  # 毕业日期 (default: today)


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/graduations", status_code=201)
async def apply(body: GraduationIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """GRD-1: the school registrar graduates classes or picked students of one stage."""
    numbers = tuple(str(parse_student_number(n, "student_numbers")) for n in body.student_numbers)
    form = GraduationForm(
        school_code=body.school_code,
        kind=body.kind,
        class_codes=tuple(c.strip() for c in body.class_codes),
        student_numbers=numbers,
        date=body.date,
    )
    return await runtime.graduations.apply(form, meta)


process_routes(router, path="/graduations", param="graduation_id", service="graduations",
               what="该毕业申请")  # fmt: skip


@router.post("/graduations/{student_number}/rollback")
async def roll_back(
    student_number: str, body: RollbackIn, runtime: Runtime, meta: Meta, _: BureauRegistrar
) -> dict:
    """GRD-2 毕业退回: the supervising bureau within six months, later the province."""
    number = str(parse_student_number(student_number))
    return await runtime.graduations.roll_back(number, body.reason, meta)


async def graduate_filters(
    user: CurrentUser,
    policy: Policy,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    stage: Annotated[str | None, Query(pattern="^[123]$")] = None,
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    admitted: bool | None = None,  # 招生状态: already admitted by a school of the next stage
) -> tuple[dict, list[str] | None]:
    if school_code:
        policy.ensure_sees(user, school_code)
    filters = {"year": year, "stage": stage, "school_code": school_code, "kind": kind}
    filters |= {"name": name, "student_number": student_number, "admitted": admitted}
    return filters, policy.school_filter(user)


GraduateFilters = Annotated[tuple[dict, list[str] | None], Depends(graduate_filters)]


@router.get("/graduates")
async def list_graduates(
    runtime: Runtime,
    q: GraduateFilters,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """GRD-4 毕业生查询: by graduation year, stage, school, kind, name or number."""
    filters, schools = q
    return await runtime.graduations.graduates(filters, schools, page, page_size)


@router.get("/graduates/export")
async def export_graduates(
    runtime: Runtime, q: GraduateFilters, export: PersonalExport
) -> Response:
    """GRD-4 as Excel; SEC-4: a second account of the unit confirms."""
    filters, schools = q
    data = await runtime.graduations.export(filters, schools, export)
    return attachment(data, "毕业生查询导出.xlsx", excel.XLSX)


@router.post("/promotions")
async def run_promotion(runtime: Runtime, meta: Meta, _: ProvinceSysadmin) -> dict:
    """GRD-3: runs (or resumes) the promotion due by the province's promotion day."""
    return await runtime.promotions.run(meta)


@router.get("/promotions")
async def promotion_progress(runtime: Runtime, _: CurrentUser) -> dict:
    """GRD-3: the last promotion's progress (records walked, moved up, stayed)."""
    return await runtime.promotions.progress()
