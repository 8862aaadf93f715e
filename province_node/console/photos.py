"""日常管理 → 照片导入 / 照片导出 (ID-7) and the student card 学籍卡 (DAY-6) on the console: the
photo on the record page with its upload form, the card's print view and its .docx."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.codes import Level
from contracts.ids import parse_student_number
from province_node.card import DOCX, KINDS, READS, check_kind
from province_node.photos import READ, ImportScope
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of, redirect
from xueji.http import attachment

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
MAX_ZIP_BYTES = 11 * 2**20
SECOND_ACCOUNT = (
    ("confirm_username", "请输入本单位另一账号"),
    ("confirm_password", "请输入该账号的密码"),
    ("purpose", "请填写导出用途"),
)


async def _record(request: Request, user, policy, student_number: str,
                  read: str | None = None) -> dict:  # fmt: skip
    """The record in the caller's sight; `read`: the read is audited as that (issue 18)."""
    runtime = request.app.state.runtime
    number = str(parse_student_number(student_number))
    load = functools.partial(runtime.students.record, number)
    record = await policy.record_in_sight(user, load, f"学籍号 {number} 的学生", "student_number")
    if read is not None:
        await runtime.access.record_read(user, read, number)
    return record


# --- the photo on the record page -------------------------------------------------------


@router.get("/students/{student_number}/photo")
async def photo(request: Request, user: User, policy: Policy, student_number: str) -> Response:
    record = await _record(request, user, policy, student_number, READ)
    data = await request.app.state.runtime.photos.read(record["student_number"])
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


async def _panel(
    request: Request, user, record: dict, template: str, status: int = 200, **context
) -> Response:
    facts = await request.app.state.runtime.photos.facts(record["student_number"])
    policy = request.app.state.runtime.access.policy
    can_edit = SCHOOL_REGISTRAR.allows(user) and policy.acts_for(user, record["school_code"])
    return console_of(request).page(
        request,
        template,
        status=status,
        s=record,
        has_photo=facts["has_photo"],
        can_edit=can_edit,
        title=f"学生照片：{record['name']}",
        **context,
    )


@router.get("/students/{student_number}/photo-panel")
async def photo_panel(
    request: Request, user: User, policy: Policy, student_number: str
) -> Response:
    """The record page's photo panel (an htmx fragment; a page of its own without htmx)."""
    record = await _record(request, user, policy, student_number)
    htmx = request.headers.get("hx-request") == "true"
    return await _panel(
        request, user, record, "_photo_panel.html" if htmx else "student_photo.html"
    )


