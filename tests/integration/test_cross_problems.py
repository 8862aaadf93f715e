"""PRB-1…PRB-4 on the hub: cross-province problem groups opened from the provinces' streams,
each side's report applied only from its own province, every change told to both provinces,
and the ministry's arbitration — over a real nats-server, one mesh for the module.

Most tests publish the provinces' messages on their streams with their own NATS
credentials, as a node would; the scenario at the end (issue 14 "Done when" (a)) runs through
both nodes' APIs.
"""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID, uuid4

import pytest

from contracts import subjects
from contracts.envelope import Actor, Envelope
from contracts.events import (
    EventSource,
    ProblemSideReported,
    StudentDeleted,
    StudentKeyDataChanged,
    StudentRegistered,
)
from simulations.demo import DEMO_PASSWORD
from tests.support.cases import enrolled_student
from tests.support.console import console_session
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import NatsServer
from tests.support.people import (
    JUNIOR_SCHOOL,
    MINISTRY,
    PNG_BASE64,
    REGISTRAR,
    registration,
    resident_id,
)
from xueji.clock import SHANGHAI


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    """One mesh for the whole module (tests/conftest.py `module_mesh`)."""
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")

PROVINCES = ["34", "44"]
PROBLEMS = "/api/v1/problems"
#: The newcomers' `StudentRegistered`, by number, to publish again.
REGISTERED: dict[str, StudentRegistered] = {}


# --- what a province publishes ----------------------------------------------------------------


def _source(province: str) -> EventSource:
    return EventSource(
        province=province,
        application=f"province-{province}",
        notification_id=1,
        aggregate_id=uuid4(),
        aggregate_version=1,
        occurred_at=datetime.now(SHANGHAI),  # as a node stamps its events: when stored
    )


def _envelope(province: str) -> Envelope:
    return Envelope(actor=Actor(account="t", unit_code=f"{province}0000", role="registrar"))


async def _publish(nats: NatsServer, province: str, subject: str, message) -> None:
    nc = await nats.connect(subjects.province_client(province))  # its own credentials
    try:
        await nc.jetstream().publish(subject, message.model_dump_json().encode())
    finally:
        await nc.close()


async def _applied(mesh: Mesh, province: str, before: int) -> None:
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position(province) > before)


async def _send(mesh: Mesh, nats: NatsServer, province: str, kind: str, message) -> None:
    """Publishes on `province`'s stream and waits until the hub applied (or recorded) it."""
    before = mesh.runtime("hub").hub.position(province)
    await _publish(nats, province, subjects.province_event(province, *kind.split(".")), message)
    await _applied(mesh, province, before)


async def _registered_elsewhere(
    mesh: Mesh, nats: NatsServer, holder: str, province: str, number: str
) -> dict:
    """The holder's person registered again in `province` (instant dedup was off there): the
    node's `StudentRegistered`, with the same identity."""
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.by_number, holder)
    event = StudentRegistered(
        envelope=_envelope(province),
        source=_source(province),
        registration_id=uuid4(),
        student_number=number,
        dedup_key=identity.dedup_key,
        id_type=identity.id_type,
        id_number=identity.id_number,
        name=identity.name,
        sex=identity.sex,
        birth_date=identity.birth_date,
        school_code=JUNIOR_SCHOOL[province],
        class_code="2026201",
    )
    await _send(mesh, nats, province, "student.registered", event)
    return {"event": event, "dedup_key": identity.dedup_key}


async def _report(mesh: Mesh, nats: NatsServer, province: str, group_id: str, number: str,
                  action: str, stage: str) -> None:  # fmt: skip
    report = ProblemSideReported(envelope=_envelope(province), source=_source(province),
                                 group_id=UUID(group_id), student_number=number, action=action,
                                 stage=stage)  # fmt: skip
    await _send(mesh, nats, province, "problem.side_reported", report)


async def _acts(mesh: Mesh, nats: NatsServer, province: str, group_id: str, number: str,
                action: str) -> None:  # fmt: skip
    """The side's action went through its approval (started, then acted)."""
    await _report(mesh, nats, province, group_id, number, action, "started")
    await _report(mesh, nats, province, group_id, number, action, "acted")


async def _deleted(mesh: Mesh, nats: NatsServer, province: str, number: str, key: str) -> None:
    event = StudentDeleted(envelope=_envelope(province), source=_source(province),
                           student_number=number, dedup_key=key)  # fmt: skip
    await _send(mesh, nats, province, "student.deleted", event)


