"""学籍注册 pages: single entry with live ID checks, Excel template, import with progress."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import ContractError, Forbidden
from contracts.ids import IdGroup, parse_resident_id
from province_node.domain.registration_rules import RegistrationForm
from province_node.excel.templates import build_template
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of
from xueji.console.labels import ENTRIES, ID_TYPES

router = APIRouter(prefix="/registration", route_class=ConsoleRoute, include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 2**20
MAX_PROOF_BYTES = 2 * 2**20
FIELDS = (
    "entry",
    "id_type",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "class_code",
    "g_name",
    "g_relation",
    "g_id_type",
    "g_id_number",
)


def _school_registrar(user: User) -> None:
    if user.level != "school" or user.role != "registrar":
        raise Forbidden("学籍注册由学校学籍管理员办理", code="school_registrar_only")


async def _classes(request: Request, school_code: str) -> list[tuple[str, str]]:
    runtime = request.app.state.runtime
    school = await runtime.writer(runtime.node.school, school_code)
    return [("", "请选择班级")] + [
        (c["class_code"], f"{c['name']}（{c['class_code']}）") for c in school["classes"]
    ]


def _form_page(request: Request, classes, values: dict, errors: dict, **extra) -> Response:
    return console_of(request).page(
        request,
        "registration_new.html",
        status=422 if errors else 200,
        title="学籍注册录入",
        classes=classes,
        values=values,
        errors=errors,
        id_types=list(ID_TYPES.items()),
        entries=list(ENTRIES.items()),
        **extra,
    )


@router.get("/new")
async def new_form(request: Request, user: User) -> Response:
    _school_registrar(user)
    values = {"entry": "non_primary", "id_type": "1", "g_id_type": "1"}
    return _form_page(request, await _classes(request, user.unit_code), values, {})


@router.post("/check-id")
async def check_id(
    request: Request,
    user: User,
    id_type: Annotated[str, Form()] = "1",
    id_number: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Live check while typing (ID-2): length, checksum, derived sex and birth date."""
    derived, message = None, ""
    if id_type == "1" and id_number.strip():
        try:
            derived = parse_resident_id(id_number)
        except ContractError as bad:
            message = bad.message
    return console_of(request).page(
        request,
        "_id_check.html",
        derived=derived,
        message=message,
        id_type=id_type,
        checked=bool(id_number.strip()),
    )


@router.post("/new")
async def submit(request: Request, user: User, proof: UploadFile | None = None) -> Response:
    _school_registrar(user)
    raw = await request.form()
    values = {k: str(raw.get(k, "")).strip() for k in FIELDS}
    classes = await _classes(request, user.unit_code)
    errors: dict[str, str] = {}
    for key, text in (("name", "请输入姓名"), ("class_code", "请选择班级")):
        if not values[key]:
            errors[key] = text
    if values["id_type"] != "Z" and not values["id_number"]:
        errors["id_number"] = "请输入身份证件号"
    birth = None
    if values["birth_date"]:
        try:
            birth = date.fromisoformat(values["birth_date"])
        except ValueError:
            errors["birth_date"] = "出生日期格式应为 YYYY-MM-DD"
    proof_bytes = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    if proof_bytes is not None and len(proof_bytes) > MAX_PROOF_BYTES:
        errors["proof"] = "证明材料不能超过 2 MB"
    if errors:
        return _form_page(request, classes, values, errors)
    guardians = []
    if values["g_name"]:
        guardians.append(
            {
                "name": values["g_name"],
                "relation": values["g_relation"],
                "id_type": values["g_id_type"] or "Z",
                "id_number": values["g_id_number"] or None,
            }
        )
    form = RegistrationForm(
        entry=values["entry"],
        id_type=values["id_type"],
        name=values["name"],
        school_code=user.unit_code,
        class_code=values["class_code"],
        id_number=values["id_number"] or None,
        sex=values["sex"] or None,
        birth_date=birth,
        ethnicity=values["ethnicity"] or None,
        guardians=guardians,
        proof=proof_bytes,
    )
    runtime = request.app.state.runtime
    try:
        result = await runtime.registrations.register(form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - shown next to the field it names
        errors = field_errors(refused)
        if "" not in errors and not set(errors) & set(FIELDS):
            errors = {"": next(iter(errors.values()))}
        return _form_page(request, classes, values, errors)
    fresh = {
        "entry": values["entry"],
        "id_type": "1",
        "g_id_type": "1",
        "class_code": values["class_code"],
    }
    return _form_page(request, classes, fresh, {}, created=result, created_name=form.name)


@router.get("/template/{id_group}")
async def template(id_group: str, user: User, entry: str = "primary") -> Response:
    """REG-4: the Excel template of a document-type group, with drop-down lists."""
    if id_group not in ("resident", "hmt_foreign") or entry not in ENTRIES:
        raise ContractError("id_group", "bad_template", "没有该模板")
    name = quote(f"学籍注册模板_{IdGroup(id_group).value}_{entry}.xlsx")
    return Response(
        build_template(IdGroup(id_group), entry),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.get("/import")
async def import_form(request: Request, user: User) -> Response:
    _school_registrar(user)
    return console_of(request).page(
        request,
        "registration_import.html",
        title="学籍注册导入",
        errors={},
        entries=list(ENTRIES.items()),
    )


@router.post("/import")
async def upload(
    request: Request,
    user: User,
    file: UploadFile | None = None,
    entry: Annotated[str, Form()] = "non_primary",
    id_group: Annotated[str, Form()] = "resident",
) -> Response:
    """Upload → the file record; large files go on in the background (progress polls)."""
    _school_registrar(user)
    console = console_of(request)
    if file is None or not file.filename:
        return console.page(
            request,
            "registration_import.html",
            status=422,
            title="学籍注册导入",
            errors={"file": "请选择要导入的 Excel 文件（.xlsx）"},
            entries=list(ENTRIES.items()),
        )
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    runtime = request.app.state.runtime
    record = await runtime.imports.import_file(data, file.filename, entry, id_group, meta_of(user))
    return console.page(
        request,
        "registration_import.html",
        title="学籍注册导入",
        errors={},
        entries=list(ENTRIES.items()),
        record=record,
    )


@router.get("/imports/{file_id}")
async def progress(request: Request, user: User, file_id: UUID) -> Response:
    """The import file record as a fragment, polled while the file is being processed."""
    runtime = request.app.state.runtime
    record = await runtime.imports.file(file_id)
    if record is None or not runtime.org.is_within(record["school_code"], user.unit_code):
        raise Forbidden("导入文件不存在或不在本单位管辖范围内")
    return console_of(request).page(request, "_import_record.html", record=record)
