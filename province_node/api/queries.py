"""Queries 综合查询 (QRY-1, QRY-2, QRY-6) and the Excel export, answered from the read models.

Every query waits (briefly) for the views to reach the log's end as it was when the request
arrived, so a caller sees its own writes; the caller's jurisdiction always narrows the rows.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import Connection

from contracts.codes import StudentStatus
from contracts.errors import ContractError, NotFound
from contracts.queries import Dimension, Flag
from projections import excel
from projections.queries import Join, StudentQuery, fields, rows, search
from province_node.api.deps import Runtime
from province_node.views.registrations import summary
from xueji.access import reads
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser, Policy, ProvinceSysadmin
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session
from xueji.http import attachment

router = APIRouter(prefix="/api/v1", tags=["queries"])
EXPORT_LIMIT = 100_000


async def student_query(
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    region: Annotated[str | None, Query(max_length=10)] = None,
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    grade: Annotated[str | None, Query(max_length=30)] = None,
    class_code: Annotated[str | None, Query(max_length=7)] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    id_number: Annotated[str | None, Query(max_length=40)] = None,
    has_photo: bool | None = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    cond: Annotated[list[str], Query(max_length=40)] = [],  # noqa: B006 - FastAPI copies it
    sort: Annotated[str, Query(max_length=40)] = "student_number",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> StudentQuery:
    """QRY-1's filters; `cond=field:op:value` (repeatable) adds custom conditions."""
    if school_code:
        policy.ensure_sees(user, school_code)
    equals = {"school_code": school_code, "grade": grade, "class_code": class_code}
    equals |= {"student_number": student_number, "id_number": id_number, "has_photo": has_photo}
    asked = equals | {"region": region, "name": name, "status": status, "cond": cond}
    await runtime.access.record_read(user, reads.SEARCH, student_number, asked)
    return StudentQuery(
        schools=policy.school_filter(user, region),
        statuses=[status] if status else None,
        equals=equals,
        name=name,
        conds=cond,
        sort=sort,
        page=page,
        page_size=page_size,
    )


Filters = Annotated[StudentQuery, Depends(student_query)]


@router.get("/students")
async def list_students(runtime: Runtime, q: Filters) -> dict:
    """QRY-1 在校生查询: enrolled students unless `status` says otherwise."""
    q.statuses = q.statuses or [StudentStatus.ENROLLED.value]
    views = runtime.views
    await views.caught_up()
    return await views.read(search, views.view("students").table("students"), q)


@router.get("/students/info")
async def student_info(runtime: Runtime, q: Filters) -> dict:
    """QRY-2 学生信息查询: every status (deleted, graduated …) with the registration and its
    problem-record state."""
    views = runtime.views
    await views.caught_up()
    students = views.view("students").table("students")
    registrations = views.view("registrations").table("registrations")
    join = Join(
        students.outerjoin(registrations, students.c.registration_id == registrations.c.id),
        [
            registrations.c.status.label("registration_status"),
            registrations.c.problem_record_id,
            registrations.c.auth_reason,
        ],
    )
    result = await views.read(search, students, q, join)
    for item in result["items"]:
        item["has_problem_record"] = item["problem_record_id"] is not None
    return result


@router.get("/students/export")
async def export_students(
    runtime: Runtime,
    q: Filters,
    export: PersonalExport,
    columns: Annotated[str, Query(max_length=2000)],
) -> Response:
    """QRY-1 export with chosen columns; SEC-4: a second account of the unit confirms with
    its password (headers `X-Export-Confirmer`, `X-Export-Confirmer-Password`); the export is
    recorded with its filters and row count before the file leaves."""
    views = runtime.views
    table = views.view("students").table("students")
    chosen = [c.strip() for c in columns.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in fields(table)]
    if not chosen or unknown:
        raise ContractError("columns", "unknown_field", f"未知的导出列 {','.join(unknown)}")
    q.statuses = q.statuses or [StudentStatus.ENROLLED.value]
    await views.caught_up()
    found = await views.read(rows, table, q, chosen, EXPORT_LIMIT)
    await export.record(chosen, len(found), f"学生信息导出: {','.join(chosen)}")
    data = await asyncio.to_thread(excel.workbook, chosen, found)  # seconds for 100,000 rows
    return attachment(data, "在校生查询导出.xlsx", excel.XLSX)


@router.get("/statistics/students")
async def student_statistics(
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    by: Dimension,
    region: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 - FastAPI copies it
    flag: Flag | None = None,
) -> dict:
    """QRY-6: counts of the caller's jurisdiction (or a unit of it) by one dimension, of the
    flagged records only if `flag` is given (migrant, left-behind, special education)."""
    schools = policy.school_filter(user, region)
    return await runtime.statistics.count(by, schools, status, flag)


async def registrations_in_sight(
    runtime: Runtime, policy: AccessPolicy, user: Session, status: str | None
) -> list:
    """`GET /registrations?status=`: every registration of the jurisdiction, closed too."""
    views = runtime.views
    schools = policy.school_filter(user)
    await views.caught_up()
    table = views.view("registrations").table("registrations")

    def select_rows(connection: Connection) -> list[dict]:
        statement = table.select().order_by(table.c.submitted_at, table.c.id)
        if schools is not None:
            statement = statement.where(table.c.school_code.in_(schools))
        if status:
            statement = statement.where(table.c.status == status)
        return [summary(dict(r)) for r in connection.execute(statement).mappings()]

    return await views.read(select_rows)


@router.get("/views")
async def view_positions(runtime: Runtime, user: CurrentUser) -> dict:
    """Each read model's position in the log and its lag (log max id − position)."""
    return {"items": await asyncio.to_thread(runtime.views.lags)}


@router.post("/admin/views/{name}/rebuild")
async def rebuild_view(name: str, runtime: Runtime, _: ProvinceSysadmin) -> dict:
    """AUD-3 on a running node: a province sysadmin drops a view and rebuilds it from the log
    (on the views' writer thread, between two batches of the projector)."""
    if name not in runtime.views.projectors:
        raise NotFound(f"查询视图 {name} 不存在", field="name")
    events = await runtime.views.writer(runtime.views.rebuild, name)
    return {"view": name, "events": events} | runtime.views.lags()[name]
