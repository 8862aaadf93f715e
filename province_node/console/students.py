"""综合查询 → 在校生查询: query, export with a second account (SEC-4), detail and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.errors import Forbidden
from contracts.ids import parse_student_number
from province_node.console import read_model
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors

router = APIRouter(prefix="/students", route_class=ConsoleRoute, include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "") for k in read_model.FILTERS}


@router.get("")
async def query(request: Request, user: User) -> Response:
    filters = _filters(request)
    searched = any(filters.values())
    result = await read_model.search(request.app.state.runtime, user, filters)
    return console_of(request).page(
        request,
        "students.html",
        title="在校生查询",
        filters=filters,
        result=result,
        searched=searched,
        errors={},
    )


@router.post("/export")
async def export(
    request: Request,
    user: User,
    confirm_username: Annotated[str, Form(max_length=64)] = "",
    confirm_password: Annotated[str, Form(max_length=128)] = "",
    purpose: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """SEC-4: a second account of the same unit confirms with its password, then export."""
    form = await request.form()
    filters = {k: str(form.get(k, "")) for k in read_model.FILTERS}
    runtime, errors = request.app.state.runtime, {}
    for key, text in (
        ("confirm_username", "请输入本单位另一账号"),
        ("confirm_password", "请输入该账号的密码"),
        ("purpose", "请填写导出用途"),
    ):
        if not str(form.get(key, "")).strip():
            errors[key] = text
    if not errors:
        try:
            await runtime.access.confirm_export(
                user, confirm_username.strip(), confirm_password, purpose.strip()
            )
        except Exception as refused:  # noqa: BLE001 - shown in the dialog
            errors = field_errors(refused)
            if "password" in errors:
                errors["confirm_password"] = errors.pop("password")
            if "" in errors:
                errors["confirm_username"] = errors.pop("")
    if not errors:
        data = await read_model.export(runtime, user, filters)
        if data is not None:
            return Response(
                data,
                media_type=XLSX,
                headers={"Content-Disposition": "attachment; filename*=UTF-8''students.xlsx"},
            )
    result = await read_model.search(runtime, user, filters)
    return console_of(request).page(
        request,
        "students.html",
        title="在校生查询",
        filters=filters,
        result=result,
        searched=True,
        errors=errors,
        export_open=bool(errors),
        notice=None if errors else "导出已由第二账号确认；Excel 导出将随学生读模型上线，暂不可用。",
    )


@router.get("/{student_number}")
async def detail(request: Request, user: User, student_number: str) -> Response:
    runtime = request.app.state.runtime
    number = str(parse_student_number(student_number))
    record = await runtime.writer(runtime.node.student, number)
    if not runtime.org.is_within(record["school_code"], user.unit_code):
        raise Forbidden("不在本单位管辖范围内", code="outside_jurisdiction")
    history = await runtime.writer(runtime.node.student_history, number)
    return console_of(request).page(
        request,
        "student_detail.html",
        title=f"学生信息：{record['name']}",
        s=record,
        school=runtime.org.unit(record["school_code"]).name,
        history=history,
    )