async def _groups_of(mesh: Mesh, number: str) -> list[dict]:
    found = (await mesh.get("hub", PROBLEMS, as_=MINISTRY)).json()["items"]
    return [g for g in found if number in {s["student_number"] for s in g["sides"]}]


async def _group(mesh: Mesh, group_id: str) -> dict:
    response = await mesh.get("hub", f"{PROBLEMS}/{group_id}", as_=MINISTRY)
    assert response.status_code == 200, response.text
    return response.json()


def _state(group: dict, number: str) -> str:
    return next(s["state"] for s in group["sides"] if s["student_number"] == number)


async def _cross_group(mesh: Mesh, nats: NatsServer, sequence: int) -> tuple[str, str, str, str]:
    """A child enrolled in 34, then registered in 44: (group id, 34's number, 44's, key)."""
    holder = await enrolled_student(mesh, "34", sequence)
    newcomer = f"L440106201503{sequence:06d}"
    made = await _registered_elsewhere(mesh, nats, holder, "44", newcomer)
    REGISTERED[newcomer] = made["event"]
    (group,) = await _groups_of(mesh, newcomer)
    return group["id"], holder, newcomer, made["dedup_key"]


async def _last_notice(nats: NatsServer, province: str) -> dict:
    inspector = await nats.connect()  # the test inspector reads the stream
    try:
        msg = await inspector.jetstream().get_last_msg(
            subjects.HUB_OUT_STREAM, subjects.hub_out(province, "problem")
        )
    finally:
        await inspector.close()
    return json.loads(msg.data)


# --- PRB-1, PRB-2, PRB-4 --------------------------------------------------------------------


async def test_prb4_group_opened_on_the_hub_for_a_cross_province_duplicate(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    holder = await enrolled_student(mesh, "34", 601)
    newcomer = "L440106201503000601"
    made = await _registered_elsewhere(mesh, module_nats, holder, "44", newcomer)

    (group,) = await _groups_of(mesh, newcomer)
    assert group["kind"] == "duplicate_id" and group["state"] == "open"
    assert group["provinces"] == ["34", "44"] and group["locked"] is False
    sides = {s["student_number"]: s for s in group["sides"]}
    assert sides[newcomer]["state"] == "to_act"  # PRB-2: registered later, acts first
    assert sides[holder]["state"] == "waiting"
    assert sides[holder]["province"] == "34" and sides[holder]["school_code"] == JUNIOR_SCHOOL["34"]
    assert sides[holder]["name"] == "李四" and sides[holder]["birth_date"] == "2015-03-09"
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.identity, made["dedup_key"])
    assert identity.student_number == holder  # the holder keeps it meanwhile
    assert [d["student_number"] for d in identity.duplicates] == [newcomer]

    # Published again (after the stream's duplicate window): still the one open group.
    await _send(mesh, module_nats, "44", "student.registered", made["event"])
    assert len(await _groups_of(mesh, newcomer)) == 1
    assert len((await hub.writer(hub.hub.identity, made["dedup_key"])).duplicates) == 1

    # A duplicate within ONE province is that node's business: the hub opens nothing.
    same = "L340104201503000601"
    await _registered_elsewhere(mesh, module_nats, holder, "34", same)
    assert await _groups_of(mesh, same) == []

    wanted = {"type": "duplicate_id", "state": "open", "province": "44"}
    filtered = await mesh.get("hub", PROBLEMS, as_=MINISTRY, params=wanted)
    assert group["id"] in {g["id"] for g in filtered.json()["items"]}
    bad = await mesh.get("hub", PROBLEMS, as_=MINISTRY, params={"state": "nonsense"})
    assert bad.status_code == 422 and "state" in bad.text


