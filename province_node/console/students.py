"""综合查询 → 在校生查询 (QRY-1), 学生信息查询 (QRY-2): query, page, export with a second
account (SEC-4), detail and history."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.codes import Level
from contracts.errors import ContractError, DomainError
from contracts.ids import parse_student_number
from province_node.console import read_model
from province_node.domain.profile import (
    FIELDS,
    RELATIONS,
    SPECIAL_FIELDS,
    visible_fields,
)
from xueji.access import reads
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.console.kit import (
    ConsoleRoute,
    User,
    console_of,
    field_errors,
    form_errors,
    meta_of,
)
from xueji.http import attachment

router = APIRouter(prefix="/students", route_class=ConsoleRoute, include_in_schema=False)

SECOND_ACCOUNT = (
    ("confirm_username", "请输入本单位另一账号"),
    ("confirm_password", "请输入该账号的密码"),
    ("purpose", "请填写导出用途"),
)


def _regions(runtime, user: User) -> list[tuple[str, str]]:
    """The bureaus of the caller's jurisdiction (region filter), the caller's own first."""
    bureaus = runtime.access.policy.units(user, Level.PROVINCE, Level.CITY, Level.COUNTY)
    return [(u.code, u.name) for u in bureaus]  # the tree lists a unit before those below it


async def _page(request: Request, user: User, params, info: bool, **context) -> Response:
    runtime = request.app.state.runtime
    filters = {k: str(params.get(k, "")).strip() for k in read_model.FILTERS}
    typed, conds = read_model.conditions(params)
    page = str(params.get("page", "1"))
    errors = context.pop("errors", {})
    try:
        result = await read_model.search(
            runtime, user, filters, conds, min(int(page), 10**6) if page.isdigit() else 1, info
        )
    except (ContractError, DomainError) as refused:
        errors = field_errors(refused) | errors
        result = read_model.Result()
    kept = {k: v for k, v in filters.items() if v}
    kept |= {f"c{i}_{k}": v for i, row in enumerate(typed) for k, v in row.items() if v}
    base = "/students/info" if info else "/students"
    return console_of(request).page(
        request,
        "students.html",
        status=422 if errors and not context.get("export_open") else 200,
        title="学生信息查询" if info else "在校生查询",
        info=info,
        base=base,
        filters=filters,
        conditions=typed,
        result=result,
        errors=errors,
        page_link=lambda n: f"{base}?{urlencode(kept | {'page': n})}",
        hidden=kept,
        regions=_regions(runtime, user),
        fields=read_model.condition_fields(runtime),
        operators=read_model.OPERATORS,
        statuses=read_model.STATUSES,
        columns=read_model.column_choices(),
        chosen=context.pop("chosen", list(read_model.DEFAULT_COLUMNS)),
        **context,
    )


@router.get("")
async def query(request: Request, user: User) -> Response:
    return await _page(request, user, request.query_params, info=False)


@router.get("/info")
async def info(request: Request, user: User) -> Response:
    return await _page(request, user, request.query_params, info=True)


@router.post("/export")
async def export(request: Request, user: User) -> Response:
    """SEC-4: a second account of the same unit confirms with its password, then export."""
    form = await request.form()
    runtime, info = request.app.state.runtime, form.get("scope") == "info"
    values = {k: str(form.get(k, ""))[:200].strip() for k, _ in SECOND_ACCOUNT}
    errors = {k: text for k, text in SECOND_ACCOUNT if not values[k]}
    chosen = [str(c) for c in form.getlist("columns")]
    try:
        columns = read_model.columns_of(runtime, chosen)
    except ContractError as refused:
        errors |= field_errors(refused)
    filters = {k: str(form.get(k, "")) for k in read_model.FILTERS}
    conds = read_model.conditions(form)[1]
    asked = {k: v for k, v in filters.items() if v} | ({"cond": conds} if conds else {})
    if not errors:
        try:
            export = await runtime.access.confirm_personal_export(
                user, values["confirm_username"], values["confirm_password"], asked
            )
        except Exception as refused:  # noqa: BLE001 - shown in the dialog
            errors = field_errors(refused)
            if "password" in errors:
                errors["confirm_password"] = errors.pop("password")
            if "" in errors:
                errors["confirm_username"] = errors.pop("")
    if errors:
        return await _page(
            request,
            user,
            form,
            info,
            errors=errors,
            export_open=True,
            chosen=chosen or list(read_model.DEFAULT_COLUMNS),
        )
    data, count = await read_model.export(runtime, user, filters, conds, columns, info)
    await export.record(columns, count, f"{values['purpose']}（{','.join(columns)}）")
    name = "学生信息查询导出.xlsx" if info else "在校生查询导出.xlsx"
    return attachment(data, name, read_model.excel.XLSX)


@router.get("/{student_number}")
async def detail(request: Request, user: User, policy: Policy, student_number: str) -> Response:
    runtime = request.app.state.runtime
    number = str(parse_student_number(student_number))
    load = functools.partial(runtime.students.record, number)
    record = await policy.record_in_sight(user, load, f"学籍号 {number} 的学生", "student_number")
    await runtime.access.record_read(user, reads.RECORD, number)
    history = await runtime.students.history(number)
    return console_of(request).page(
        request,
        "student_detail.html",
        title=f"学生信息：{record['name']}",
        s=record,
        school=runtime.org.unit(record["school_code"]).name,
        history=history,
        profile_groups=profile_groups(record),
        can_edit=SCHOOL_REGISTRAR.allows(user) and policy.acts_for(user, record["school_code"]),
    )


def profile_groups(record: dict) -> list[tuple[str, list[dict]]]:
    """DAY-1: the record's fields as the form groups them, with their values."""
    groups: dict[str, list[dict]] = {}
    for field in visible_fields(record["id_type"]):
        value = record["profile"].get(field.key)
        groups.setdefault(field.group, []).append({"field": field, "value": value})
    return list(groups.items())


