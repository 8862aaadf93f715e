"""学籍异动 and 省内转学 (API.md "Applications"; SPEC CHG-1…CHG-5): one resource for both.

`POST /applications` applies; the chain's units decide through `/{id}/decisions`; the applying
school revokes or escalates (强制干预). Lists answer from the `applications` view within the
caller's jurisdiction; what awaits the caller is the one pending list.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.ids import parse_student_number
from projections import excel
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import process_routes
from province_node.api.registrations import decoded_proof
from province_node.applications import ApplicationForm, sides
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(max_length=30)
    student_number: str = Field(max_length=19)
    student_name: str | None = Field(default=None, max_length=60)
    date: dt.date | None = None  # a status change's 异动日期 (required there)
    reason: str = Field(min_length=1, max_length=500)
    #: key data change: field → new value (`name`, `sex`, `birth_date`, `id_type`, …)
    changes: dict[str, str | None] | None = Field(default=None, max_length=10)
    note: str | None = Field(default=None, max_length=500)
    target_class_code: str | None = Field(default=None, max_length=7)
    #: Proof material as base64 (JPG/PNG ≤ 2 MB; required for an in-province transfer).
    proof: str | None = Field(default=None, max_length=4_000_000)


@router.post("", status_code=201)
async def apply(body: ApplicationIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """CHG-1/CHG-4: the school registrar applies (a transfer: the transfer-in school)."""
    number = str(parse_student_number(body.student_number))
    form = ApplicationForm(
        **body.model_dump(exclude={"proof", "student_number"}),
        student_number=number,
        proof=decoded_proof(body.proof),
    )
    return await runtime.applications.apply(form, meta)


@router.get("/pending")
async def pending_applications(runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
    """Every application on the approval engine awaiting the caller (registrations have
    their own list, `GET /registrations/pending`)."""
    items = [i for i in await runtime.pending.items(meta) if i["type"] != "registration"]
    return {"items": items, "total": len(items)}


async def application_filters(
    user: CurrentUser,
    policy: Policy,
    type: Annotated[list[str], Query(max_length=12)] = [],  # noqa: B006 - FastAPI copies it
    status: Annotated[str | None, Query(max_length=20)] = None,
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> tuple[dict, list[str] | None]:
    """The query's filters and the schools of the caller's jurisdiction (None: all)."""
    if school_code:
        policy.ensure_sees(user, school_code)
    filters = {"types": type, "status": status, "school_code": school_code, "name": name}
    filters |= {"student_number": student_number}
    filters |= {"date_from": date_from and date_from.isoformat()}
    filters |= {"date_to": date_to and date_to.isoformat()}
    return filters, policy.school_filter(user)


Filters = Annotated[tuple[dict, list[str] | None], Depends(application_filters)]


@router.get("")
async def list_applications(
    runtime: Runtime,
    q: Filters,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """异动查询 / 转学查询: by type, status, school, date range, name or number."""
    filters, schools = q
    return await runtime.applications.search(filters, schools, page, page_size)


@router.get("/export")
async def export_applications(runtime: Runtime, q: Filters, export: PersonalExport) -> Response:
    """[004 Q77] the results as Excel, by type; SEC-4: a second account confirms."""
    filters, schools = q
    data = await runtime.applications.export(filters, schools, export)
    return attachment(data, "学籍异动查询导出.xlsx", excel.XLSX)


#: The application, when the caller sees the applying or the original school.
InSight = process_routes(router, path="", param="application_id", service="applications",
                         what="该异动申请", units=sides, read=False, resubmit=True)  # fmt: skip


@router.get("/{application_id}")
async def get_application(runtime: Runtime, application: InSight) -> dict:
    """State, chain, decisions and every event of the application (who, when, opinion)."""
    return application | {"step_due": await runtime.applications.due(application)}


@router.post("/{application_id}/escalate")
async def escalate(application_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """CHG-5 强制干预: an overdue bureau step goes straight to the province."""
    return await runtime.applications.escalate(application_id, meta)