async def test_prb1_key_data_change_onto_an_identity_held_elsewhere_opens_a_group(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    """KDC-3 → PRB-1: a 44 record whose corrected ID number is held by a 34 student: a group
    of the two on the hub; the changed record acts first (its key data changed later)."""
    holder = await enrolled_student(mesh, "34", 608)
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.by_number, holder)
    changed = "L440106201503000608"
    event = StudentKeyDataChanged(
        envelope=_envelope("44"), source=_source("44"), registration_id=uuid4(),
        student_number=changed, old_dedup_key="1:440106201503090608", dedup_key=identity.dedup_key,
        id_type="1", id_number=identity.id_number, name=identity.name, sex=identity.sex,
        birth_date=identity.birth_date, school_code=JUNIOR_SCHOOL["44"], class_code="2026201",
    )  # fmt: skip
    await _send(mesh, module_nats, "44", "student.key_data_changed", event)
    (group,) = await _groups_of(mesh, changed)
    assert group["kind"] == "duplicate_id"
    assert (_state(group, changed), _state(group, holder)) == ("to_act", "waiting")
    await _send(mesh, module_nats, "44", "student.key_data_changed", event)  # republished
    assert len(await _groups_of(mesh, changed)) == 1
    held = await hub.writer(hub.hub.identity, identity.dedup_key)
    assert [d["student_number"] for d in held.duplicates] == [changed]

    # 44 changes its record away again (PRB-3 变更): no longer a duplicate of 34's identity.
    away = event.model_copy(
        update={"source": _source("44"), "old_dedup_key": identity.dedup_key,
                "dedup_key": "1:440106201503090618", "id_number": "440106201503090618"}
    )  # fmt: skip
    await _send(mesh, module_nats, "44", "student.key_data_changed", away)
    held = await hub.writer(hub.hub.identity, identity.dedup_key)
    assert (held.student_number, held.duplicates) == (holder, [])
    assert (await hub.writer(hub.hub.identity, away.dedup_key)).student_number == changed


