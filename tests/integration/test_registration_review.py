"""Registration review (REG-6, REG-7) and deletion (REG-9) through the frozen chain (SYS-1)."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

import pytest

from contracts.meta import CommandMeta
from simulations.population import person
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, PNG_BASE64, REGISTRAR, registration, resident_id

SCHOOL = JUNIOR_SCHOOL["44"]  # 3440106002, supervised by county 440106
APPROVER, COUNTY = f"{SCHOOL}_approver", "440106_registrar"
PATH = "/api/v1/registrations"
JUNIOR_REGISTRAR_34 = f"{JUNIOR_SCHOOL['34']}_registrar"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the review rules do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _submit(mesh: Mesh, sequence: int, **extra) -> dict:
    body = registration(SCHOOL, resident_id(sequence=sequence)) | extra
    response = await mesh.post("44", PATH, as_=REGISTRAR["44"], json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _decide(
    mesh: Mesh, user: str, registration_id: str, approve: bool = True, opinion: str | None = "同意"
):
    return await mesh.post(
        "44",
        f"{PATH}/{registration_id}/decisions",
        as_=user,
        json={"approve": approve, "opinion": opinion},
    )


async def _pending(mesh: Mesh, user: str) -> dict[str, str]:
    items = (await mesh.get("44", f"{PATH}/pending", as_=user)).json()["items"]
    return {item["id"]: item["action"] for item in items}


async def test_reg6_school_review_report_then_supervising_bureau(mesh: Mesh) -> None:
    entry = await _submit(mesh, 301)
    assert [s["unit_code"] for s in entry["chain"]] == [SCHOOL, "440106"]  # frozen at creation
    assert await _pending(mesh, APPROVER) == {entry["id"]: "decide"}
    assert await _pending(mesh, COUNTY) == {}  # not yet reported

    early = await _decide(mesh, COUNTY, entry["id"])
    assert early.status_code == 403 and early.json()["code"] == "not_your_step"
    assert (await _decide(mesh, APPROVER, entry["id"])).json()["status"] == "school_approved"
    assert await _pending(mesh, REGISTRAR["44"]) == {entry["id"]: "report"}

    reported = await mesh.post(
        "44", f"{PATH}/report", as_=REGISTRAR["44"], json={"ids": [entry["id"]]}
    )
    assert reported.json()["items"][0]["step"]["unit_code"] == "440106"
    assert await _pending(mesh, COUNTY) == {entry["id"]: "decide"}
    assert await _pending(mesh, "440103_registrar") == {}  # another county sees nothing

    done = (await _decide(mesh, COUNTY, entry["id"])).json()
    assert done["status"] == "registered"
    assert [h["unit_code"] for h in done["history"]] == [SCHOOL, "440106"]
    student = await mesh.get("44", f"/api/v1/students/{done['student_number']}", as_=COUNTY)
    assert student.status_code == 200 and student.json()["status"] == "在校"


async def test_reg6_rejection_returns_to_the_registrar_with_an_opinion(mesh: Mesh) -> None:
    entry = await _submit(mesh, 302)
    no_opinion = await _decide(mesh, APPROVER, entry["id"], approve=False, opinion=" ")
    assert no_opinion.status_code == 422 and no_opinion.json()["field"] == "opinion"
    returned = (
        await _decide(mesh, APPROVER, entry["id"], approve=False, opinion="班级填写错误")
    ).json()
    assert returned["status"] == "returned" and returned["history"][0]["opinion"] == "班级填写错误"
    again = await mesh.post("44", f"{PATH}/{entry['id']}/resubmit", as_=REGISTRAR["44"])
    assert again.json()["status"] == "in_review"
    assert await _pending(mesh, APPROVER) == {entry["id"]: "decide"}


async def test_reg6_no_document_student_goes_up_to_the_province(mesh: Mesh) -> None:
    guardian = resident_id(born=date(1986, 1, 1), sequence=33)
    entry = await _submit(
        mesh,
        0,
        id_type="Z",
        proof=PNG_BASE64,
        id_number=None,
        sex="1",
        birth_date="2014-02-02",
        name="无证甲",
        guardians=[{"name": "家长", "relation": "父亲", "id_type": "1", "id_number": guardian}],
    )
    assert [s["level"] for s in entry["chain"]] == ["school", "supervising", "city", "province"]


async def test_reg6_pending_authentication_cannot_be_reviewed(mesh: Mesh) -> None:
    await mesh._registry_bus.close()  # the population registry is unreachable
    entry = await _submit(mesh, 303)
    assert entry["auth_status"] == "pending"
    refused = await _decide(mesh, APPROVER, entry["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "checks_pending"


async def test_reg7_batch_review_of_a_whole_school(mesh: Mesh) -> None:
    ids = {(await _submit(mesh, 310 + i))["id"] for i in range(3)}
    batch = await mesh.post(
        "44",
        f"{PATH}/decisions",
        as_=APPROVER,
        json={"school_code": SCHOOL, "id_group": "resident", "approve": True, "opinion": "同意"},
    )
    assert batch.status_code == 200 and {i["id"] for i in batch.json()["items"]} == ids
    assert set((await _pending(mesh, REGISTRAR["44"])).values()) == {"report"}
    await mesh.post("44", f"{PATH}/report", as_=REGISTRAR["44"], json={"ids": sorted(ids)})
    county = await mesh.post(
        "44",
        f"{PATH}/decisions",
        as_=COUNTY,
        json={"school_code": SCHOOL, "approve": True, "opinion": "同意"},
    )
    assert {i["status"] for i in county.json()["items"]} == {"registered"}
    assert await _pending(mesh, COUNTY) == {}
    assert await mesh.runtime("44").registrations.open_registrations([SCHOOL], None) == []


async def test_reg7_batch_decides_only_what_each_registration_itself_awaits(mesh: Mesh) -> None:
    """The batch's candidates come from the pending view; on the writer each registration's
    own state decides, so ids a view behind the log still names (decided meanwhile, awaiting
    another step) are passed over, never decided wrongly."""
    waiting, decided = await _submit(mesh, 330), await _submit(mesh, 331)
    assert (await _decide(mesh, APPROVER, decided["id"])).json()["status"] == "school_approved"
    runtime = mesh.runtime("44")
    meta = CommandMeta.new(APPROVER, SCHOOL, "approver")
    ids = [UUID(decided["id"]), UUID(waiting["id"])]  # as a stale view would name them
    at = runtime.clock.now().isoformat()
    items = await runtime.writer(
        runtime.reviews._decide_batch, SCHOOL, None, ids, True, "同意", at, meta
    )
    assert [(i["id"], i["status"]) for i in items] == [(waiting["id"], "school_approved")]
    stored = (await mesh.get("44", f"{PATH}/{decided['id']}", as_=REGISTRAR["44"])).json()
    assert (stored["status"], len(stored["history"])) == ("school_approved", 1)  # left as it was


async def test_reg9_single_delete_before_report_only(mesh: Mesh) -> None:
    first, second = await _submit(mesh, 320), await _submit(mesh, 321)
    deleted = await mesh.request_delete("44", f"{PATH}/{first['id']}", as_=REGISTRAR["44"])
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert first["id"] not in await _pending(mesh, APPROVER)
    in_progress = await mesh.runtime("44").registrations.open_registrations([SCHOOL], None)
    assert [r["id"] for r in in_progress] == [second["id"]]  # a deleted entry leaves the list

    await _decide(mesh, APPROVER, second["id"])
    await mesh.post("44", f"{PATH}/report", as_=REGISTRAR["44"], json={"ids": [second["id"]]})
    too_late = await mesh.request_delete("44", f"{PATH}/{second['id']}", as_=REGISTRAR["44"])
    assert too_late.status_code == 409 and too_late.json()["code"] == "not_deletable"
    other_school = await mesh.request_delete(
        "44", f"{PATH}/{second['id']}", as_="3440103002_registrar"
    )
    assert other_school.status_code == 409


async def test_reg9_apply_for_deletion_then_the_county_confirms(mesh: Mesh) -> None:
    entry = await _submit(mesh, 330)  # not in the population registry: a temporary L number
    done = await approve_fully(mesh, "44", entry["id"])
    number = done["student_number"]
    assert number.startswith("L")
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)

    path = f"/api/v1/students/{number}/deletion-request"
    asked = await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "误操作重复录入"})
    assert asked.status_code == 200 and asked.json()["deletion_requested"] is True
    other = await mesh.post(
        "44", f"{path}/decision", as_="440103_registrar", json={"approve": True}
    )
    assert other.status_code == 404  # out of sight: as if it did not exist (SEC-8)
    confirmed = await mesh.post("44", f"{path}/decision", as_=COUNTY, json={"approve": True})
    assert confirmed.json()["status"] == "已删除"

    # The hub frees the identity: the person may now be registered again, anywhere.
    await mesh.wait_until(lambda: hub.position("44") == 2)
    again = await mesh.post(
        "34",
        PATH,
        as_=JUNIOR_REGISTRAR_34,
        json=registration(JUNIOR_SCHOOL["34"], resident_id(sequence=330)),
    )
    assert again.status_code == 201, again.text


async def test_reg9_a_formal_number_cannot_be_deleted(mesh: Mesh) -> None:
    someone = person("44", 13)
    body = registration(SCHOOL, someone.id_number, name=someone.name)
    entry = (await mesh.post("44", PATH, as_=REGISTRAR["44"], json=body)).json()
    done = await approve_fully(mesh, "44", entry["id"])
    assert done["student_number"].startswith("G")
    refused = await mesh.post(
        "44",
        f"/api/v1/students/{done['student_number']}/deletion-request",
        as_=REGISTRAR["44"],
        json={"reason": "删除"},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "formal_number"


async def test_sec6_every_stored_change_names_its_actor_and_unit(mesh: Mesh) -> None:
    """SEC-6 / AUD-1: the record's history says who did what, from which unit."""
    entry = await _submit(mesh, 340)
    done = await approve_fully(mesh, "44", entry["id"])
    history = (
        await mesh.get("44", f"/api/v1/students/{done['student_number']}/history", as_=COUNTY)
    ).json()["items"]
    assert history[0]["type"] == "Registered"
    assert (history[0]["actor"], history[0]["unit"]) == (COUNTY, "440106")  # the last approver
    decisions = done["history"]
    assert [d["account"] for d in decisions] == [APPROVER, COUNTY]


