"""NFR-3 / ID-2 at the node's HTTP boundary: a clear error naming the field, nothing stored,
the service keeps running."""

from __future__ import annotations

import base64

import pytest

from contracts.ids import mod11_2_check_char
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

GOOD_ID = resident_id(sequence=135)


def _with_check(body17: str) -> str:
    """A number whose checksum is right, so the other rule is the one that fails."""
    return body17 + mod11_2_check_char(body17)


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # input checks do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _body(**changes: object) -> dict:
    return registration(JUNIOR_SCHOOL["44"], GOOD_ID) | changes


_GUARDIAN = {
    "name": "家长",
    "relation": "父亲",
    "id_type": "1",
    "id_number": resident_id(sequence=711),
}
_NO_DOCUMENT = _body(
    id_type="Z", id_number=None, sex="1", birth_date="2014-01-01", guardians=[_GUARDIAN]
)

BAD_INPUT = [
    (
        "bad_checksum",
        _body(id_number=GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")),
        "id_number",
        "bad_checksum",
    ),
    (
        "impossible_birth_date",
        _body(id_number=_with_check("44010620150230123")),
        "id_number",
        "invalid_birth_date",
    ),
    ("seventeen_digits", _body(id_number=GOOD_ID[:17]), "id_number", "bad_length"),
    ("fifteen_digit_old_id", _body(id_number="440106150309123"), "id_number", "bad_length"),
    (
        "unknown_region",
        _body(id_number=_with_check("99010620150309123")),
        "id_number",
        "unknown_region",
    ),
    ("sex_contradicts_id", _body(sex="2"), "sex", "contradicts_id"),
    ("birth_date_contradicts_id", _body(birth_date="2015-03-10"), "birth_date", "contradicts_id"),
    ("class_not_in_school", _body(class_code="2026299"), "class_code", "unknown_class"),
    ("unknown_field", _body(colour="blue"), "colour", "invalid_request"),
    ("name_only_spaces", _body(name="  　 "), "name", "bad_name"),
    ("unknown_ethnicity", _body(ethnicity="77"), "ethnicity", "unknown_ethnicity"),
    (
        "no_document_without_guardian",
        _body(id_type="Z", id_number=None, sex="1", birth_date="2014-01-01"),
        "guardians",
        "guardian_required",
    ),
    ("reg1_primary_resident_id_single_entry", _body(entry="primary"), "entry", "entry_not_allowed"),
    ("reg6_no_document_without_proof", _NO_DOCUMENT, "proof", "proof_required"),
    (
        "id7_proof_not_an_image",
        _NO_DOCUMENT | {"proof": base64.b64encode(b"GIF89a...").decode()},
        "proof",
        "proof_not_image",
    ),
    ("id7_proof_not_base64", _NO_DOCUMENT | {"proof": "***"}, "proof", "bad_base64"),
]


@pytest.mark.parametrize(
    ("case", "body", "field", "code"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
async def test_nfr3_bad_registration_input_names_the_field_and_stores_nothing(
    mesh: Mesh, case: str, body: dict, field: str, code: str
) -> None:
    node = mesh.runtime("44").node
    await mesh.login("44", REGISTRAR["44"])  # a login is stored too: do it before counting
    before = node.recorder.max_notification_id()
    response = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == field
    assert problem["code"] == code
    assert problem["detail"]  # a Chinese message for the registrar
    assert node.recorder.max_notification_id() == before
    assert (await mesh.get("44", "/healthz")).status_code == 200


async def test_id6_inner_spaces_in_names_are_stripped(mesh: Mesh) -> None:
    response = await mesh.post(
        "44", "/api/v1/registrations", as_=REGISTRAR["44"], json=_body(name=" 欧阳 小 明 ")
    )
    assert response.status_code == 201
    await approve_fully(mesh, "44", response.json()["id"])
    record = await mesh.get(
        "44", f"/api/v1/students/{response.json()['student_number']}", as_=REGISTRAR["44"]
    )
    assert record.json()["name"] == "欧阳小明"


async def test_id3_malformed_student_number_is_refused_unknown_is_404(mesh: Mesh) -> None:
    malformed = await mesh.get("44", "/api/v1/students/X123", as_=REGISTRAR["44"])
    assert malformed.status_code == 422 and malformed.json()["field"] == "student_number"
    unknown = await mesh.get("44", "/api/v1/students/G" + GOOD_ID, as_=REGISTRAR["44"])
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