@router.get("/{student_number}/edit")
async def edit_form(request: Request, user: SchoolRegistrar, policy: Policy,
                    student_number: str) -> Response:  # fmt: skip
    """学籍数据维护 (DAY-1…DAY-7): the school's form of the record's non-key fields."""
    return await _edit_page(request, user, policy, student_number)


async def _edit_page(request: Request, user, policy, student_number: str, status: int = 200,
                     **context) -> Response:  # fmt: skip
    runtime = request.app.state.runtime
    number = str(parse_student_number(student_number))
    load = functools.partial(runtime.students.record, number)
    record = await policy.record_in_sight(user, load, f"学籍号 {number} 的学生", "student_number")
    context = {"errors": {}, "done": None} | context
    return console_of(request).page(
        request, "student_edit.html", status=status, title=f"学籍数据维护：{record['name']}",
        s=record, profile_groups=profile_groups(record), special=SPECIAL_CHOICES,
        relations=RELATIONS, **context,
    )  # fmt: skip


@router.post("/{student_number}/edit")
async def edit_save(request: Request, user: SchoolRegistrar, policy: Policy,
                    student_number: str) -> Response:  # fmt: skip
    posted = await request.form()
    runtime = request.app.state.runtime
    number = str(parse_student_number(student_number))
    try:
        record = await runtime.students.record(number)
        changes = form_changes(posted, record)
        await runtime.students.edit(number, changes, str(posted.get("reason") or "") or None,
                                    meta_of(user))  # fmt: skip
    except Exception as refused:  # noqa: BLE001 - next to its field, or on the form
        shown = {f.key for f in FIELDS.values()} | {"reason"}
        shown |= {f"special_needs.{k}" for k in (*SPECIAL_CHOICES, "certificate_number",
                                                  "description")}  # fmt: skip
        return await _edit_page(request, user, policy, number, 422,
                                errors=form_errors(refused, shown))  # fmt: skip
    return await _edit_page(request, user, policy, number, done="已保存")


SPECIAL_CHOICES = {f.key: (f.label, f.choices) for f in SPECIAL_FIELDS if f.kind == "choice"}


def form_changes(posted, record: dict) -> dict:
    """The form's values in the API's shape (empty = cleared); the domain checks them."""
    changes: dict = {}
    for field in visible_fields(record["id_type"]):
        key = field.key
        if field.kind == "bool":
            raw = str(posted.get(key) or "")
            changes[key] = {"1": True, "0": False}.get(raw)
        elif field.kind == "number":
            raw = str(posted.get(key) or "").strip()
            try:
                changes[key] = float(raw) if raw else None
            except ValueError:
                raise ContractError(key, "bad_value", f"“{field.label}”须为数字") from None
        elif key == "special_needs":
            block = {k: str(posted.get(f"sn_{k}") or "").strip() or None
                     for k in (*SPECIAL_CHOICES, "certificate_number", "description")}  # fmt: skip
            changes[key] = {k: v for k, v in block.items() if v} or None
        elif key == "family_members":
            changes[key] = _members(posted)
        elif field.kind in ("text", "choice", "month"):
            changes[key] = str(posted.get(key) or "").strip() or None
    profile = record["profile"]
    return {k: v for k, v in changes.items() if profile.get(k) != v}


def _members(posted) -> list[dict]:
    names, relations = posted.getlist("fm_name"), posted.getlist("fm_relation")
    phones, units = posted.getlist("fm_phone"), posted.getlist("fm_work_unit")
    guardians = set(posted.getlist("fm_guardian"))
    members = []
    for index, name in enumerate(names):
        if not str(name).strip():
            continue
        member = {"name": str(name).strip(), "relation": str(relations[index]),
                  "phone": str(phones[index]).strip() or None,
                  "work_unit": str(units[index]).strip() or None,
                  "guardian": str(index) in guardians}  # fmt: skip
        members.append({k: v for k, v in member.items() if v is not None})
    return members or None