async def test_reg9_repeated_deletion_decision_deletes_once(mesh: Mesh) -> None:
    """BUS-2: the same decision again answers the first result and stores nothing; another
    decision on a deletion already decided is refused; the hub hears of it once."""
    entry = await _submit(mesh, 350)
    number = (await approve_fully(mesh, "44", entry["id"]))["student_number"]
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)
    path = f"/api/v1/students/{number}/deletion-request"
    await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "误操作重复录入"})

    key = {"Idempotency-Key": "6f1b1d7e-3c2a-4f43-9d0e-1a2b3c4d5e6f"}
    body = {"approve": True, "opinion": "同意"}
    first = await mesh.post("44", f"{path}/decision", as_=COUNTY, json=body, headers=key)
    repeat = await mesh.post("44", f"{path}/decision", as_=COUNTY, json=body, headers=key)
    assert first.status_code == repeat.status_code == 200
    assert repeat.json() == first.json() and first.json()["status"] == "已删除"
    for decision in ({"approve": True}, {"approve": False, "opinion": "不同意"}):
        again = await mesh.post("44", f"{path}/decision", as_=COUNTY, json=decision)
        assert again.status_code == 409 and again.json()["code"] == "deletion_decided"

    node = mesh.runtime("44").node
    topics = [
        "province_node.domain.student:Student.Deleted",
        "province_node.domain.student:Student.DeletionRefused",
    ]
    stored = node.recorder.select_notifications(start=1, limit=1000, topics=topics)
    assert [n.topic.rsplit(".", 1)[1] for n in stored] == ["Deleted"]
    await mesh.wait_until(lambda: hub.position("44") == 2)
    await asyncio.sleep(0.5)  # the relay had time to publish anything more
    assert hub.position("44") == 2  # one StudentDeleted


async def test_reg9_a_refused_deletion_answers_its_repeat_and_may_be_asked_again(
    mesh: Mesh,
) -> None:
    entry = await _submit(mesh, 351)
    number = (await approve_fully(mesh, "44", entry["id"]))["student_number"]
    path = f"/api/v1/students/{number}/deletion-request"
    await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "误操作"})
    key = {"Idempotency-Key": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"}
    body = {"approve": False, "opinion": "材料不足"}
    refused = await mesh.post("44", f"{path}/decision", as_=COUNTY, json=body, headers=key)
    repeat = await mesh.post("44", f"{path}/decision", as_=COUNTY, json=body, headers=key)
    assert refused.status_code == repeat.status_code == 200
    assert repeat.json() == refused.json() and refused.json()["deletion_requested"] is False
    late = await mesh.post("44", f"{path}/decision", as_=COUNTY, json={"approve": True})
    assert late.status_code == 409 and late.json()["code"] == "deletion_decided"
    asked = await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "确系误操作"})
    assert asked.status_code == 200  # a new request, decided anew
    confirmed = await mesh.post("44", f"{path}/decision", as_=COUNTY, json={"approve": True})
    assert confirmed.json()["status"] == "已删除"
