"""Cross-province transfer 跨省转学 on the hub, through the node APIs as the demo users
([002 §18]: transfer-in school → its bureau → transfer-out school → its bureau → pull)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from contracts import subjects
from contracts.cases import DecideCase
from contracts.meta import CommandMeta
from tests.support.cases import (
    TRANSFERS,
    approve_all,
    case_now,
    decide,
    decider,
    enrolled_student,
    initiate,
    national_identity,
)
from tests.support.mesh import Mesh
from tests.support.nats import NatsServer
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR

IN_SCHOOL, OUT_SCHOOL = JUNIOR_SCHOOL["34"], JUNIOR_SCHOOL["44"]


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def test_xpt1_seed_flow_four_decisions_then_pull_moves_the_record(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 501)
    found = await mesh.get(
        "34",
        "/api/v1/national/students",
        as_=REGISTRAR["34"],
        params={"name": "李四", "student_number": number},
    )
    assert found.status_code == 200 and found.json()["province"] == "44"

    created = await initiate(mesh, number)
    assert created.status_code == 201, created.text
    case = created.json()
    assert (case["status"], case["step"]) == ("in_progress", "in_school")
    assert [s["step"] for s in case["steps"]] == [
        "in_school",
        "in_bureau",
        "out_school",
        "out_bureau",
    ]
    assert [s["unit_code"] for s in case["steps"]] == [IN_SCHOOL, "340104", OUT_SCHOOL, "440106"]

    for step in case["steps"]:  # XPT-3: each unit sees exactly the case awaiting it, then decides
        pending = await mesh.get(step["province"], f"{TRANSFERS}/pending", as_=decider(step))
        assert [c["id"] for c in pending.json()["items"]] == [case["id"]]
        response = await decide(mesh, case)
        assert response.status_code == 200, response.text
        case = response.json()
    assert (case["status"], case["step"]) == ("approved", "archive_pull")

    before_pull = datetime.now(UTC).isoformat()
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text
    await mesh.wait_until(lambda: _status(mesh, case["id"], "completed"))
    then = await mesh.get(  # AUD-2: the record in 44 as it was before the transfer
        "44", f"/api/v1/students/{number}", as_=REGISTRAR["44"], params={"as_of": before_pull}
    )
    assert (then.json()["status"], then.json()["school_code"]) == ("在校", OUT_SCHOOL)

    arrived = (await mesh.get("34", f"/api/v1/students/{number}", as_=REGISTRAR["34"])).json()
    assert (arrived["school_code"], arrived["status"]) == (IN_SCHOOL, "在校")
    history = await mesh.get("34", f"/api/v1/students/{number}/history", as_=REGISTRAR["34"])
    types = [item["type"] for item in history.json()["items"]]
    assert types[0] == "Registered" and types[-1] == "TransferredIn"  # the 44 history came along
    left = (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()
    assert left["status"] == "转出"
    await mesh.wait_until(lambda: _noticed(mesh, number))  # the out-school is told
    await mesh.wait_until(lambda: _listed(mesh, "34", number, "在校"))  # the read models follow
    await mesh.wait_until(lambda: _listed(mesh, "44", number, "转出"))
    moved = await mesh.get(
        "44",
        "/api/v1/national/students",
        as_=REGISTRAR["44"],
        params={"name": "李四", "student_number": number},
    )
    assert (moved.json()["province"], moved.json()["status"]) == ("34", "在校")
    assert (await national_identity(mesh, "李四", number=number))["school_code"] == IN_SCHOOL
    final = await case_now(mesh, case["id"])
    assert [h["step"] for h in final["history"]] == [
        "initiated",
        "in_school",
        "in_bureau",
        "out_school",
        "out_bureau",
        "archive_pull",
        "completed",
    ]


async def test_xpt1_rejection_at_out_bureau_ends_the_case_and_frees_the_student(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 502)
    case = (await initiate(mesh, number)).json()
    for _ in range(3):
        case = (await decide(mesh, case)).json()
    assert case["step"] == "out_bureau"
    no_opinion = await decide(mesh, case, approve=False, opinion=None)
    assert no_opinion.status_code == 422 and no_opinion.json()["field"] == "opinion"
    rejected = await decide(mesh, case, approve=False, opinion="学籍信息有误")
    assert rejected.json()["status"] == "rejected"
    late = await decide(mesh, {**case, "steps": case["steps"][-1:]})
    assert late.status_code == 409 and late.json()["code"] == "case_closed"
    await mesh.wait_until(lambda: _locked(mesh, number, None))  # unlocked on 44 (CHG-3)
    again = await initiate(mesh, number)  # a new case may start
    assert again.status_code == 201, again.text


async def test_xpt4_revoke_by_the_initiating_school_until_the_pull(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 503)
    case = (await initiate(mesh, number)).json()
    await mesh.wait_until(lambda: _locked(mesh, number, case["id"]))
    stranger = await mesh.post("44", f"{TRANSFERS}/{case['id']}/revoke", as_=REGISTRAR["44"])
    assert stranger.status_code == 403
    revoked = await mesh.post("34", f"{TRANSFERS}/{case['id']}/revoke", as_=REGISTRAR["34"])
    assert revoked.json()["status"] == "revoked"
    await mesh.wait_until(lambda: _locked(mesh, number, None))

    second = (await initiate(mesh, number)).json()
    second = await approve_all(mesh, second)
    await mesh.post("34", f"{TRANSFERS}/{second['id']}/archive-pull", as_=REGISTRAR["34"])
    too_late = await mesh.post("34", f"{TRANSFERS}/{second['id']}/revoke", as_=REGISTRAR["34"])
    assert too_late.status_code == 409 and too_late.json()["code"] == "revoke_not_allowed"


async def test_xpt2_bad_initiations_are_refused_and_change_nothing(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 504)
    wrong_name = await initiate(mesh, number, name="王五")
    assert wrong_name.status_code == 404
    unknown = await initiate(mesh, "G" + "0" * 18)
    assert unknown.status_code == 404
    own_province = await initiate(mesh, number, province="44")
    assert own_province.status_code == 409 and own_province.json()["code"] == "same_province"
    bad_class = await initiate(mesh, number, class_code="2026299")
    assert bad_class.status_code == 422 and bad_class.json()["field"] == "class_code"
    big = await initiate(mesh, number, proof="A" * 3_000_000)
    assert big.status_code == 422 and big.json()["field"] == "proof"
    first = await initiate(mesh, number)
    in_flight = await initiate(mesh, number)
    assert in_flight.status_code == 409 and in_flight.json()["code"] == "business_in_flight"
    listed = await mesh.get("34", TRANSFERS, as_=REGISTRAR["34"])
    assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]


async def test_bus2_repeated_commands_answer_the_first_result(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 505)
    key = {"Idempotency-Key": "6f1c1d2e-0000-4000-8000-000000000001"}
    body = {
        "student_name": "李四",
        "student_number": number,
        "target_class_code": "2026201",
        "reason": "随迁",
    }
    one = await mesh.post("34", TRANSFERS, as_=REGISTRAR["34"], json=body, headers=key)
    two = await mesh.post("34", TRANSFERS, as_=REGISTRAR["34"], json=body, headers=key)
    assert one.json()["id"] == two.json()["id"]
    step = one.json()["steps"][0]
    decision = {"approve": True, "opinion": "同意"}
    path = f"{TRANSFERS}/{one.json()['id']}/decisions"
    dkey = {"Idempotency-Key": "6f1c1d2e-0000-4000-8000-000000000002"}
    first = await mesh.post("34", path, as_=decider(step), json=decision, headers=dkey)
    again = await mesh.post("34", path, as_=decider(step), json=decision, headers=dkey)
    assert first.json() == again.json() and first.json()["step"] == "in_bureau"


async def _status(mesh: Mesh, case_id: str, status: str) -> bool:
    return (await case_now(mesh, case_id))["status"] == status


async def _locked(mesh: Mesh, number: str, case_id: str | None) -> bool:
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()
    return record["case_id"] == case_id


async def _noticed(mesh: Mesh, number: str) -> bool:
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()
    return bool(record["notices"])


async def test_qry4_national_query_is_rate_limited_per_account(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 506)
    params = {"name": "李四", "student_number": number}
    answers = [
        (await mesh.get("34", "/api/v1/national/students", as_=REGISTRAR["34"], params=params))
        for _ in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert answers[30].status_code == 429 and answers[30].json()["code"] == "too_many_queries"
    other = await mesh.get("34", "/api/v1/national/students", as_="340104_registrar", params=params)
    assert other.status_code == 200  # the limit is per account
    wrong = await mesh.get(
        "34",
        "/api/v1/national/students",
        as_="340104_registrar",
        params={"name": "王五", "student_number": number},
    )
    assert wrong.status_code == 404  # the name must match the number


async def test_xpt5_tracking_by_jurisdiction_and_the_ministry_sees_all(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 507)
    case = (await initiate(mesh, number)).json()
    mesh.clock.advance(hours=1)
    decided = (await decide(mesh, case)).json()
    for province, user in (("34", "340000_registrar"), ("44", "440106_registrar")):
        listed = await mesh.get(province, TRANSFERS, as_=user)
        assert [c["id"] for c in listed.json()["items"]] == [case["id"]]
    outsider = await mesh.get("44", TRANSFERS, as_="440103_registrar")  # another county
    assert outsider.json()["items"] == []
    hidden = await mesh.get("44", f"{TRANSFERS}/{case['id']}", as_="440103_registrar")
    assert hidden.status_code == 404
    ministry = await mesh.get("hub", TRANSFERS, as_="moe_registrar", params={"to_province": "34"})
    assert [c["id"] for c in ministry.json()["items"]] == [case["id"]]
    before = await mesh.get(  # AUD-2: the case as it was before the school decided
        "hub",
        f"{TRANSFERS}/{case['id']}",
        as_="moe_registrar",
        params={"as_of": decided["history"][0]["at"]},
    )
    assert before.json()["step"] == "in_school" and decided["step"] == "in_bureau"
    who = decided["history"][1]
    assert (who["step"], who["account"], who["decision"]) == (
        "in_school",
        f"{IN_SCHOOL}_approver",
        "approved",
    )


async def test_bus1_forged_province_cannot_decide_another_province_s_step(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    """Province 34's node, with its own certificate, tries to decide 44's step: on 44's
    subject the server refuses it; on its own subject the hub refuses a body that speaks for
    44 or for a unit of 44 (it takes the acting province from the subject)."""
    number = await enrolled_student(mesh, "44", 508)
    case = (await initiate(mesh, number)).json()
    case = (await decide(mesh, case)).json()
    case = (await decide(mesh, case)).json()
    assert case["step"] == "out_school"  # awaits 44's school
    violations: list[str] = []

    async def on_error(exc: Exception) -> None:
        violations.append(str(exc))

    nc = await nats_server.connect(subjects.province_client("34"), error_cb=on_error)
    try:

        def forged(province: str) -> bytes:  # 44's school approver, as 34 makes it up
            return (
                DecideCase(
                    envelope=CommandMeta.new(
                        f"{OUT_SCHOOL}_approver", OUT_SCHOOL, "approver"
                    ).envelope(),
                    province=province,
                    case_id=case["id"],
                    approve=True,
                    opinion="同意",
                )
                .model_dump_json()
                .encode()
            )

        as_44 = subjects.hub_rpc("44", subjects.HUB_CASE_DECIDE)
        with pytest.raises((NatsTimeout, NoRespondersError)):
            await nc.request(as_44, forged("44"), timeout=0.5)
        await mesh.wait_until(
            lambda: any(f'publish to "{as_44}"' in v for v in violations), timeout=3
        )
        own = subjects.hub_rpc("34", subjects.HUB_CASE_DECIDE)
        for body, field in ((forged("44"), "province"), (forged("34"), "envelope.actor.unit_code")):
            error = json.loads((await nc.request(own, body, timeout=5)).data)["error"]
            assert (error["code"], error["field"]) == ("forged_province", field)
        garbage = await nc.request(own, b'{"kind": "DecideCase"}', timeout=5)
        assert json.loads(garbage.data)["error"]["status"] == 422
    finally:
        await nc.close()
    assert (await case_now(mesh, case["id"]))["step"] == "out_school"


async def _listed(mesh: Mesh, province: str, number: str, status: str) -> bool:
    found = await mesh.get(
        province,
        "/api/v1/students/info",
        as_=f"{province}0000_registrar",
        params={"student_number": number},
    )
    return [item["status"] for item in found.json()["items"]] == [status]


async def test_qry5_case_queries_and_pending_lists_filter(mesh: Mesh) -> None:
    first = await enrolled_student(mesh, "44", 509, name="赵一")
    second = await enrolled_student(mesh, "44", 510, name="钱二")
    one = (await initiate(mesh, first, name="赵一")).json()
    mesh.clock.advance(days=2)
    two = (await initiate(mesh, second, name="钱二")).json()
    two = (await decide(mesh, two)).json()

    async def ids(path: str, user: str, province: str = "34", **params) -> list[str]:
        found = await mesh.get(province, path, as_=user, params=params)
        assert found.status_code == 200, found.text
        return [c["id"] for c in found.json()["items"]]

    county = "340104_registrar"
    assert await ids(TRANSFERS, county) == [two["id"], one["id"]]  # newest first
    assert await ids(TRANSFERS, county, name="赵") == [one["id"]]
    assert await ids(TRANSFERS, county, student_number=second) == [two["id"]]
    assert await ids(TRANSFERS, county, from_province="44", to_province="34") == [
        two["id"],
        one["id"],
    ]
    assert await ids(TRANSFERS, county, from_province="37") == []
    assert await ids(TRANSFERS, county, date_from=two["initiated_at"][:10]) == [two["id"]]
    assert await ids(TRANSFERS, county, date_to=one["initiated_at"][:10]) == [one["id"]]
    assert await ids(TRANSFERS, county, status="rejected") == []
    assert await ids(f"{TRANSFERS}/pending", county) == [two["id"]]  # awaits the county
    assert await ids(f"{TRANSFERS}/pending", f"{IN_SCHOOL}_approver", name="赵") == [one["id"]]
    assert await ids(f"{TRANSFERS}/pending", f"{IN_SCHOOL}_approver", name="钱") == []
    assert await ids("/api/v1/enrollments", county) == []  # the flows keep their own lists
    bad = await mesh.get("34", TRANSFERS, as_=county, params={"from_province": "guangdong"})
    assert bad.status_code == 422 and bad.json()["field"] == "from_province"


async def test_aud2_naive_as_of_is_beijing_time_for_cases(mesh: Mesh) -> None:
    """`as_of` without a zone is Beijing time, for cases as for students (one parser)."""
    number = await enrolled_student(mesh, "44", 511)
    case = (await initiate(mesh, number)).json()  # 2026-11-22 10:00 Beijing
    mesh.clock.advance(hours=2)
    assert (await decide(mesh, case)).json()["step"] == "in_bureau"  # at 12:00 Beijing
    for service, user in (("34", REGISTRAR["34"]), ("hub", "moe_registrar")):
        path = f"{TRANSFERS}/{case['id']}"

        async def step_at(as_of: str) -> str:
            then = await mesh.get(service, path, as_=user, params={"as_of": as_of})  # noqa: B023
            assert then.status_code == 200, then.text
            return then.json()["step"]

        assert await step_at("2026-11-22T11:00:00") == "in_school"  # 03:00 UTC: before
        assert await step_at("2026-11-22T12:30:00") == "in_bureau"
        assert await step_at("2026-11-22T11:00:00+08:00") == "in_school"
        too_early = await mesh.get(service, path, as_=user, params={"as_of": "2026-11-22T09:00:00"})
        assert too_early.status_code == 404 and too_early.json()["field"] == "as_of"


async def test_chg3_open_problem_record_blocks_a_transfer(mesh: Mesh) -> None:
    """CHG-3: authentication failed → an open `invalid_id` problem record → no transfer."""
    number = await enrolled_student(mesh, "44", 512, authenticated=False)
    info = await mesh.get(
        "44", "/api/v1/students/info", as_="440000_registrar", params={"student_number": number}
    )
    assert info.json()["items"][0]["has_problem_record"]
    refused = await initiate(mesh, number)  # 34 asks; 44 holds the record and refuses
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "business_in_flight"
    assert "问题学籍" in refused.json()["detail"]  # the refusal names what is in flight
    listed = await mesh.get("34", TRANSFERS, as_=REGISTRAR["34"])
    assert listed.json()["items"] == []  # nothing stored
    assert (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()[
        "case_id"
    ] is None


async def test_xpt3_pending_lists_show_what_the_caller_can_do(mesh: Mesh) -> None:
    """Each item says its action; an approved case waits as a pull in the in-school
    registrar's list, not in its approver's (who could only be refused)."""
    number = await enrolled_student(mesh, "44", 513)
    case = (await initiate(mesh, number)).json()

    async def actions(user: str, province: str = "34") -> dict[str, str]:
        found = await mesh.get(province, f"{TRANSFERS}/pending", as_=user)
        assert found.status_code == 200, found.text
        return {c["id"]: c["action"] for c in found.json()["items"]}

    approver = f"{IN_SCHOOL}_approver"
    assert await actions(approver) == {case["id"]: "decide"}
    assert await actions(REGISTRAR["34"]) == {}  # a school step is its approver's
    case = await approve_all(mesh, case)
    assert case["status"] == "approved"
    assert await actions(approver) == {}
    assert await actions("340104_registrar") == {}
    assert await actions(REGISTRAR["34"]) == {case["id"]: "archive_pull"}
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text
    assert await actions(REGISTRAR["34"]) == {}


async def test_sys3_auto_archive_pull_switch_of_the_transfer_in_province_pulls_at_once(
    mesh: Mesh,
) -> None:
    """XPT-6: on when the hub's setting or the in-province's switch says so."""
    switch = {"auto_archive_pull": True}
    changed = await mesh.patch("44", "/api/v1/admin/switches", as_="440000_sysadmin", json=switch)
    assert changed.status_code == 200, changed.text
    kept = await approve_all(
        mesh, (await initiate(mesh, await enrolled_student(mesh, "44", 514))).json()
    )
    assert kept["status"] == "approved" and kept["awaiting_unit"] == IN_SCHOOL  # 44 is the out side
    changed = await mesh.patch("34", "/api/v1/admin/switches", as_="340000_sysadmin", json=switch)
    assert changed.status_code == 200, changed.text
    number = await enrolled_student(mesh, "44", 515)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    assert [h["step"] for h in case["history"]][-1] == "archive_pull"  # nobody pulled
    assert case["history"][-1]["account"] == "system"
    await mesh.wait_until(lambda: _status(mesh, case["id"], "completed"))
    arrived = (await mesh.get("34", f"/api/v1/students/{number}", as_=REGISTRAR["34"])).json()
    assert arrived["school_code"] == IN_SCHOOL
