"""REG-2 pre-school archive list 学前调档名单 and REG-3 supplementary entry over HTTP, matched
against the pre-school registry stand-in on the bus."""

from __future__ import annotations

import base64
from datetime import date
from io import BytesIO
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from simulations.demo import DEMO_PASSWORD, school_code
from simulations.preschool import child, lookalikes
from tests.support.mesh import Mesh
from tests.support.people import PNG_BASE64, resident_id

PRIMARY = school_code("440106", 1)  # 天河区实验小学
REGISTRAR, APPROVER = f"{PRIMARY}_registrar", f"{PRIMARY}_approver"
PATH = "/api/v1/preschool"
#: SEC-4: a second account of the school confirms every export of the list.
CONFIRMED = {"X-Export-Confirmer": APPROVER, "X-Export-Confirmer-Password": DEMO_PASSWORD}
UNKNOWN_KID = resident_id(born=date(2020, 5, 5), sequence=121)  # not a pre-school record
GUARDIAN = {
    "name": "家长",
    "relation": "母亲",
    "id_type": "1",
    "id_number": resident_id(born=date(1990, 1, 1), sequence=22),
}


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the list's rules do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _resident(id_number: str, name: str = "张小一") -> dict:
    return {"id_type": "1", "id_number": id_number, "name": name}


