"""REG-5's dedup path end to end over a real nats-server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id

SUBMITTED = "province_node.domain.registration:Registration.Submitted"


async def _indexed(mesh: Mesh, name: str, id_number: str) -> dict | None:
    response = await mesh.get(
        "hub",
        "/api/v1/national/students",
        as_=MINISTRY,
        params={"name": name, "id_number": id_number},
    )
    return response.json() if response.status_code == 200 else None


async def test_reg5_registration_reaches_national_identity_index(mesh: Mesh) -> None:
    id_number = resident_id()
    response = await mesh.post(
        "44",
        "/api/v1/registrations",
        as_=REGISTRAR["44"],
        json=registration(JUNIOR_SCHOOL["44"], id_number),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "in_review"  # REG-6: the student exists once approved
    assert created["dedup_status"] == "passed"
    number = created["student_number"]
    assert (
        await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])
    ).status_code == 404
    await approve_fully(mesh, "44", created["id"])
    assert number.startswith("L440106")  # ID-3: temporary until authentication (issue 4)

    record = (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()
    assert record["id_number"] == id_number
    assert record["sex"] == "1" and record["birth_date"] == "2015-03-09"  # derived, ID-2

    await mesh.wait_until(lambda: _has_number(mesh, "张三", id_number, number))
    found = await _indexed(mesh, "张三", id_number)
    assert found["province"] == "44" and found["status"] == "在校"  # QRY-4: its 学籍 status


async def _has_number(mesh: Mesh, name: str, id_number: str, number: str) -> bool:
    found = await _indexed(mesh, name, id_number)
    return found is not None and found["student_number"] == number


async def test_reg5_same_id_in_another_province_is_refused_with_dedup_conflict(
    mesh: Mesh,
) -> None:
    id_number = resident_id(sequence=456)
    first = await mesh.post(
        "44",
        "/api/v1/registrations",
        as_=REGISTRAR["44"],
        json=registration(JUNIOR_SCHOOL["44"], id_number),
    )
    assert first.status_code == 201

    key = str(uuid4())
    body = registration(JUNIOR_SCHOOL["34"], id_number, name="张三")
    refused = await mesh.post(
        "34",
        "/api/v1/registrations",
        as_=REGISTRAR["34"],
        json=body,
        headers={"Idempotency-Key": key},
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "dedup_conflict"
    assert problem["holder_province"] == "44"
    assert "广东省" in problem["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")

    # The refused registration is closed by the system, and a repeat answers the same.
    again = await mesh.post(
        "34",
        "/api/v1/registrations",
        as_=REGISTRAR["34"],
        json=body,
        headers={"Idempotency-Key": key},
    )
    assert (
        again.status_code == 409 and again.json()["registration_id"] == problem["registration_id"]
    )
    stored = (
        await mesh.get(
            "34", f"/api/v1/registrations/{problem['registration_id']}", as_=REGISTRAR["34"]
        )
    ).json()
    assert stored["status"] == "refused" and stored["dedup_status"] == "conflict"


async def test_bus2_repeated_registration_command_is_idempotent(mesh: Mesh) -> None:
    key = str(uuid4())
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=789), name="李四")
    first = await mesh.post(
        "44",
        "/api/v1/registrations",
        as_=REGISTRAR["44"],
        json=body,
        headers={"Idempotency-Key": key},
    )
    second = await mesh.post(
        "44",
        "/api/v1/registrations",
        as_=REGISTRAR["44"],
        json=body,
        headers={"Idempotency-Key": key},
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    node = mesh.runtime("44").node
    assert len(node.recorder.select_notifications(start=1, limit=1000, topics=[SUBMITTED])) == 1


async def test_reg5_same_person_in_two_provinces_at_the_same_moment_only_one_wins(
    mesh: Mesh,
) -> None:
    id_number = resident_id(sequence=999)
    results = await asyncio.gather(
        *(
            mesh.post(
                p,
                "/api/v1/registrations",
                as_=REGISTRAR[p],
                json=registration(JUNIOR_SCHOOL[p], id_number),
            )
            for p in ("44", "34")
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409).json()
    winner = "44" if results[0].status_code == 201 else "34"
    assert loser["code"] == "dedup_conflict" and loser["holder_province"] == winner
