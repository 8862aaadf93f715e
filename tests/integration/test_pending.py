"""待办: one read model of what awaits a unit and role, across every business (DESIGN §4a):
registration review (REG-6), deletion (REG-9) and the hub's cases (XPT-3) in one summary."""

from __future__ import annotations

import pytest

from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

SCHOOL = JUNIOR_SCHOOL["44"]
APPROVER, COUNTY = f"{SCHOOL}_approver", "440106_registrar"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the pending list does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _summary(mesh: Mesh, user: str) -> dict[str, int | None]:
    reply = await mesh.get("44", "/api/v1/pending/summary", as_=user)
    assert reply.status_code == 200, reply.text
    return {item["type"]: item["count"] for item in reply.json()["items"]}


async def _register(mesh: Mesh, sequence: int) -> dict:
    body = registration(SCHOOL, resident_id(sequence=sequence))
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert created.status_code == 201, created.text
    return created.json()


async def test_reg6_reg9_one_pending_list_serves_every_business(mesh: Mesh) -> None:
    first, second = await _register(mesh, 501), await _register(mesh, 503)
    assert await _summary(mesh, APPROVER) == {"registration": 2}
    assert await _summary(mesh, REGISTRAR["44"]) == {}  # nothing for the registrar yet
    decision = {"approve": True, "opinion": "同意"}
    path = f"/api/v1/registrations/{first['id']}/decisions"
    assert (await mesh.post("44", path, as_=APPROVER, json=decision)).is_success
    assert await _summary(mesh, APPROVER) == {"registration": 1}
    assert await _summary(mesh, REGISTRAR["44"]) == {"registration": 1}  # the report
    report = (await mesh.get("44", "/api/v1/registrations/pending", as_=REGISTRAR["44"])).json()
    assert [(i["id"], i["action"]) for i in report["items"]] == [(first["id"], "report")]

    student = await approve_fully(mesh, "44", second["id"])
    ask = f"/api/v1/students/{student['student_number']}/deletion-request"
    asked = await mesh.post("44", ask, as_=REGISTRAR["44"], json={"reason": "误操作重复录入"})
    assert asked.status_code == 200, asked.text
    assert (await _summary(mesh, COUNTY)).get("deletion") == 1
    listed = (await mesh.get("44", "/api/v1/applications/pending", as_=COUNTY)).json()
    assert [(i["type"], i["action"], i["title"]) for i in listed["items"]] == [
        ("deletion", "decide", student["student_number"])
    ]
    assert (await mesh.get("44", "/api/v1/applications/pending", as_=APPROVER)).json() == {
        "items": [],
        "total": 0,
    }
    confirm = {"approve": True, "opinion": "核实无误"}
    assert (await mesh.post("44", f"{ask}/decision", as_=COUNTY, json=confirm)).is_success
    assert "deletion" not in await _summary(mesh, COUNTY)


async def test_xpt3_summary_says_when_the_hub_cannot_answer(mesh: Mesh) -> None:
    await _register(mesh, 505)
    await mesh.stop("hub")
    summary = (await mesh.get("44", "/api/v1/pending/summary", as_=APPROVER)).json()["items"]
    by_type = {item["type"]: item for item in summary}
    assert by_type["registration"]["count"] == 1  # the province's own work still counts
    assert by_type["transfer"] == {
        "type": "transfer",
        "label": "跨省转学核办",
        "count": None,
        "unavailable": True,
    }
