"""学籍注册录入: single entry with live ID checks (ID-2), as the school registrar.

The form is checked by the registration rules (`validate_registration`, through
`runtime.registrations.register`), whose refusal is shown next to the field it names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import ContractError
from contracts.ids import parse_resident_id
from province_node.domain.registration_rules import RegistrationForm
from xueji.access.guards import SchoolRegistrar
from xueji.console.kit import ConsoleRoute, User, console_of, form_errors, meta_of
from xueji.console.labels import ENTRIES, ID_TYPES

router = APIRouter(prefix="/registration", route_class=ConsoleRoute, include_in_schema=False)

MAX_PROOF_BYTES = 2 * 2**20  # read one byte more: the rules refuse what is larger (ID-7)
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
SHOWN = (*FIELDS, "proof")
#: The rules' names of the guardian's fields → the form's (it has one guardian).
GUARDIAN = {
    "guardians": "g_id_number",  # a document-less student needs a guardian's resident ID
    "guardians[0].name": "g_name",
    "guardians[0].id_type": "g_id_type",
    "guardians[0].id_number": "g_id_number",
}


async def _classes(request: Request, school_code: str) -> list[tuple[str, str]]:
    runtime = request.app.state.runtime
    school = await runtime.schools.school(school_code)
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
async def new_form(request: Request, user: SchoolRegistrar) -> Response:
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
async def submit(
    request: Request, user: SchoolRegistrar, proof: UploadFile | None = None
) -> Response:
    raw = await request.form()
    values = {k: str(raw.get(k, "")).strip() for k in FIELDS}
    classes = await _classes(request, user.unit_code)
    birth = None
    if values["birth_date"]:  # the form's text as a date; whether it fits is the rules' call
        try:
            birth = date.fromisoformat(values["birth_date"])
        except ValueError:
            errors = {"birth_date": "出生日期格式应为 YYYY-MM-DD"}
            return _form_page(request, classes, values, errors)
    proof_bytes = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    form = _registration(values, birth, proof_bytes, user.unit_code)
    runtime = request.app.state.runtime
    try:
        result = await runtime.registrations.register(form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - shown next to the field it names
        return _form_page(request, classes, values, form_errors(refused, SHOWN, GUARDIAN))
    fresh = {
        "entry": values["entry"],
        "id_type": "1",
        "g_id_type": "1",
        "class_code": values["class_code"],
    }
    return _form_page(request, classes, fresh, {}, created=result, created_name=form.name)


def _registration(
    values: dict[str, str], birth: date | None, proof: bytes | None, school_code: str
) -> RegistrationForm:
    """The form's fields as the registration rules take them (one guardian at most)."""
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
    return RegistrationForm(
        entry=values["entry"],
        id_type=values["id_type"],
        name=values["name"],
        school_code=school_code,
        class_code=values["class_code"],
        id_number=values["id_number"] or None,
        sex=values["sex"] or None,
        birth_date=birth,
        ethnicity=values["ethnicity"] or None,
        guardians=guardians,
        proof=proof,
    )
