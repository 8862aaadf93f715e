"""控辍保学 (API.md "Dropout control"; SPEC DRP-1…DRP-5).

`POST /dropouts` records a student as suspected or dropped out; `/{id}/confirm` marks a
suspected case dropped out; `/{id}/measures` adds a measure and `PATCH …/measures/{n}` corrects
one; `/{id}/return` applies for the return (from a suspected case it closes at once). The
returns of dropped-out students climb the SYS-1 chain `dropout_return`: the current step's unit
decides one (`/dropouts/returns/{id}/decisions`) or several (`/dropouts/returns/decisions`).
Lists answer from the `dropouts` view within the caller's jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.ids import parse_student_number
from projections import excel
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import DecisionIn, process_routes
from province_node.dropouts import DropoutForm, ReturnForm
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser, Policy, Registrar, SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/dropouts", tags=["dropouts"])


class DropoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_number: str = Field(max_length=19)
    student_name: str | None = Field(default=None, max_length=60)
    kind: str = Field(max_length=20)  # suspected | dropped_out
    date: dt.date | None = None  # 疑似辍学日期 / 辍学日期
    note: str | None = Field(default=None, max_length=500)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None  # 辍学日期
    note: str | None = Field(default=None, max_length=500)


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str | None = Field(default=None, max_length=100)  # 处理单位
    person: str | None = Field(default=None, max_length=60)  # 处理人
    measure: str | None = Field(default=None, max_length=1000)  # 具体措施
    time: str | None = Field(default=None, max_length=30)  # 处理时间
    result: str | None = Field(default=None, max_length=1000)  # 处理结果


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None  # 返校日期
    grade: str | None = Field(default=None, max_length=20)  # 返校年级 (optional: the class's)
    class_code: str | None = Field(default=None, max_length=7)  # 返校班级
    note: str | None = Field(default=None, max_length=500)  # 返校说明


class BatchDecisionIn(DecisionIn):
    ids: list[UUID] = Field(max_length=500)


@router.post("", status_code=201)
async def record(body: DropoutIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """DRP-1: the school registrar records one of its students as suspected or dropped out."""
    number = str(parse_student_number(body.student_number))
    form = DropoutForm(number, body.kind, body.date, body.note, body.student_name)
    return await runtime.dropouts.record(form, meta)


async def dropout_filters(
    user: CurrentUser,
    policy: Policy,
    state: Annotated[str | None, Query(pattern="^(open|suspected|dropped_out|finished)$")] = None,
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    grade: Annotated[str | None, Query(max_length=20)] = None,  # 年级名称, e.g. 初中2025级
    class_code: Annotated[str | None, Query(max_length=7)] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> tuple[dict, list[str] | None]:
    """The query's filters and the schools of the caller's jurisdiction (None: all)."""
    if school_code:
        policy.ensure_sees(user, school_code)
    filters = {"state": state, "school_code": school_code, "grade_name": grade}
    filters |= {"class_code": class_code, "name": name, "student_number": student_number}
    filters |= {"date_from": date_from and date_from.isoformat()}
    filters |= {"date_to": date_to and date_to.isoformat()}
    return filters, policy.school_filter(user)


Filters = Annotated[tuple[dict, list[str] | None], Depends(dropout_filters)]


@router.get("")
async def list_dropouts(
    runtime: Runtime,
    q: Filters,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """DRP-5: `state=open` is 控辍保学管理 (in progress); without it, finished cases too."""
    filters, schools = q
    return await runtime.dropouts.search(filters, schools, page, page_size)


@router.get("/export")
async def export_dropouts(runtime: Runtime, q: Filters, export: PersonalExport) -> Response:
    """DRP-5: the current query as Excel; SEC-4: a second account of the unit confirms."""
    filters, schools = q
    data = await runtime.dropouts.export(filters, schools, export)
    return attachment(data, "控辍保学查询导出.xlsx", excel.XLSX)


@router.get("/counts")
async def dropout_counts(runtime: Runtime, user: CurrentUser, policy: Policy) -> dict:
    """Cases by state in the caller's jurisdiction (statistics)."""
    return await runtime.dropouts.counts(policy.school_filter(user))


@router.post("/returns/decisions")
async def decide_batch(body: BatchDecisionIn, runtime: Runtime, meta: Meta) -> dict:
    """DRP-4 batch approval: several returns awaiting the caller decided at once, all or none."""
    items = await runtime.dropouts.decide_many(body.ids, body.approve, body.opinion, meta)
    return {"items": items, "total": len(items)}


process_routes(router, path="/returns", param="return_id", service="dropouts",
               what="该返校申请")  # fmt: skip


async def case_in_sight(case_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy) -> dict:
    load = functools.partial(runtime.dropouts.get, case_id)
    return await policy.record_in_sight(user, load, "该控辍保学记录", "case_id")


InSight = Annotated[dict, Depends(case_in_sight)]


@router.get("/{case_id}")
async def get_case(case: InSight) -> dict:
    """The case, its measures, its return and every event (who, when)."""
    return case


@router.post("/{case_id}/confirm")
async def confirm(
    case_id: UUID, body: ConfirmIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """DRP-2 标记辍学: a suspected case becomes dropped out."""
    return await runtime.dropouts.confirm(case_id, body.date, body.note, meta)


@router.post("/{case_id}/measures", status_code=201)
async def add_measure(
    case_id: UUID, body: MeasureIn, runtime: Runtime, meta: Meta, _: Registrar, case: InSight
) -> dict:
    """DRP-3 采取措施: the school's or a bureau's registrar of the student's jurisdiction."""
    return await runtime.dropouts.add_measure(case_id, body.model_dump(), meta)


@router.patch("/{case_id}/measures/{n}")
async def edit_measure(
    case_id: UUID,
    n: Annotated[int, Path(ge=1, le=10_000)],
    body: MeasureIn,
    runtime: Runtime,
    meta: Meta,
    _: Registrar,
    case: InSight,
) -> dict:
    """DRP-3 修改措施: the fields sent change; the edit is an event with its actor."""
    fields = body.model_dump(exclude_unset=True)
    return await runtime.dropouts.edit_measure(case_id, n, fields, meta)


@router.post("/{case_id}/return", status_code=201)
async def apply_return(
    case_id: UUID, body: ReturnIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """DRP-4 返校申请: from a suspected case at once; from a dropped-out one, for approval."""
    form = ReturnForm(body.date, body.class_code, body.note, body.grade)
    return await runtime.dropouts.apply_return(case_id, form, meta)
