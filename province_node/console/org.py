"""学校管理 pages (学校信息, 学校变更, 区划变更): ORG-1, ORG-2, ORG-4.

The pages call the use cases the JSON API calls (`runtime.org_changes`): the change files
with their template and a per-row result, the confirmation of the selected changes, the
school profile with the fields the caller's unit keeps.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import ContractError
from province_node.domain import region_change as rc
from province_node.domain.school import FIELDS, PROFILE_FIELDS
from xueji.access.guards import (
    BureauRegistrar,
    OrgEditor,
    Policy,
    ProvinceOrg,
    SchoolInSight,
    SchoolRegistrar,
)
from xueji.access.policy import PROVINCE_ORG
from xueji.console.kit import (
    ConsoleRoute,
    User,
    console_of,
    field_errors,
    form_errors,
    meta_of,
)
from xueji.http import attachment

router = APIRouter(prefix="/org", route_class=ConsoleRoute, include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 2**20
STATES = [("", "全部")] + list(rc.STATE_LABELS.items())
KINDS = {"regions": "区划变更", "schools": "学校变更"}


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(request, template, status=status, **context)


def _download(data: bytes, name: str) -> Response:
    return attachment(data, name, XLSX)


def _year(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) == 4 else None


# --- 学校信息 (ORG-4) ---------------------------------------------------------------------------


@router.get("/schools")
async def schools(request: Request, user: User, policy: Policy) -> Response:
    """学校信息: the schools of the caller's jurisdiction, revoked ones too (已撤销)."""
    listed = await request.app.state.runtime.schools.schools()
    items = [s for s in listed if policy.sees(user, s["school_code"])]
    return _page(request, "org_schools.html", title="学校信息", items=items)


async def _school_page(request: Request, user, school_code: str, status: int = 200, **extra):
    runtime = request.app.state.runtime
    profile = await runtime.org_changes.profile_for(school_code, user.unit_code)
    context = {"errors": {}, "done": "", "values": {}} | extra
    return _page(request, "org_school.html", status, title="学校基本信息", school=profile,
                 fields=PROFILE_FIELDS, **context)  # fmt: skip


@router.get("/schools/{school_code}")
async def school(request: Request, user: User, school_code: SchoolInSight) -> Response:
    return await _school_page(request, user, school_code)


