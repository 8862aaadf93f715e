"""重新认证 and renumbering (ID-3, REG-5, PRB-5; [003 §一.1]): an `L` number becomes `G` when
authentication later succeeds — at once after a key data change that fixes the ID, or by the
province's yearly run each spring semester — a `J` becomes `G` when a resident ID is added, a
formal `G` turned HK/foreign gets a new `L`; the old number still finds the record, its
history keeps it, and the hub's index and every view follow."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

import pytest

from contracts.ids import Sex
from province_node.domain.problem import ProblemRecord
from simulations.population import Person
from tests.support.cases import enrolled_student, initiate, national_identity
from tests.support.console import console_session
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, PNG_BASE64, registration, resident_id
from xueji.clock import SHANGHAI

SCHOOL = JUNIOR_SCHOOL["44"]
APPLICATIONS = "/api/v1/applications"
RUNS = "/api/v1/reauthentications"
SPRING = datetime(2027, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _known(mesh: Mesh, id_number: str, name: str) -> None:
    sex = Sex.MALE if int(id_number[16]) % 2 else Sex.FEMALE
    mesh.registry.add(Person(id_number, name, sex, date.fromisoformat(id_number[6:14])))


async def _record(mesh: Mesh, number: str) -> dict:
    reply = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _history_types(mesh: Mesh, number: str) -> list[str]:
    reply = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440106_registrar")
    return [i["type"] for i in reply.json()["items"]]


async def _change(mesh: Mesh, number: str, changes: dict, problem: bool = False) -> dict:
    """KDC-2 through its whole chain: the school applies (as the record's problem group's
    变更 when it has one, PRB-3), every step approves."""
    if problem:
        listed = await mesh.get("44", "/api/v1/problems", as_="440000_registrar",
                                params={"student_number": number})  # fmt: skip
        [row] = listed.json()["items"]
        body = {"record": number, "action": "change", "reason": "户籍信息更正",
                "proof": PNG_BASE64, "changes": changes}  # fmt: skip
        path = f"/api/v1/problems/{row['problem_id']}/actions"
        reply = await mesh.post("44", path, as_=f"{SCHOOL}_registrar", json=body)
        assert reply.status_code == 201, reply.text
        application = reply.json()["application"]
    else:
        body = {"type": "key_data_change", "student_number": number, "changes": changes}
        body |= {"reason": "户籍信息更正", "proof": PNG_BASE64}
        reply = await mesh.post("44", APPLICATIONS, as_=f"{SCHOOL}_registrar", json=body)
        assert reply.status_code == 201, reply.text
        application = reply.json()
    while application["status"] == "in_progress":
        step = application["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        path = f"{APPLICATIONS}/{application['id']}/decisions"
        decided = await mesh.post("44", path, as_=f"{step['unit_code']}_{role}",
                                  json={"approve": True, "opinion": "同意"})  # fmt: skip
        assert decided.status_code == 200, decided.text
        application = decided.json()
    assert application["status"] == "approved", application
    return application


async def _problem_status(mesh: Mesh, number: str) -> str | None:
    runtime = mesh.runtime("44")
    found = await runtime.writer(runtime.node.find, ProblemRecord.create_id("invalid_id", number))
    return None if found is None else found.status


async def _hub_number(mesh: Mesh, number: str, expected: str) -> bool:
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.by_number, number)
    return identity is not None and identity.student_number == expected


async def _run_done(mesh: Mesh, run_id: str, province: str = "44") -> dict:
    async def finished() -> bool:
        reply = await mesh.get(province, f"{RUNS}/{run_id}", as_=f"{province}0000_sysadmin")
        return reply.json()["status"] == "finished"

    await mesh.wait_until(finished)
    reply = await mesh.get(province, f"{RUNS}/{run_id}", as_=f"{province}0000_sysadmin")
    return reply.json()


async def test_scenario_l_student_corrected_by_kdc_is_authenticated_and_numbered_g(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 801, name="李四", authenticated=False)
    assert number[0] == "L" and await _problem_status(mesh, number) == "open"
    corrected = resident_id(region="440106", sequence=803)
    _known(mesh, corrected, "李四")  # the household register's number
    application = await _change(mesh, number, {"id_number": corrected}, problem=True)
    assert application["authentication"] == "passed"
    g_number = "G" + corrected
    record = await _record(mesh, number)  # the old number still finds the record
    assert (record["student_number"], record["auth_status"]) == (g_number, "passed")
    assert [(h["number"], h["new_number"]) for h in record["number_history"]] == [
        (number, g_number)
    ]
    assert (await _record(mesh, g_number))["id"] == record["id"]
    types = await _history_types(mesh, g_number)
    assert types.index("KeyDataChanged") < types.index("Renumbered")  # one transaction, in order
    assert await _problem_status(mesh, number) == "closed"  # PRB: the record is no problem now
    # the hub follows: the identity under the new ID holds the G, found by either number
    await mesh.wait_until(lambda: _hub_number(mesh, g_number, g_number))
    assert (await national_identity(mesh, "李四", number=number))["student_number"] == g_number
    found = await national_identity(mesh, "李四", id_number=corrected)
    assert (found["student_number"], found["former_numbers"]) == (g_number, [number])
    # the node's national query (QRY-4) over the bus, by the new number
    asked = await mesh.get("44", "/api/v1/national/students", as_=f"{SCHOOL}_registrar",
                           params={"name": "李四", "student_number": g_number})  # fmt: skip
    assert asked.status_code == 200 and g_number in asked.text, asked.text
    # the read model shows the new number
    runtime = mesh.runtime("44")
    await runtime.views.caught_up()
    listed = await mesh.get("44", "/api/v1/students", as_="440000_registrar",
                            params={"student_number": g_number})  # fmt: skip
    assert listed.status_code == 200, listed.text
    assert [s["student_number"] for s in listed.json()["items"]] == [g_number]
    # the student's page shows the number it held before
    async with console_session(mesh, f"{SCHOOL}_registrar") as console:
        page = await console.get(f"/students/{g_number}")
        assert page.status_code == 200 and "曾用学籍号" in page.text and number in page.text
    # a cross-province transfer finds the student by its new number
    case = await initiate(mesh, g_number)
    assert case.status_code == 201, case.text


async def test_id3_l_number_becomes_g_when_authentication_later_succeeds(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 805, name="周五", authenticated=False)
    id_number = (await _record(mesh, number))["id_number"]
    _known(mesh, id_number, "周五")  # the registry knows the child now
    mesh.clock.set(SPRING)
    reply = await mesh.post("44", RUNS, as_="440000_sysadmin")
    assert reply.status_code == 202, reply.text
    run = await _run_done(mesh, reply.json()["id"])
    assert run["upgraded"] >= 1
    record = await _record(mesh, number)
    assert record["student_number"] == "G" + id_number
    assert record["number_history"][0]["number"] == number
    assert await _problem_status(mesh, number) == "closed"
    await mesh.wait_until(lambda: _hub_number(mesh, number, "G" + id_number))


async def test_id3_j_number_becomes_g_when_a_resident_id_is_added(mesh: Mesh) -> None:
    parent = resident_id(region="440106", born=date(1985, 1, 1), sequence=1)
    guardian = {"name": "家长", "relation": "父亲", "id_type": "1", "id_number": parent}
    body = registration(SCHOOL, None, name="吴六", id_type="Z", sex="1", birth_date="2015-04-01")
    body |= {"guardians": [guardian], "proof": PNG_BASE64}
    reply = await mesh.post("44", "/api/v1/registrations", as_=f"{SCHOOL}_registrar", json=body)
    assert reply.status_code == 201, reply.text
    number = (await approve_fully(mesh, "44", reply.json()["id"]))["student_number"]
    assert number[0] == "J"
    added = resident_id(region="440106", born=date(2015, 4, 1), sequence=807)
    _known(mesh, added, "吴六")
    await _change(mesh, number, {"id_type": "1", "id_number": added})
    record = await _record(mesh, number)
    assert record["student_number"] == "G" + added
    assert record["number_history"][0]["number"] == number
    await mesh.wait_until(lambda: _hub_number(mesh, number, "G" + added))


async def test_id3_g_number_kept_when_id_number_changes(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 809, name="郑七")
    new_id = resident_id(region="440106", sequence=811)
    _known(mesh, new_id, "郑七")
    await _change(mesh, number, {"id_number": new_id})
    record = await _record(mesh, number)
    assert (record["student_number"], record["id_number"]) == (number, new_id)
    assert record["number_history"] == []
    assert "Renumbered" not in await _history_types(mesh, number)


async def test_prb5_formal_g_changed_to_foreign_gets_temporary_number(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 813, name="王八")
    assert number[0] == "G"
    await _change(mesh, number, {"id_type": "A", "id_number": "E12345678"})
    record = await _record(mesh, number)
    temporary = record["student_number"]
    assert temporary[0] == "L" and temporary[1:7] == SCHOOL[1:7]
    assert record["number_history"][0]["number"] == number
    assert (await _record(mesh, temporary))["id"] == record["id"]
    await mesh.wait_until(lambda: _hub_number(mesh, number, temporary))


async def test_reg5_spring_batch_reauthenticates_l_students(mesh: Mesh) -> None:
    passes = await enrolled_student(mesh, "44", 815, name="甲", authenticated=False)
    fails = await enrolled_student(mesh, "44", 817, name="乙", authenticated=False)
    formal = await enrolled_student(mesh, "44", 819, name="丙")
    _known(mesh, (await _record(mesh, passes))["id_number"], "甲")
    # autumn semester: refused, in Chinese, nothing stored
    refused = await mesh.post("44", RUNS, as_="440000_sysadmin")
    assert refused.status_code == 409 and refused.json()["code"] == "not_spring_semester"
    assert "春季学期" in refused.json()["detail"]
    assert (await mesh.get("44", RUNS, as_="440000_sysadmin")).json()["items"] == []
    # only the province's sysadmin starts it
    county = await mesh.post("44", RUNS, as_="440106_sysadmin")
    assert county.status_code == 403
    mesh.clock.set(SPRING)
    key = {"Idempotency-Key": "3f1c6a52-7d0e-4a8e-9c1b-0a6c2f1e9b01"}
    started = await mesh.post("44", RUNS, as_="440000_sysadmin", headers=key)
    assert started.status_code == 202, started.text
    again = await mesh.post("44", RUNS, as_="440000_sysadmin", headers=key)
    assert again.json()["id"] == started.json()["id"]  # the same command: the same run
    run = await _run_done(mesh, started.json()["id"])
    assert (run["total"], run["done"], run["upgraded"], run["failed"]) == (2, 2, 1, 1)
    assert run["unreachable"] == 0 and run["term"] == "2026-2"
    assert (await _record(mesh, passes))["student_number"][0] == "G"
    assert (await _record(mesh, fails))["student_number"] == fails
    assert (await _record(mesh, formal))["number_history"] == []
    assert await _problem_status(mesh, fails) == "open"
    listed = (await mesh.get("44", RUNS, as_="440000_sysadmin")).json()["items"]
    assert [r["id"] for r in listed] == [run["id"]]
    # the console page shows it, with its progress bar
    async with console_session(mesh, "440000_sysadmin") as console:
        page = await console.get("/reauthentication")
        assert page.status_code == 200 and "重新认证" in page.text and "<progress" in page.text
        fragment = await console.get(f"/reauthentication/{run['id']}")
        assert fragment.status_code == 200 and "已完成" in fragment.text
        assert "hx-trigger" not in fragment.text  # finished: no more polling


async def test_reg5_second_start_while_running_returns_the_running_one(mesh: Mesh) -> None:
    for sequence in (821, 823):
        await enrolled_student(mesh, "44", sequence, name="丁", authenticated=False)
    mesh.clock.set(SPRING)
    service = mesh.runtime("44").reauthentications
    service.chunk, service.pause = 1, 5.0  # the first chunk, then a long pause
    first = (await mesh.post("44", RUNS, as_="440000_sysadmin")).json()
    second = (await mesh.post("44", RUNS, as_="440000_sysadmin")).json()
    assert second["id"] == first["id"] and second["status"] == "running"
    unknown = await mesh.get("44", f"{RUNS}/{uuid4()}", as_="440000_sysadmin")
    assert unknown.status_code == 404 and unknown.json()["field"] == "id"


async def test_reg5_run_resumes_where_it_stopped_after_a_node_restart(mesh: Mesh) -> None:
    numbers = []
    for sequence, name in ((825, "戊"), (827, "己"), (829, "庚")):
        number = await enrolled_student(mesh, "44", sequence, name=name, authenticated=False)
        _known(mesh, (await _record(mesh, number))["id_number"], name)
        numbers.append(number)
    mesh.clock.set(SPRING)
    service = mesh.runtime("44").reauthentications
    service.chunk, service.pause = 1, 30.0  # one record, then the node stops in the pause
    run_id = (await mesh.post("44", RUNS, as_="440000_sysadmin")).json()["id"]

    async def one_done() -> bool:
        reply = await mesh.get("44", f"{RUNS}/{run_id}", as_="440000_sysadmin")
        return reply.json()["done"] == 1

    await mesh.wait_until(one_done)
    await mesh.stop("44")
    await mesh.start("44")  # the same store: the run goes on by itself
    run = await _run_done(mesh, run_id)
    assert (run["total"], run["done"], run["upgraded"], run["failed"]) == (3, 3, 3, 0)
    for number in numbers:
        record = await _record(mesh, number)
        assert record["student_number"][0] == "G"
        assert (await _history_types(mesh, number)).count("Renumbered") == 1  # never twice