@router.post("/students/{student_number}/photo")
async def upload_photo(
    request: Request,
    user: SchoolRegistrar,
    policy: Policy,
    student_number: str,
    photo: UploadFile | None = None,
) -> Response:
    """The school's registrar sets the photo; a refusal is shown next to the upload field."""
    record = await _record(request, user, policy, student_number)
    runtime = request.app.state.runtime
    data = await photo.read() if photo is not None else b""  # within the body limit
    try:
        await runtime.photos.put(record["student_number"], data, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - shown next to the upload field
        error = next(iter(field_errors(refused).values()))
        return await _panel(request, user, record, "student_photo.html", 422, photo_error=error)
    return redirect(request, f"/students/{record['student_number']}#photo")


# --- the student card ---------------------------------------------------------------------


@router.get("/students/{student_number}/card")
async def card(
    request: Request, user: User, policy: Policy, student_number: str, kind: str = "card"
) -> Response:
    """The print view (`@media print` leaves the menu and buttons out)."""
    record = await _record(request, user, policy, student_number, READS[check_kind(kind)])
    content = await request.app.state.runtime.cards.content(record["student_number"], kind)
    return console_of(request).page(
        request, "student_card.html", title=content["title"], c=content, kind=kind, kinds=KINDS
    )


@router.get("/students/{student_number}/card.docx")
async def card_docx(
    request: Request, user: User, policy: Policy, student_number: str, kind: str = "card"
) -> Response:
    record = await _record(request, user, policy, student_number, READS[check_kind(kind)])
    data, name = await request.app.state.runtime.cards.document(record["student_number"], kind)
    return attachment(data, name, DOCX)


# --- 照片导入 / 照片导出 --------------------------------------------------------------------


def _classes(request: Request, school_code: str) -> list[tuple[str, str]]:
    try:
        school = request.app.state.runtime.node.get_school(school_code)
    except Exception:  # noqa: BLE001 - a bureau has no classes of its own
        return []
    return [
        (c["class_code"], f"{c['name']}（{c['class_code']}）")
        for c in sorted(school.classes.values(), key=lambda c: c["class_code"])
    ]


def _import_page(request: Request, user, status: int = 200, **context) -> Response:
    context = {"errors": {}, "result": None, "class_code": ""} | context
    return console_of(request).page(
        request,
        "photo_import.html",
        status=status,
        title="照片导入",
        classes=_classes(request, user.unit_code),
        **context,
    )


@router.get("/photos/import")
async def import_form(request: Request, user: SchoolRegistrar) -> Response:
    return _import_page(request, user)


@router.post("/photos/import")
async def import_zip(
    request: Request,
    user: SchoolRegistrar,
    file: UploadFile | None = None,
    class_code: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    """The zip of the school's (or one class's) photos; a row per file, accepted or why not."""
    if file is None or not file.filename:
        return _import_page(request, user, 422, errors={"file": "请选择照片压缩包（.zip）"})
    data = await file.read(MAX_ZIP_BYTES + 1)
    scope = ImportScope(class_code=class_code.strip() or None)
    try:
        result = await request.app.state.runtime.photos.import_zip(
            data, file.filename, scope, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - the whole zip refused: next to the field
        errors = {"file": next(iter(field_errors(refused).values()))}
        return _import_page(request, user, 422, errors=errors, class_code=class_code)
    return _import_page(request, user, result=result, class_code=class_code)


def _export_page(request: Request, user, status: int = 200, **context) -> Response:
    """The schools in the caller's sight to pick from (a school's registrar: its own)."""
    policy = request.app.state.runtime.access.policy
    schools = [(u.code, f"{u.name}（{u.code}）") for u in policy.units(user, Level.SCHOOL)]
    values = {"school_code": schools[0][0] if schools else "", "class_code": ""}
    context = {"errors": {}, "values": values} | context
    school = context["values"]["school_code"]
    return console_of(request).page(
        request,
        "photo_export.html",
        status=status,
        title="照片导出",
        schools=schools,
        classes=_classes(request, school) if len(schools) == 1 else [],
        **context,
    )


@router.get("/photos/export")
async def export_form(request: Request, user: User) -> Response:
    return _export_page(request, user)


@router.post("/photos/export")
async def export(request: Request, user: User, policy: Policy) -> Response:
    """SEC-4: another account of the unit confirms with its password; then the zip."""
    form = await request.form()
    names = ("school_code", "class_code", *(k for k, _ in SECOND_ACCOUNT))
    values = {k: str(form.get(k, ""))[:200].strip() for k in names}
    errors = {k: text for k, text in SECOND_ACCOUNT if not values[k]}
    if not values["school_code"]:
        errors["school_code"] = "请填写学校标识码"
    elif not policy.sees(user, values["school_code"]):
        errors["school_code"] = "该学校不在本单位管辖范围内"
    runtime = request.app.state.runtime
    if not errors:
        equals = {"school_code": values["school_code"], "class_code": values["class_code"]}
        asked = {k: v for k, v in equals.items() if v}
        confirmer, password = values["confirm_username"], values["confirm_password"]
        try:
            export = await runtime.access.confirm_personal_export(user, confirmer, password, asked)
            purpose = f"照片导出（{values['purpose']}）"
            data, _ = await runtime.photos.export(None, equals, export, purpose)
        except Exception as refused:  # noqa: BLE001 - shown next to the confirmer's fields
            errors = field_errors(refused)
            if "password" in errors:
                errors["confirm_password"] = errors.pop("password")
            if "" in errors:
                errors["confirm_username"] = errors.pop("")
        else:
            return attachment(data, f"照片导出_{values['school_code']}.zip", "application/zip")
    values |= {"confirm_password": ""}
    return _export_page(request, user, 422, errors=errors, values=values)