@router.post("/schools/{school_code}")
async def school_edit(request: Request, user: OrgEditor, school_code: SchoolInSight) -> Response:
    """Saves the fields the caller's unit keeps; a refusal is shown next to its field."""
    posted = await request.form()
    changes: dict[str, object] = {}
    for key in posted:
        if key in FIELDS:
            spec = FIELDS[key]
            values = [str(v) for v in posted.getlist(key)]
            changes[key] = values if spec.kind == "choices" else values[0]
    if "attached_classes_present" in posted and "attached_classes" not in changes:
        changes["attached_classes"] = []  # every box unticked
    try:
        result = await request.app.state.runtime.org_changes.edit_profile(
            school_code, changes, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - next to its field
        errors = field_errors(refused)
        return await _school_page(request, user, school_code, 422, errors=errors, values=changes)
    done = "已保存" if result["changed"] else "没有修改的信息项"
    return await _school_page(request, user, school_code, done=done)


# --- 学校变更 (ORG-2) and 区划变更 (ORG-1) -------------------------------------------------------


async def _changes_page(request: Request, user, kind: str, status: int = 200, **extra):
    runtime = request.app.state.runtime
    params = request.query_params
    filters = {"year": params.get("year", ""), "state": params.get("state", "")}
    year, state = _year(filters["year"]), filters["state"] or None
    if state not in (None, *rc.STATE_LABELS):
        state = None
    if kind == "regions":
        items = await runtime.org_changes.region_changes(year, state)
    else:
        policy = runtime.access.policy
        items = await runtime.org_changes.school_changes(
            lambda unit: policy.sees(user, unit), year, state
        )
    context = {"result": None, "error": "", "done": ""} | extra
    return _page(request, "org_changes.html", status, title=KINDS[kind], kind=kind, items=items,
                 filters=filters, states=STATES, can_import=PROVINCE_ORG.allows(user),
                 **context)  # fmt: skip


@router.get("/regions")
async def regions(request: Request, user: ProvinceOrg) -> Response:
    """区划变更 (行政区划变动管理): the province's changes, import, 确认变动."""
    return await _changes_page(request, user, "regions")


@router.get("/school-changes")
async def school_changes(request: Request, user: OrgEditor) -> Response:
    """学校变更 (学校变动管理): the changes of the caller's jurisdiction; its own to confirm."""
    return await _changes_page(request, user, "schools")


@router.get("/regions/template")
async def region_template(request: Request, user: ProvinceOrg) -> Response:
    return _download(request.app.state.runtime.org_changes.region_template(), "区划变更模板.xlsx")


@router.get("/school-changes/template")
async def school_template(request: Request, user: User) -> Response:
    return _download(request.app.state.runtime.org_changes.school_template(), "学校变更模板.xlsx")


async def _import(request: Request, user, kind: str, file: UploadFile | None) -> Response:
    if file is None or not file.filename:
        missing = "请选择要导入的 Excel 文件（.xlsx）"
        return await _changes_page(request, user, kind, 422, error=missing)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    service = request.app.state.runtime.org_changes
    load = service.import_regions if kind == "regions" else service.import_schools
    try:
        result = await load(data, file.filename, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - the file's problems, row by row
        problems = getattr(refused, "errors", None) or [
            {"row": 0, "field": "", "message": next(iter(field_errors(refused).values()))}
        ]
        message = next(iter(field_errors(refused).values()))
        return await _changes_page(request, user, kind, 422, error=message, problems=problems)
    return await _changes_page(request, user, kind, result=result)


@router.post("/regions/import")
async def region_import(request: Request, user: ProvinceOrg, file: UploadFile | None = None):
    return await _import(request, user, "regions", file)


@router.post("/school-changes/import")
async def school_import(request: Request, user: ProvinceOrg, file: UploadFile | None = None):
    return await _import(request, user, "schools", file)


async def _confirm(request: Request, user, kind: str) -> Response:
    ids = [str(i) for i in (await request.form()).getlist("ids")][:500]
    if not ids:
        return await _changes_page(request, user, kind, 422, error="请选择要确认的变更")
    service = request.app.state.runtime.org_changes
    confirm = service.confirm_regions if kind == "regions" else service.confirm_schools
    try:
        result = await confirm(ids, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - said above the list
        message = next(iter(field_errors(refused).values()))
        return await _changes_page(request, user, kind, 409, error=message)
    waiting = sum(1 for i in result["items"] if i["state"] == "confirmed")
    done = f"已确认 {len(ids)} 条变更" + (
        f"，其中 {waiting} 条撤销待其下无学生、无在办业务后自动处理完毕" if waiting else ""
    )
    return await _changes_page(request, user, kind, done=done)


@router.post("/regions/confirm")
async def region_confirm(request: Request, user: ProvinceOrg) -> Response:
    return await _confirm(request, user, "regions")


@router.post("/school-changes/confirm")
async def school_confirm(request: Request, user: OrgEditor) -> Response:
    return await _confirm(request, user, "schools")


# --- 学生学籍转移 / 学籍转入确认 (ORG-3) -------------------------------------------------------


async def _migrations_page(request: Request, user, status: int = 200, **extra) -> Response:
    runtime = request.app.state.runtime
    policy = runtime.access.policy
    items = await runtime.migrations.listing(lambda unit: policy.sees(user, unit))
    schools = [s for s in await runtime.schools.schools() if policy.sees(user, s["school_code"])]
    context = {"errors": {}, "values": {}, "done": ""} | extra
    return _page(request, "org_migrations.html", status, title="学生学籍转移", items=items,
                 sources=[s for s in schools if s["state"] == "revoking"],
                 targets=[s for s in schools if s["state"] == "active"], **context)  # fmt: skip


@router.get("/migrations")
async def migrations(request: Request, user: BureauRegistrar) -> Response:
    """学生学籍转移: the common superior moves classes or students of a school being revoked."""
    return await _migrations_page(request, user)


def _words(raw: str) -> list[str]:
    return [w for w in raw.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if w]


@router.post("/migrations")
async def migration_start(
    request: Request,
    user: BureauRegistrar,
    policy: Policy,
    from_school: Annotated[str, Form(max_length=10)] = "",
    to_school: Annotated[str, Form(max_length=10)] = "",
    class_codes: Annotated[str, Form(max_length=1000)] = "",
    student_numbers: Annotated[str, Form(max_length=20000)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    values = {"from_school": from_school, "to_school": to_school, "class_codes": class_codes,
              "student_numbers": student_numbers, "note": note}  # fmt: skip
    try:
        if not from_school or not to_school:
            raise ContractError("from_school", "school_required", "请选择转出学校和转入学校")
        policy.ensure_sees(user, from_school)
        policy.ensure_sees(user, to_school)
        started = await request.app.state.runtime.migrations.start(
            from_school, to_school, _words(class_codes), [],
            [n.upper() for n in _words(student_numbers)], note.strip(), meta_of(user),
        )  # fmt: skip
    except Exception as refused:  # noqa: BLE001 - next to its field
        errors = form_errors(refused, tuple(values))
        return await _migrations_page(request, user, 422, errors=errors, values=values)
    done = f"已保存学籍转移：{len(started['items'])}名学生，待转入学校确认"
    return await _migrations_page(request, user, done=done)


async def _incoming_page(request: Request, user, status: int = 200, **extra) -> Response:
    runtime = request.app.state.runtime
    policy = runtime.access.policy
    sees = lambda unit: policy.sees(user, unit)  # noqa: E731
    items = await runtime.migrations.listing(sees, pending_for=user.unit_code)
    classes = await runtime.schools.classes(user.unit_code)
    context = {"error": "", "done": ""} | extra
    return _page(request, "org_incoming.html", status, title="学籍转入确认", items=items,
                 classes=classes, **context)  # fmt: skip


@router.get("/migrations/incoming")
async def incoming(request: Request, user: SchoolRegistrar) -> Response:
    """学籍转入确认: the students awaiting the school, confirmed into a class or refused."""
    return await _incoming_page(request, user)


@router.post("/migrations/{migration_id}/decision")
async def incoming_decide(
    request: Request,
    user: SchoolRegistrar,
    migration_id: UUID,
    accept: Annotated[str, Form()] = "",
    class_code: Annotated[str, Form(max_length=7)] = "",
    opinion: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    numbers = [str(n) for n in (await request.form()).getlist("student_numbers")][:2000]
    try:
        if not numbers:
            raise ContractError("student_numbers", "no_students", "请选择学生")
        await request.app.state.runtime.migrations.decide(
            migration_id, numbers, accept == "1", class_code or None, opinion.strip() or None,
            meta_of(user),
        )  # fmt: skip
    except Exception as refused:  # noqa: BLE001 - said above the list
        return await _incoming_page(
            request, user, 409, error=next(iter(field_errors(refused).values()))
        )
    done = (
        f"已确认转入 {len(numbers)} 名学生"
        if accept == "1"
        else f"已拒绝转入 {len(numbers)} 名学生"
    )
    return await _incoming_page(request, user, done=done)
