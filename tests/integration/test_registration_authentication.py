"""REG-5 authentication against the population registry stand-in, ID-3 numbers, PRB-1."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.ids import mod11_2_check_char
from simulations.population import person
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import (
    JUNIOR_SCHOOL,
    MINISTRY,
    PNG_BASE64,
    REGISTRAR,
    registration,
    resident_id,
)

PATH = "/api/v1/registrations"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the flow is the same on both backends
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _register(mesh: Mesh, body: dict, province: str = "44"):
    return await mesh.post(province, PATH, as_=REGISTRAR[province], json=body)


async def test_reg5_authenticated_resident_gets_a_g_number(mesh: Mesh) -> None:
    someone = person("44", 7)
    created = await _register(
        mesh, registration(JUNIOR_SCHOOL["44"], someone.id_number, name=someone.name)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["auth_status"] == "passed"
    assert body["student_number"] == "G" + someone.id_number  # ID-3
    await approve_fully(mesh, "44", body["id"])
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)
    found = await mesh.get(
        "hub",
        "/api/v1/national/students",
        as_=MINISTRY,
        params={"name": someone.name, "student_number": body["student_number"]},
    )
    assert found.status_code == 200 and found.json()["province"] == "44"


async def test_reg5_authentication_failure_registers_with_l_number_and_opens_problem_record(
    mesh: Mesh,
) -> None:
    unknown = resident_id(sequence=555)  # valid checksum, not in the population registry
    created = (await _register(mesh, registration(JUNIOR_SCHOOL["44"], unknown))).json()
    assert created["auth_status"] == "failed"
    assert created["student_number"].startswith("L440106")
    problem = await mesh.get(
        "44", f"/api/v1/problems/{created['problem_record_id']}", as_=REGISTRAR["44"]
    )
    assert problem.status_code == 200
    assert problem.json()["kind"] == "invalid_id" and problem.json()["status"] == "open"  # PRB-1
    outside = await mesh.get(
        "44", f"/api/v1/problems/{created['problem_record_id']}", as_="440103_registrar"
    )
    assert outside.status_code == 403


async def test_reg5_name_mismatch_blocks_when_the_province_switch_says_so(mesh: Mesh) -> None:
    someone = person("44", 9)
    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"auth_failure_blocks": True}
    )
    refused = await _register(
        mesh, registration(JUNIOR_SCHOOL["44"], someone.id_number, name="冒名顶替")
    )
    assert refused.status_code == 409 and refused.json()["code"] == "auth_failed"
    # A refused registration does not hold the identity: the real person registers elsewhere.
    real = await _register(
        mesh, registration(JUNIOR_SCHOOL["34"], someone.id_number, name=someone.name), province="34"
    )
    assert real.status_code == 201 and real.json()["auth_status"] == "passed"


async def test_reg5_registry_unreachable_leaves_authentication_pending(mesh: Mesh) -> None:
    await mesh._registry_bus.close()
    created = await _register(
        mesh,
        registration(JUNIOR_SCHOOL["44"], person("44", 11).id_number, name=person("44", 11).name),
    )
    assert created.status_code == 201
    assert created.json()["auth_status"] == "pending"
    assert created.json()["student_number"].startswith("L")


async def test_id3_document_less_student_gets_a_j_number(mesh: Mesh) -> None:
    guardian = resident_id(born=date(1985, 2, 3), sequence=21)
    body = registration(
        JUNIOR_SCHOOL["44"],
        None,
        name="无证学生",
        id_type="Z",
        proof=PNG_BASE64,
        sex="2",
        birth_date="2014-06-01",
        guardians=[{"name": "家长", "relation": "母亲", "id_type": "1", "id_number": guardian}],
    )
    created = (await _register(mesh, body)).json()
    number = created["student_number"]
    assert number.startswith("J44010620140601") and created["auth_status"] == "not_applicable"
    assert number[-1] == mod11_2_check_char(number[1:18])  # ID-3: its own check digit


async def test_id3_hong_kong_student_gets_a_temporary_number(mesh: Mesh) -> None:
    body = registration(
        JUNIOR_SCHOOL["44"],
        "H12345678",
        name="陈港生",
        id_type="6",
        sex="1",
        birth_date="2013-04-05",
    )
    created = (await _register(mesh, body)).json()
    assert created["student_number"].startswith("L44010620130405")
    assert created["auth_status"] == "not_applicable"