async def _add(mesh: Mesh, body: dict, status: int = 201) -> dict:
    response = await mesh.post("44", f"{PATH}/entries", as_=REGISTRAR, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def _matched(mesh: Mesh, index: int) -> dict:
    known = child("44", index)
    entry = await _add(mesh, _resident(known.id_number, known.name))
    assert entry["state"] == "已匹配学前学籍" and entry["record_id"] == known.record_id
    return entry


async def test_reg2_one_match_none_and_several_then_confirm(mesh: Mesh) -> None:
    await _matched(mesh, 3)
    assert (await _add(mesh, _resident(UNKNOWN_KID)))["state"] == "未查到学前学籍"
    twin = lookalikes("44", 0)[0]  # three records: same name, sex, birth date
    lookalike_id = resident_id(born=twin.birth_date, sequence=131 if twin.sex == "1" else 132)
    several = await _add(mesh, _resident(lookalike_id, twin.name))
    assert several["state"] == "待确认学前学籍" and len(several["candidates"]) == 3
    listed = await mesh.get(
        "44", f"{PATH}/entries", as_=REGISTRAR, params={"state": "待确认学前学籍"}
    )
    assert [e["id"] for e in listed.json()["items"]] == [several["id"]]

    chosen = several["candidates"][1]["record_id"]
    confirm = f"{PATH}/entries/{several['id']}/confirm"
    confirmed = await mesh.post("44", confirm, as_=REGISTRAR, json={"record_id": chosen})
    assert confirmed.json()["state"] == "已匹配学前学籍"
    assert confirmed.json()["record_id"] == chosen
    again = await mesh.post("44", confirm, as_=REGISTRAR, json={"record_id": None})
    assert again.status_code == 409 and again.json()["code"] == "not_to_confirm"


async def test_reg2_duplicate_id_refused(mesh: Mesh) -> None:
    first = await _add(mesh, _resident(UNKNOWN_KID))
    duplicate = await _add(mesh, _resident(UNKNOWN_KID, "另一人"), status=422)
    assert (duplicate["field"], duplicate["code"]) == ("id_number", "duplicate_id")
    other = await _add(mesh, _resident(resident_id(born=date(2020, 5, 6), sequence=121)))
    moved = await mesh.patch(
        "44", f"{PATH}/entries/{other['id']}", as_=REGISTRAR, json=_resident(UNKNOWN_KID)
    )
    assert moved.status_code == 422 and moved.json()["code"] == "duplicate_id"
    kept = await mesh.patch(
        "44", f"{PATH}/entries/{first['id']}", as_=REGISTRAR, json=_resident(UNKNOWN_KID, "张改")
    )
    assert kept.status_code == 200 and kept.json()["name"] == "张改"  # its own number is fine


async def _complete_and_register(mesh: Mesh, entry: dict) -> dict:
    completion = {"ethnicity": "01", "class_code": "2026101", "guardians": [GUARDIAN]}
    path = f"{PATH}/entries/{entry['id']}"
    completed = await mesh.post("44", f"{path}/complete", as_=REGISTRAR, json=completion)
    assert completed.status_code == 200 and completed.json()["completed"], completed.text
    registered = await mesh.post("44", f"{path}/register", as_=REGISTRAR)
    assert registered.status_code == 200, registered.text
    return registered.json()


async def test_reg2_locked_once_registration_started(mesh: Mesh) -> None:
    entry = await _matched(mesh, 4)
    await _complete_and_register(mesh, entry)
    path = f"{PATH}/entries/{entry['id']}"
    changes = _resident(entry["id_number"], "改名")
    for response in (
        await mesh.patch("44", path, as_=REGISTRAR, json=changes),
        await mesh.request_delete("44", path, as_=REGISTRAR),
        await mesh.get(
            "44",
            f"{PATH}/export/resident",
            as_=REGISTRAR,
            params={"ids": [entry["id"]]},
            headers=CONFIRMED,
        ),
    ):
        assert response.status_code == 409 and response.json()["code"] == "locked", response.text
    shown = (await mesh.get("44", path, as_=REGISTRAR)).json()
    assert (shown["name"], shown["registration_state"]) == (entry["name"], "已发起注册")


def _rows(data: bytes) -> list[tuple]:
    sheet = load_workbook(BytesIO(data))["学籍注册"]
    return [row[:3] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]


async def test_reg2_export_per_document_group_no_document_not_exportable(mesh: Mesh) -> None:
    matched = await _matched(mesh, 5)
    await _add(mesh, _resident(UNKNOWN_KID, "未匹配"))
    twin = lookalikes("44", 1)[0]
    no_doc = {
        "id_type": "Z",
        "name": twin.name,
        "sex": twin.sex,
        "birth_date": str(twin.birth_date),
    }
    assert (await _add(mesh, no_doc))["state"] == "待确认学前学籍"  # may not be exported yet
    hk = {"id_type": "6", "id_number": "h1234567", "name": "陈港", "sex": "2"}
    await _add(mesh, hk | {"birth_date": "2020-02-02"})

    resident = await mesh.get("44", f"{PATH}/export/resident", as_=REGISTRAR, headers=CONFIRMED)
    assert resident.status_code == 200
    assert _rows(resident.content) == [
        (matched["name"], "1-居民身份证", matched["id_number"]),
        ("未匹配", "1-居民身份证", UNKNOWN_KID),
    ]
    foreign = await mesh.get("44", f"{PATH}/export/hmt_foreign", as_=REGISTRAR, headers=CONFIRMED)
    assert _rows(foreign.content) == [("陈港", "6-香港特区护照/身份证明", "H1234567")]
    none = await mesh.get("44", f"{PATH}/export/no_document", as_=REGISTRAR, headers=CONFIRMED)
    assert none.status_code == 422 and none.json()["code"] == "not_exportable"


async def test_reg3_completed_entry_registers_as_a_primary_new_student(mesh: Mesh) -> None:
    entry = await _matched(mesh, 6)
    not_yet = await mesh.post("44", f"{PATH}/entries/{entry['id']}/register", as_=REGISTRAR)
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "not_completed"
    registration = await _complete_and_register(mesh, entry)
    assert (registration["entry"], registration["id_number"]) == ("primary", entry["id_number"])
    assert registration["class_code"] == "2026101"
    pending = (await mesh.get("44", "/api/v1/registrations/pending", as_=APPROVER)).json()
    assert {i["id"]: i["action"] for i in pending["items"]} == {registration["id"]: "decide"}


async def test_reg3_no_document_entry_is_completed_with_its_proof_then_registered(
    mesh: Mesh,
) -> None:
    twin = lookalikes("44", 1)[0]  # records without an ID number: matched by name, sex, birth
    body = {"id_type": "Z", "name": twin.name, "sex": twin.sex, "birth_date": str(twin.birth_date)}
    entry = await _add(mesh, body)
    confirm = f"{PATH}/entries/{entry['id']}/confirm"
    record_id = entry["candidates"][0]["record_id"]
    assert (await mesh.post("44", confirm, as_=REGISTRAR, json={"record_id": record_id})).is_success
    path = f"{PATH}/entries/{entry['id']}"
    completion = {"ethnicity": "01", "class_code": "2026101", "guardians": [GUARDIAN]}
    no_proof = await mesh.post("44", f"{path}/complete", as_=REGISTRAR, json=completion)
    assert no_proof.status_code == 422, no_proof.text
    assert (no_proof.json()["field"], no_proof.json()["code"]) == ("proof", "proof_required")
    not_an_image = completion | {"proof": base64.b64encode(b"GIF89a....").decode()}
    refused = await mesh.post("44", f"{path}/complete", as_=REGISTRAR, json=not_an_image)
    assert refused.status_code == 422 and refused.json()["code"] == "proof_not_image"
    assert (await mesh.get("44", path, as_=REGISTRAR)).json()["completed"] is False

    with_proof = completion | {"proof": PNG_BASE64}
    completed = await mesh.post("44", f"{path}/complete", as_=REGISTRAR, json=with_proof)
    assert completed.status_code == 200, completed.text
    assert completed.json()["completion"]["proof"]["content_type"] == "image/png"
    registered = await mesh.post("44", f"{path}/register", as_=REGISTRAR)
    assert registered.status_code == 200, registered.text
    registration = registered.json()
    assert registration["proof"]["sha256"] == completed.json()["completion"]["proof"]["sha256"]
    levels = [step["level"] for step in registration["chain"]]
    assert levels == ["school", "supervising", "city", "province"]  # REG-6: up to the province


BAD_INPUT = [
    ("bad_checksum", _resident(UNKNOWN_KID[:-1] + "0"), "id_number", "bad_checksum"),
    ("sex_contradicts_id", _resident(UNKNOWN_KID) | {"sex": "2"}, "sex", "contradicts_id"),
    (
        "no_document_with_number",
        {"id_type": "Z", "id_number": "1", "name": "甲"},
        "id_number",
        "not_allowed",
    ),
    ("foreign_without_number", {"id_type": "A", "name": "甲", "sex": "1"}, "id_number", "required"),
    ("name_only_spaces", _resident(UNKNOWN_KID, " 　"), "name", "bad_name"),
    ("unknown_field", _resident(UNKNOWN_KID) | {"colour": "blue"}, "colour", "invalid_request"),
]


@pytest.mark.parametrize(
    ("body", "field", "code"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT]
)
async def test_reg2_bad_input_names_the_field_and_stores_nothing(
    mesh: Mesh, body: dict, field: str, code: str
) -> None:
    refused = await _add(mesh, body, status=422)
    assert (refused["field"], refused["code"]) == (field, code)
    listed = await mesh.get("44", f"{PATH}/entries", as_=REGISTRAR)
    assert listed.json()["total"] == 0


async def test_reg2_only_the_schools_own_registrar(mesh: Mesh) -> None:
    entry = await _add(mesh, _resident(UNKNOWN_KID))
    other_school = f"{school_code('440106', 2)}_registrar"
    for user in (APPROVER, "440106_registrar"):
        refused = await mesh.get("44", f"{PATH}/entries", as_=user)
        assert refused.status_code == 403
    foreign = await mesh.get("44", f"{PATH}/entries/{entry['id']}", as_=other_school)
    assert foreign.status_code == 404 and UNKNOWN_KID not in foreign.text  # SEC-8: as missing
    missing = await mesh.get("44", f"{PATH}/entries/{uuid4()}", as_=other_school)
    assert (missing.status_code, missing.json()["code"]) == (404, foreign.json()["code"])
    assert (await mesh.get("44", f"{PATH}/entries", as_=other_school)).json()["total"] == 0


async def test_sec4_preschool_export_needs_a_second_account(mesh: Mesh) -> None:
    """Names and ID numbers leave only with a second account's confirmation, audited."""
    matched = await _matched(mesh, 7)
    path = f"{PATH}/export/resident"
    alone = await mesh.get("44", path, as_=REGISTRAR)
    assert alone.status_code == 403 and alone.json()["code"] == "second_account_required"
    myself = {"X-Export-Confirmer": REGISTRAR, "X-Export-Confirmer-Password": DEMO_PASSWORD}
    assert (await mesh.get("44", path, as_=REGISTRAR, headers=myself)).status_code == 403
    wrong = CONFIRMED | {"X-Export-Confirmer-Password": "Wrong-123"}
    assert (await mesh.get("44", path, as_=REGISTRAR, headers=wrong)).status_code == 401
    done = await mesh.get("44", path, as_=REGISTRAR, headers=CONFIRMED)
    assert done.status_code == 200, done.text
    assert [r[2] for r in _rows(done.content)] == [matched["id_number"]]

    node = mesh.runtime("44").node
    topics = ["xueji.access.account:Account.DataExported"]
    [audit] = node.recorder.select_notifications(start=1, limit=10_000, topics=topics)
    event = node.mapper.to_domain_event(audit)
    assert (event.requested_by, event.rows, event.filters) == (
        REGISTRAR,
        1,
        {"id_group": "resident"},
    )
    assert node.repository.get(event.originator_id).username == APPROVER
