"""学籍注册录入: single entry with live ID checks (ID-2), as the school registrar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import ContractError, Forbidden
from contracts.ids import parse_resident_id
from province_node.domain.registration_rules import RegistrationForm
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of
from xueji.console.labels import ENTRIES, ID_TYPES

router = APIRouter(prefix="/registration", route_class=ConsoleRoute, include_in_schema=False)

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


def school_registrar(user: User) -> None:
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
    school_registrar(user)
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
        # a changed document type makes sex and birth date editable again (typing does not)
        type_changed=request.headers.get("hx-trigger") == "f-id_type",
    )


@router.post("/new")
async def submit(request: Request, user: User, proof: UploadFile | None = None) -> Response:
    school_registrar(user)
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
