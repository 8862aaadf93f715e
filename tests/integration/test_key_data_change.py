"""关键数据变更 as the FAQ runs it [004 Q70–Q73]: the school registrar applies with the new
values and a proof, the school approver and the county decide, the record changes — and the
hub's national identity follows (KDC-3): corrected in place, or moved to its new key with the
old one freed."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.ids import Sex
from simulations.population import Person
from tests.support.cases import enrolled_student, national_identity
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, PNG_BASE64, registration, resident_id

SCHOOL = JUNIOR_SCHOOL["44"]
PATH = "/api/v1/applications"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _known(mesh: Mesh, id_number: str, name: str) -> None:
    sex = Sex.MALE if int(id_number[16]) % 2 else Sex.FEMALE
    mesh.registry.add(Person(id_number, name, sex, date.fromisoformat(id_number[6:14])))


async def _apply(mesh: Mesh, number: str, changes: dict, status: int = 201) -> dict:
    body = {"type": "key_data_change", "student_number": number, "changes": changes}
    body |= {"reason": "户籍信息更正", "proof": PNG_BASE64}
    reply = await mesh.post("44", PATH, as_=f"{SCHOOL}_registrar", json=body)
    assert reply.status_code == status, reply.text
    return reply.json()


async def _decide(mesh: Mesh, application: dict, approve: bool = True) -> dict:
    step = application["step"]
    role = "approver" if step["level"] == "school" else "registrar"
    body = {"approve": approve, "opinion": "同意" if approve else "证明材料不清晰"}
    path = f"{PATH}/{application['id']}/decisions"
    reply = await mesh.post("44", path, as_=f"{step['unit_code']}_{role}", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _through(mesh: Mesh, application: dict) -> dict:
    while application["status"] == "in_progress":
        application = await _decide(mesh, application)
    return application


async def _record(mesh: Mesh, number: str) -> dict:
    return (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()


async def test_kdc2_a_name_change_climbs_the_chain_and_the_hub_follows(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 701, name="李四")
    id_number = (await _record(mesh, number))["id_number"]
    _known(mesh, id_number, "李思")  # the household register has the corrected name
    applied = await _apply(mesh, number, {"name": "李思"})
    assert (applied["status"], applied["authentication"]) == ("in_progress", "passed")
    assert applied["before"] == {"name": "李四"} and applied["changes"] == {"name": "李思"}
    assert [s["level"] for s in applied["chain"]] == ["school", "supervising"]
    assert (await _record(mesh, number))["name"] == "李四"  # nothing before approval
    done = await _through(mesh, applied)
    assert done["status"] == "approved"
    record = await _record(mesh, number)
    assert (record["name"], record["student_number"], record["in_flight"]) == ("李思", number, None)
    await mesh.wait_until(lambda: national_identity(mesh, "李思", number=number))
    assert await national_identity(mesh, "李四", number=number) is None
    history = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440106_registrar")
    assert "KeyDataChanged" in [i["type"] for i in history.json()["items"]]


async def test_kdc3_an_id_number_change_moves_the_identity_and_frees_the_old(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 703, name="王五")
    old_id = (await _record(mesh, number))["id_number"]
    new_id = resident_id(region="440106", sequence=705)
    _known(mesh, new_id, "王五")
    applied = await _apply(mesh, number, {"id_number": new_id})
    await _through(mesh, applied)
    record = await _record(mesh, number)
    assert (record["id_number"], record["student_number"]) == (new_id, number)  # ID-3

    async def moved() -> bool:
        found = await national_identity(mesh, "王五", id_number=new_id)
        return found is not None and found["status"] == "enrolled"

    await mesh.wait_until(moved)
    found = await national_identity(mesh, "王五", id_number=new_id)
    assert (found["student_number"], found["status"]) == (number, "enrolled")
    assert (await national_identity(mesh, "王五", number=number))["id_number"] == new_id
    # The old identity is free: another registration of that ID passes national dedup, and
    # gets a temporary number since the record keeps the `G` made from it (ID-3).
    body = registration(SCHOOL, old_id, name="王五")
    again = await mesh.post("44", "/api/v1/registrations", as_=f"{SCHOOL}_registrar", json=body)
    assert again.status_code == 201, again.text
    assert again.json()["dedup_status"] == "passed"
    assert again.json()["student_number"][0] == "L"


async def test_kdc3_the_new_identity_must_be_free_nationally(mesh: Mesh) -> None:
    first = await enrolled_student(mesh, "44", 707, name="赵六")
    second = await enrolled_student(mesh, "44", 709, name="赵六")
    taken = (await _record(mesh, first))["id_number"]
    refused = await _apply(mesh, second, {"id_number": taken}, 409)
    assert refused["code"] == "dedup_conflict" and "问题学籍" in refused["detail"]
    assert (await _record(mesh, second))["in_flight"] is None  # nothing stored


async def test_kdc3_name_and_id_number_together_are_refused(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 711, name="钱七")
    new_id = resident_id(region="440106", sequence=713)
    refused = await _apply(mesh, number, {"name": "钱琪", "id_number": new_id}, 409)
    assert (refused["code"], refused["field"]) == ("name_and_id_together", "changes")


async def test_kdc3_name_after_an_id_change_within_a_year_climbs_to_the_province(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 715, name="孙八")
    new_id = resident_id(region="440106", sequence=717)
    _known(mesh, new_id, "孙八")
    await _through(mesh, await _apply(mesh, number, {"id_number": new_id}))
    _known(mesh, new_id, "孙捌")
    applied = await _apply(mesh, number, {"name": "孙捌"})
    assert [s["unit_code"] for s in applied["chain"]] == [SCHOOL, "440106", "440100", "440000"]
    assert (await _through(mesh, applied))["status"] == "approved"


async def test_prb5_a_formal_number_never_becomes_no_document(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 719)
    refused = await _apply(mesh, number, {"id_type": "Z"}, 409)
    assert (refused["code"], refused["field"]) == ("formal_to_no_document", "changes.id_type")


async def test_kdc1_only_controlled_fields_go_through_the_flow(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 721)
    refused = await _apply(mesh, number, {"ethnicity": "02"}, 409)
    assert (refused["code"], refused["field"]) == ("not_controlled", "changes.ethnicity")
    assert "日常管理" in refused["detail"]
    path = "/api/v1/admin/controlled-fields"
    as_school = await mesh.put("44", f"{path}/440106", as_=f"{SCHOOL}_registrar",
                               json={"fields": ["ethnicity"]})  # fmt: skip
    assert as_school.status_code == 403
    chosen = {"fields": ["name", "ethnicity", "class_code"]}
    other_county = await mesh.put("44", f"{path}/440103", as_="440106_sysadmin", json=chosen)
    assert other_county.status_code == 403
    done = await mesh.put("44", f"{path}/440106", as_="440106_sysadmin", json=chosen)
    assert done.status_code == 200, done.text
    shown = await mesh.get("44", path, as_=f"{SCHOOL}_registrar", params={"school_code": SCHOOL})
    assert shown.json()["fields"] == ["name", "ethnicity", "class_code"]
    assert (await _apply(mesh, number, {"ethnicity": "02"}))["status"] == "in_progress"
    sex = await _apply(mesh, number, {"sex": "2"}, 409)  # no longer controlled here
    assert sex["code"] == "not_controlled"


async def test_kdc2_a_rejection_returns_it_to_the_school_which_resubmits(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 723)
    applied = await _apply(mesh, number, {"birth_date": "2015-03-10"})
    returned = await _decide(mesh, applied, approve=False)
    assert returned["status"] == "returned" and returned["step"] is None
    again = await _apply(mesh, number, {"birth_date": "2015-03-11"}, 409)
    assert again["code"] == "business_in_flight"  # the returned one is still the school's
    path = f"{PATH}/{applied['id']}/resubmit"
    resubmitted = await mesh.post("44", path, as_=f"{SCHOOL}_registrar")
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "in_progress"
    done = await _through(mesh, resubmitted.json())
    assert done["status"] == "approved"
    assert (await _record(mesh, number))["birth_date"] == "2015-03-10"


async def test_kdc3_a_withdrawn_id_change_frees_the_identity_it_claimed(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 725)
    new_id = resident_id(region="440106", sequence=727)
    applied = await _apply(mesh, number, {"id_number": new_id})
    revoked = await mesh.post("44", f"{PATH}/{applied['id']}/revoke", as_=f"{SCHOOL}_registrar")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    async def claimable() -> bool:
        hub = mesh.runtime("hub")
        identity = await hub.writer(hub.hub.identity, f"id:{new_id}")
        return identity is not None and identity.status == "released"

    await mesh.wait_until(claimable)
    body = registration(SCHOOL, new_id)
    other = await mesh.post("44", "/api/v1/registrations", as_=f"{SCHOOL}_registrar", json=body)
    assert other.status_code == 201 and other.json()["dedup_status"] == "passed"


async def test_kdc_bad_input_names_the_field_and_stores_nothing(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 729)
    for changes, field in (
        ({}, "changes"),
        ({"shoe_size": "40"}, "changes.shoe_size"),
        ({"birth_date": "2030-01-01"}, "changes.birth_date"),
        ({"id_number": "440106201503091230"}, "changes.id_number"),  # bad checksum
        ({"class_code": "2099201"}, "changes.class_code"),
    ):
        refused = await _apply(mesh, number, changes, 422)
        assert refused["field"] == field, (changes, refused)
    body = {"type": "key_data_change", "student_number": number, "changes": {"name": "周九"}}
    no_proof = await mesh.post("44", PATH, as_=f"{SCHOOL}_registrar", json=body | {"reason": "x"})
    assert no_proof.status_code == 422 and no_proof.json()["field"] == "proof"
    assert (await _record(mesh, number))["in_flight"] is None