async def test_prb4_report_from_a_province_not_of_the_side_refused(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    group_id, holder, newcomer, _ = await _cross_group(mesh, module_nats, 602)
    before = await _group(mesh, group_id)

    # 34 reports for 44's record; 44 for a record not in the group; a group nobody opened.
    await _report(mesh, module_nats, "34", group_id, newcomer, "delete", "started")
    await _report(mesh, module_nats, "44", group_id, "L440106201503999999", "delete", "started")
    await _report(mesh, module_nats, "44", str(uuid4()), newcomer, "delete", "started")
    # 34's own record, but not its turn (PRB-2): refused too.
    await _report(mesh, module_nats, "34", group_id, holder, "corroborate", "started")

    letters = mesh.runtime("hub").hub.dead_letters()["latest"][:4]
    assert [x["code"] for x in reversed(letters)] == [
        "not_your_side", "unknown_record", "unknown_problem", "not_your_turn",
    ]  # fmt: skip
    after = await _group(mesh, group_id)
    assert after["sides"] == before["sides"] and after["version"] == before["version"]


async def test_prb4_each_side_sees_the_other_state(mesh: Mesh, module_nats: NatsServer) -> None:
    group_id, holder, newcomer, _ = await _cross_group(mesh, module_nats, 603)
    await _report(mesh, module_nats, "44", group_id, newcomer, "corroborate", "started")

    async def told(province: str, number: str, state: str) -> bool:
        notice = await _last_notice(module_nats, province)
        sides = {s["student_number"]: s for s in notice["group"]["sides"]}
        return notice["group_id"] == group_id and sides[number]["state"] == state

    for province in PROVINCES:  # both provinces: 44's record is locked in its approval
        await mesh.wait_until(lambda p=province: told(p, newcomer, "acting"))
    assert (await _group(mesh, group_id))["locked"] is True
    await _report(mesh, module_nats, "44", group_id, newcomer, "corroborate", "acted")
    for province in PROVINCES:  # 34 sees 44 corroborated, and that it is its turn now
        await mesh.wait_until(lambda p=province: told(p, holder, "to_act"))
    notice = await _last_notice(module_nats, "34")
    assert notice["province"] == "34" and notice["kind"] == "ProblemNotice"
    other = next(s for s in notice["group"]["sides"] if s["student_number"] == newcomer)
    assert (other["state"], other["province"], other["name"]) == ("corroborated", "44", "李四")
    assert "guardians" not in other  # PRB-4: the minimum to judge, never the family
    latest = await _last_notice(module_nats, "44")
    assert latest["group"]["history"][-1]["event"] == "turn"


# --- PRB-3 arbitration on the hub ------------------------------------------------------------


async def _both_corroborated(mesh: Mesh, nats: NatsServer, sequence: int):
    group_id, holder, newcomer, key = await _cross_group(mesh, nats, sequence)
    await _acts(mesh, nats, "44", group_id, newcomer, "corroborate")
    await _acts(mesh, nats, "34", group_id, holder, "corroborate")
    assert (await _group(mesh, group_id))["state"] == "arbitration"
    return group_id, holder, newcomer, key


async def test_prb3_ministry_arbitrates_cross_province_group(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    group_id, holder, newcomer, key = await _both_corroborated(mesh, module_nats, 604)
    path = f"{PROBLEMS}/{group_id}/arbitration"

    no_opinion = await mesh.post("hub", path, as_=MINISTRY, json={"winner": holder, "opinion": " "})
    assert no_opinion.status_code == 422 and no_opinion.json()["field"] == "opinion"
    stranger = await mesh.post("hub", path, as_=MINISTRY,
                               json={"winner": "G000000000000000000", "opinion": "x"})  # fmt: skip
    assert stranger.status_code == 422 and stranger.json()["field"] == "winner"
    assert (await _group(mesh, group_id))["state"] == "arbitration"  # nothing stored

    key_header = {"Idempotency-Key": str(uuid4())}
    body = {"winner": holder, "opinion": "34 省学籍注册在先，证明材料齐全"}
    decided = await mesh.post("hub", path, as_=MINISTRY, json=body, headers=key_header)
    assert decided.status_code == 200, decided.text
    group = decided.json()
    assert group["winner"] == holder and group["state"] == "open"
    assert (_state(group, holder), _state(group, newcomer)) == ("won", "lost")
    assert group["history"][-1]["opinion"] == body["opinion"]
    again = await mesh.post("hub", path, as_=MINISTRY, json=body, headers=key_header)
    assert again.status_code == 200 and again.json()["version"] == group["version"]
    twice = await mesh.post("hub", path, as_="moe_approver", json=body)
    assert twice.status_code == 409 and twice.json()["code"] == "not_in_arbitration"

    async def told_44() -> bool:
        notice = await _last_notice(module_nats, "44")
        return notice["group_id"] == group_id and notice["group"]["winner"] == holder

    await mesh.wait_until(told_44)

    # The loser may only change or delete: it deletes, and the index keeps one identity.
    await _report(mesh, module_nats, "44", group_id, newcomer, "corroborate", "started")
    assert mesh.runtime("hub").hub.dead_letters()["latest"][0]["code"] == "lost_arbitration"
    await _acts(mesh, module_nats, "44", group_id, newcomer, "delete")
    await _deleted(mesh, module_nats, "44", newcomer, key)
    closed = await _group(mesh, group_id)
    assert closed["state"] == "closed"
    assert (_state(closed, holder), _state(closed, newcomer)) == ("won", "deleted")
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.identity, key)
    assert (identity.status, identity.student_number, identity.duplicates) == (
        "enrolled", holder, []
    )  # fmt: skip
    # The loser's registration published again much later reopens nothing.
    await _send(mesh, module_nats, "44", "student.registered", REGISTERED[newcomer])
    assert [g["id"] for g in await _groups_of(mesh, newcomer)] == [group_id]
    assert (await hub.writer(hub.hub.identity, key)).duplicates == []


async def test_prb3_identity_moves_to_the_winner_when_the_holder_deletes(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    """The winner registered later: the holder (34) loses and deletes; the identity moves to
    44's record instead of being released — still exactly one identity for the key."""
    group_id, holder, newcomer, key = await _both_corroborated(mesh, module_nats, 605)
    decided = await mesh.post("hub", f"{PROBLEMS}/{group_id}/arbitration", as_=MINISTRY,
                              json={"winner": newcomer, "opinion": "以 44 省学籍为准"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    await _acts(mesh, module_nats, "34", group_id, holder, "delete")
    await _deleted(mesh, module_nats, "34", holder, key)
    hub = mesh.runtime("hub")
    identity = await hub.writer(hub.hub.identity, key)
    assert (identity.status, identity.province, identity.student_number) == (
        "enrolled", "44", newcomer
    )  # fmt: skip
    assert identity.school_code == JUNIOR_SCHOOL["44"] and identity.duplicates == []
    moved = await hub.writer(hub.hub.by_number, newcomer)
    assert moved is not None and moved.id == identity.id  # found by the winner's number too
    assert (await _group(mesh, group_id))["state"] == "closed"


async def test_prb3_arbitration_by_a_province_account_refused(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    group_id, holder, _newcomer, _ = await _both_corroborated(mesh, module_nats, 606)
    path = f"{PROBLEMS}/{group_id}/arbitration"
    body = {"winner": holder, "opinion": "同意"}

    # A province's account is not the ministry's: its node token means nothing on the hub,
    # and the province accounts do not exist there.
    token = await mesh.login("34", "340000_registrar")
    foreign = await mesh.post("hub", path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert foreign.status_code == 401
    async with mesh.client("hub") as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": "340000_registrar", "password": DEMO_PASSWORD}
        )
    assert login.status_code == 401
    # On the hub, only the ministry's registrar or approver arbitrates.
    sysadmin = await mesh.post("hub", path, as_="moe_sysadmin", json=body)
    assert sysadmin.status_code == 403 and sysadmin.json()["code"] == "ministry_arbiter_only"
    unknown = await mesh.post("hub", f"{PROBLEMS}/{uuid4()}/arbitration", as_=MINISTRY, json=body)
    assert unknown.status_code == 404 and unknown.json()["field"] == "group_id"
    extra = await mesh.post("hub", path, as_=MINISTRY, json=body | {"loser": holder})
    assert extra.status_code == 422
    group = await _group(mesh, group_id)
    assert group["state"] == "arbitration" and group["winner"] is None  # nothing stored


async def test_prb3_console_lists_groups_and_the_ministry_arbitrates(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    """跨省问题学籍 on the hub console: the list (是否锁定), the records side by side, the
    history, and the 问题学籍仲裁 form (a winner and an opinion required)."""
    group_id, holder, newcomer, _ = await _both_corroborated(mesh, module_nats, 607)
    async with console_session(mesh, "moe_registrar", "hub") as client:
        assert "跨省问题学籍" in (await client.get("/")).text  # in the menu
        listed = await client.get("/problems", params={"state": "arbitration"})
        assert listed.status_code == 200 and f"/problems/{group_id}" in listed.text
        assert "是否锁定" in listed.text and "身份证件号重复" in listed.text
        locked = await client.get("/problems", params={"locked": "yes"})
        assert f"/problems/{group_id}" not in locked.text  # nobody's action is in approval
        page = await client.get(f"/problems/{group_id}")
        assert page.status_code == 200
        for shown in (holder, newcomer, "李四", "2015-03-09", "已佐证", "问题学籍仲裁", "仲裁意见"):
            assert shown in page.text
        path = f"/problems/{group_id}/arbitration"
        missing = await client.post(path, data={"winner": holder, "opinion": ""})
        assert missing.status_code == 422 and "请填写仲裁意见" in missing.text
        no_winner = await client.post(path, data={"opinion": "同意"})
        assert no_winner.status_code == 422 and "请选择仲裁通过" in no_winner.text
        stored = await mesh.runtime("hub").problems.one(UUID(group_id))  # not the API: one
        assert stored["state"] == "arbitration"  # nothing stored       # login at a time
        done = await client.post(path, data={"winner": holder, "opinion": "以 34 省为准"})
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
        assert "已仲裁" in after.text and "仲裁通过" in after.text and "以 34 省为准" in after.text
    async with console_session(mesh, "moe_sysadmin", "hub") as client:
        page = await client.get(f"/problems/{group_id}")
        assert page.status_code == 200 and "提交仲裁" not in page.text
        refused = await client.post(f"/problems/{group_id}/arbitration",
                                    data={"winner": holder, "opinion": "x"})  # fmt: skip
        assert refused.status_code == 403


# --- issue 14 "Done when" (a): end to end through both nodes --------------------------------


async def _node_acts(mesh: Mesh, province: str, group_id: str, number: str, action: str) -> None:
    """A side acts through its own node (PRB-3: with a proof), and its approval runs through
    its chain (corroborate: school approver, then bureau; delete: the bureau)."""
    school = JUNIOR_SCHOOL[province]
    body = {"record": number, "action": action, "reason": "学校核实", "proof": PNG_BASE64}
    reply = await mesh.post(province, f"{PROBLEMS}/{group_id}/actions",
                            as_=f"{school}_registrar", json=body)  # fmt: skip
    assert reply.status_code == 201, reply.text
    path = f"{PROBLEMS}/actions/{reply.json()['application']['id']}"
    for _ in range(6):
        current = (await mesh.get(province, path, as_=f"{province}0000_registrar")).json()
        if current["status"] != "in_progress":
            assert current["status"] == "approved", current
            return
        step = current["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        decided = await mesh.post(province, f"{path}/decisions", json={"approve": True},
                                  as_=f"{step['unit_code']}_{role}")  # fmt: skip
        assert decided.status_code == 200, decided.text
    raise AssertionError("the chain did not end")


async def _node_group(mesh: Mesh, province: str, group_id: str) -> dict | None:
    reply = await mesh.get(province, f"{PROBLEMS}/{group_id}", as_=f"{province}0000_registrar")
    return reply.json() if reply.status_code == 200 else None


def _node_state(group: dict, number: str) -> str:
    return next(r["state"] for r in group["records"] if r["student_number"] == number)


async def test_scenario_prb_cross_province_duplicate_arbitrated_by_the_ministry(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    holder = await enrolled_student(mesh, "34", 700)
    id_number = resident_id(region=JUNIOR_SCHOOL["34"][1:7], sequence=700)
    switches = "/api/v1/admin/switches"
    off = await mesh.patch("44", switches, as_="440000_sysadmin", json={"instant_dedup": False})
    assert off.status_code == 200, off.text
    try:
        body = registration(JUNIOR_SCHOOL["44"], id_number, name="李四")
        created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
        assert created.status_code == 201, created.text
        await mesh.post("44", "/api/v1/admin/dedup/run", as_="440000_sysadmin")
        done = await approve_fully(mesh, "44", created.json()["id"])
    finally:
        await mesh.patch("44", switches, as_="440000_sysadmin", json={"instant_dedup": True})
    newcomer = done["student_number"]
    assert newcomer.startswith("L44")  # it went on, temporary, with the identity held in 34

    await mesh.wait_until(lambda: _groups_of(mesh, newcomer))
    (group,) = await _groups_of(mesh, newcomer)
    group_id = group["id"]

    async def mirrored(state: str) -> bool:  # both provinces agree with the hub
        hub_state = (await _group(mesh, group_id))["state"]
        nodes = [await _node_group(mesh, p, group_id) for p in PROVINCES]
        return hub_state == state and all(n is not None and n["state"] == state for n in nodes)

    async def turn(number: str) -> bool:  # the hub's word reached both nodes
        nodes = [await _node_group(mesh, p, group_id) for p in PROVINCES]
        return all(n is not None and _node_state(n, number) == "to_act" for n in nodes)

    await mesh.wait_until(lambda: mirrored("open"))
    await mesh.wait_until(lambda: turn(newcomer))
    await _node_acts(mesh, "44", group_id, newcomer, "corroborate")  # 44 registered later
    await mesh.wait_until(lambda: turn(holder))
    await _node_acts(mesh, "34", group_id, holder, "corroborate")
    await mesh.wait_until(lambda: mirrored("arbitration"))

    decided = await mesh.post("hub", f"{PROBLEMS}/{group_id}/arbitration", as_=MINISTRY,
                              json={"winner": holder, "opinion": "34 省学籍注册在先"})  # fmt: skip
    assert decided.status_code == 200, decided.text

    async def lost() -> bool:
        seen = await _node_group(mesh, "44", group_id)
        return seen is not None and _node_state(seen, newcomer) == "lost"

    await mesh.wait_until(lambda: mirrored("open"))
    await mesh.wait_until(lost)
    await _node_acts(mesh, "44", group_id, newcomer, "delete")  # the loser deletes
    await mesh.wait_until(lambda: mirrored("closed"))

    final = await _group(mesh, group_id)
    assert (_state(final, holder), _state(final, newcomer)) == ("won", "deleted")
    for province in PROVINCES:
        seen = await _node_group(mesh, province, group_id)
        assert (_node_state(seen, holder), _node_state(seen, newcomer)) == ("won", "deleted")
    gone = await mesh.get("44", f"/api/v1/students/{newcomer}", as_="440000_registrar")
    assert gone.status_code == 200 and gone.json()["status"] == "已删除"  # REG-9
    hub = mesh.runtime("hub")
    key = (await hub.writer(hub.hub.by_number, holder)).dedup_key
    identity = await hub.writer(hub.hub.identity, key)
    assert (identity.status, identity.province, identity.student_number) == (
        "enrolled", "34", holder
    )  # fmt: skip
    assert identity.duplicates == []  # the index holds one identity, the winner's
