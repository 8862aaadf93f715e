"""REG-5 authentication against the population registry stand-in, ID-3 numbers, PRB-1."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.ids import mod11_2_check_char
from simulations.population import person
from tests.support.cases import national_identity
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
    assert problem.json()["type"] == "invalid_id" and problem.json()["state"] == "open"  # PRB-1
    outside = await mesh.get(
        "44", f"/api/v1/problems/{created['problem_record_id']}", as_="440103_registrar"
    )
    assert outside.status_code == 404  # as a group that does not exist (SEC-8)


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


# --- REG-5: authentication left pending is retried by itself --------------------------------


async def _pending_registration(mesh: Mesh, id_number: str, name: str = "张三") -> dict:
    """A registration made while the population registry is away: authentication pending."""
    await mesh._registry_bus.close()
    created = await _register(mesh, registration(JUNIOR_SCHOOL["44"], id_number, name=name))
    assert created.status_code == 201, created.text
    assert created.json()["auth_status"] == "pending"
    await mesh.start_registry()
    return created.json()


async def _current(mesh: Mesh, registration_id: str) -> dict:
    return (await mesh.get("44", f"{PATH}/{registration_id}", as_=REGISTRAR["44"])).json()


async def test_reg5_pending_authentication_is_retried_when_registry_returns(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XUEJI_AUTH_RETRY_SECONDS", "0.2")  # the sweep's first pause
    monkeypatch.setenv("XUEJI_AUTH_RETRY_MAX_SECONDS", "0.5")  # its longest
    await mesh.stop("44")
    await mesh.start("44")
    await mesh.wait_until(lambda: mesh.runtime("44").bus.connected)
    someone = person("44", 21)
    waiting = await _pending_registration(mesh, someone.id_number, someone.name)

    async def authenticated() -> bool:
        return (await _current(mesh, waiting["id"]))["auth_status"] == "passed"

    await mesh.wait_until(authenticated)
    done = await approve_fully(mesh, "44", waiting["id"])  # reviewable now
    assert done["student_number"] == "G" + someone.id_number  # ID-3: both checks passed


async def test_reg5_registry_answering_again_wakes_the_pending_retry(mesh: Mesh) -> None:
    """The registry's first answer after an outage starts the retry at once, without
    waiting for the sweep's pause (minutes by default)."""
    someone, other = person("44", 22), person("44", 23)
    waiting = await _pending_registration(mesh, someone.id_number, someone.name)
    after = await _register(mesh, registration(JUNIOR_SCHOOL["44"], other.id_number, other.name))
    assert after.json()["auth_status"] == "passed"

    async def authenticated() -> bool:
        return (await _current(mesh, waiting["id"]))["auth_status"] == "passed"

    await mesh.wait_until(authenticated)


async def test_reg5_sysadmin_retries_pending_authentication_failure_opens_problem_record(
    mesh: Mesh,
) -> None:
    waiting = await _pending_registration(mesh, resident_id(sequence=556))  # not in the registry
    refused = await mesh.post("44", "/api/v1/admin/authentication/run", as_=REGISTRAR["44"])
    assert refused.status_code == 403
    ran = await mesh.post("44", "/api/v1/admin/authentication/run", as_="440000_sysadmin")
    assert ran.status_code == 200, ran.text
    assert ran.json() == {"checked": 1, "answered": 1, "refused": 0, "pending": 0}
    after = await _current(mesh, waiting["id"])
    assert after["auth_status"] == "failed" and after["student_number"].startswith("L")
    problem = await mesh.get(
        "44", f"/api/v1/problems/{after['problem_record_id']}", as_=REGISTRAR["44"]
    )
    assert problem.json()["type"] == "invalid_id"  # PRB-1
    again = await mesh.post("44", "/api/v1/admin/authentication/run", as_="440000_sysadmin")
    assert again.json()["checked"] == 0  # nothing pending any more


async def test_reg5_pending_authentication_failing_under_the_block_switch_frees_the_claim(
    mesh: Mesh,
) -> None:
    someone = person("44", 24)
    waiting = await _pending_registration(mesh, someone.id_number, name="冒名顶替")
    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"auth_failure_blocks": True}
    )
    await mesh.post("44", "/api/v1/admin/authentication/run", as_="440000_sysadmin")
    after = await _current(mesh, waiting["id"])
    assert after["status"] == "refused" and after["auth_status"] == "failed"

    async def released() -> bool:  # the release reaches the hub through the outbox
        found = await national_identity(mesh, "冒名顶替", id_number=someone.id_number)
        return found is not None and found["status"] == "released"

    await mesh.wait_until(released)
    body = registration(JUNIOR_SCHOOL["34"], someone.id_number, name=someone.name)
    real = await _register(mesh, body, province="34")
    assert real.status_code == 201, real.text
