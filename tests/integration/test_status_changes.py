"""学籍异动 and 省内转学 as the seed runs them [002 §7], [003 §三.2], [004 Q76–Q87]:
the school registrar applies, the school approver and the bureaus decide, the record changes.

Demo schools: 3440106002 (天河区第一初级中学, 5-4 system) and 3440106003 (its nine-year school)
in county 440106; 3440103002 (荔湾区第一初级中学, 6-3) in county 440103. On 2026-11-22 class
2025201 of a 5-4 junior school is national grade 7, of a 6-3 one grade 8.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from simulations.demo import DEMO_PASSWORD
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.people import PNG_BASE64
from xueji.clock import SHANGHAI

TIANHE, TIANHE_NINE_YEAR, LIWAN = "3440106002", "3440106003", "3440103002"
PATH = "/api/v1/applications"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _student(mesh: Mesh, school: str, sequence: int, known: bool = True) -> dict:
    """A registered student of class 2025201, authenticated (a `G` number) unless the
    population registry does not know them (`known=False`: an open problem record)."""
    number = await enrolled_student(
        mesh, "44", sequence, "张三", "2025201", authenticated=known, school=school
    )
    return {"student_number": number, "name": "张三"}


async def _apply(mesh: Mesh, school: str, body: dict, status: int = 201, **kw) -> dict:
    body = {"date": "2026-11-20", "reason": "因病休养"} | body
    reply = await mesh.post("44", PATH, as_=f"{school}_registrar", json=body, **kw)
    assert reply.status_code == status, reply.text
    return reply.json()


async def _decide(mesh: Mesh, application: dict, approve: bool = True, opinion: str = "同意"):
    step = application["step"]
    role = "approver" if step["level"] == "school" else "registrar"
    path = f"{PATH}/{application['id']}/decisions"
    reply = await mesh.post(
        "44", path, as_=f"{step['unit_code']}_{role}", json={"approve": approve, "opinion": opinion}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _through(mesh: Mesh, application: dict) -> dict:
    while application["status"] == "in_progress":
        application = await _decide(mesh, application)
    return application


async def _record(mesh: Mesh, number: str) -> dict:
    reply = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_chg1_chg2_suspension_then_resumption_into_the_next_grade(mesh: Mesh) -> None:
    student = await _student(mesh, TIANHE, 601)
    number = student["student_number"]
    applied = await _apply(mesh, TIANHE, {"type": "suspension", "student_number": number})
    assert (applied["status"], applied["type_label"]) == ("in_progress", "休学")
    assert [(s["level"], s["unit_code"]) for s in applied["chain"]] == [
        ("school", TIANHE),
        ("supervising", "440106"),
    ]
    done = await _through(mesh, applied)
    assert done["status"] == "approved"
    record = await _record(mesh, number)
    assert record["status"] == "休学" and record["in_flight"] is None
    assert record["suspension"] == {"date": "2026-11-20", "grade": 7, "class_code": "2025201"}
    counts = await mesh.get(
        "44",
        "/api/v1/statistics/students",
        as_=f"{TIANHE}_registrar",
        params={"by": "status", "status": ["在校", "休学"]},
    )
    assert {g["key"]: g["count"] for g in counts.json()["groups"]}.get("休学") == 1  # QRY-6

    # A year later the pupil comes back; the form shows when and in which grade the
    # suspension began, and the pupil joins a class of that grade or the next one.
    mesh.clock.set(datetime(2027, 9, 10, 10, tzinfo=SHANGHAI))
    back = {"type": "resumption", "student_number": number, "date": "2027-09-06"}
    too_far = await _apply(mesh, TIANHE, back | {"target_class_code": "2024201"}, 422)
    assert too_far["field"] == "target_class_code" and "7至8年级" in too_far["detail"]
    resumed = await _apply(mesh, TIANHE, back | {"target_class_code": "2025202"})
    assert resumed["suspension"]["grade"] == 7 and resumed["before"]["grade"] == 8
    await _through(mesh, resumed)
    record = await _record(mesh, number)
    assert (record["status"], record["class_code"], record["suspension"]) == (
        "在校",
        "2025202",
        None,
    )
    history = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440106_registrar")
    changes = [i for i in history.json()["items"] if i["type"] == "Changed"]
    assert [c["data"]["status"] for c in changes] == ["休学", "在校"]
    assert changes[-1]["actor"] == "440106_registrar" and changes[-1]["data"]["opinion"] == "同意"


async def test_chg1_expulsion_is_refused_for_a_compulsory_stage_pupil(mesh: Mesh) -> None:
    number = (await _student(mesh, TIANHE, 603))["student_number"]
    refused = await _apply(mesh, TIANHE, {"type": "expulsion", "student_number": number}, 409)
    assert refused["code"] == "not_allowed_for_stage" and "义务教育阶段" in refused["detail"]
    assert "教基一〔2013〕7号" in refused["detail"]
    listed = await mesh.get("44", PATH, as_=f"{TIANHE}_registrar")
    assert listed.json()["total"] == 0  # nothing stored
    assert (await _record(mesh, number))["in_flight"] is None


async def test_chg2_a_rejection_ends_the_application_and_the_school_may_apply_again(
    mesh: Mesh,
) -> None:
    number = (await _student(mesh, TIANHE, 605))["student_number"]
    applied = await _apply(mesh, TIANHE, {"type": "exit", "student_number": number})
    at_school = applied
    no_opinion = await mesh.post(
        "44",
        f"{PATH}/{applied['id']}/decisions",
        as_=f"{TIANHE}_approver",
        json={"approve": False},
    )
    assert no_opinion.status_code == 422 and no_opinion.json()["field"] == "opinion"
    ended = await _decide(mesh, at_school, approve=False, opinion="材料不全")
    assert ended["status"] == "rejected" and ended["step"] is None
    assert (await _record(mesh, number))["status"] == "在校"
    again = await _apply(mesh, TIANHE, {"type": "exit", "student_number": number})
    assert again["id"] != applied["id"] and again["status"] == "in_progress"


async def test_chg3_one_business_at_a_time_and_the_refusal_names_it(mesh: Mesh) -> None:
    number = (await _student(mesh, TIANHE, 607))["student_number"]
    await _apply(mesh, TIANHE, {"type": "suspension", "student_number": number})
    second = await _apply(mesh, TIANHE, {"type": "exit", "student_number": number}, 409)
    assert second["code"] == "business_in_flight" and "休学申请" in second["detail"]
    body = {"type": "transfer", "student_number": number, "student_name": "张三"}
    body |= {"target_class_code": "2025201", "proof": PNG_BASE64}
    elsewhere = await _apply(mesh, TIANHE_NINE_YEAR, body, 409)
    assert "休学申请" in elsewhere["detail"]
    unknown = (await _student(mesh, TIANHE, 608, known=False))["student_number"]
    problem = await _apply(mesh, TIANHE, {"type": "exit", "student_number": unknown}, 409)
    assert "问题学籍" in problem["detail"]


async def test_chg4_in_province_transfer_across_two_counties(mesh: Mesh) -> None:
    """转入学校申请 → 其审核 → 其主管教育局 → 转出学校 → 其主管教育局 → the record moves,
    same number and whole history; grade 8 of a 6-3 school joins grade 8 of a 5-4 school."""
    student = await _student(mesh, LIWAN, 609)
    number, name = student["student_number"], student["name"]
    body = {"type": "transfer", "student_number": number, "student_name": name}
    body |= {"target_class_code": "2024201", "reason": "随父母工作调动", "proof": PNG_BASE64}
    applied = await _apply(mesh, TIANHE, body)
    assert [(s["level"], s["unit_code"]) for s in applied["chain"]] == [
        ("school", TIANHE),
        ("supervising", "440106"),
        ("school", LIWAN),
        ("supervising", "440103"),
    ]
    assert applied["from_school_code"] == LIWAN and applied["after"]["grade"] == 8
    out_school = await mesh.get("44", PATH, as_=f"{LIWAN}_registrar", params={"type": "transfer"})
    assert [i["id"] for i in out_school.json()["items"]] == [applied["id"]]  # 转学查询, both sides
    done = await _through(mesh, applied)
    assert done["status"] == "approved" and len(done["history"]) == 4
    record = await _record(mesh, number)
    assert (record["school_code"], record["class_code"], record["status"]) == (
        TIANHE,
        "2024201",
        "在校",
    )
    assert record["student_number"] == number
    listed = await mesh.get(
        "44", "/api/v1/students", as_=f"{TIANHE}_registrar", params={"student_number": number}
    )
    assert [i["school_code"] for i in listed.json()["items"]] == [TIANHE]  # the views follow


async def test_chg4_within_one_county_the_two_bureau_steps_are_one(mesh: Mesh) -> None:
    student = await _student(mesh, TIANHE_NINE_YEAR, 611)
    body = {"type": "transfer", "student_number": student["student_number"]}
    body |= {"student_name": student["name"], "target_class_code": "2025201"}
    applied = await _apply(mesh, TIANHE, body | {"proof": PNG_BASE64})
    assert [(s["level"], s["unit_code"]) for s in applied["chain"]] == [
        ("school", TIANHE),
        ("school", TIANHE_NINE_YEAR),
        ("supervising", "440106"),
    ]


async def test_chg4_suspended_student_cannot_transfer(mesh: Mesh) -> None:
    student = await _student(mesh, LIWAN, 613)
    number = student["student_number"]
    await _through(
        mesh, await _apply(mesh, LIWAN, {"type": "suspension", "student_number": number})
    )
    body = {"type": "transfer", "student_number": number, "student_name": student["name"]}
    refused = await _apply(
        mesh, TIANHE, body | {"target_class_code": "2024201", "proof": PNG_BASE64}, 409
    )
    assert refused["code"] == "not_eligible" and "复学" in refused["detail"]


async def test_chg4_an_exited_student_transfers_and_keeps_the_status(mesh: Mesh) -> None:
    student = await _student(mesh, LIWAN, 615)
    number = student["student_number"]
    await _through(mesh, await _apply(mesh, LIWAN, {"type": "exit", "student_number": number}))
    body = {"type": "transfer", "student_number": number, "student_name": student["name"]}
    moved = await _through(
        mesh,
        await _apply(mesh, TIANHE, body | {"target_class_code": "2024201", "proof": PNG_BASE64}),
    )
    assert moved["status"] == "approved"
    record = await _record(mesh, number)
    assert (record["school_code"], record["status"]) == (TIANHE, "出境")  # until they report


async def test_chg4_the_initiating_school_revokes_while_in_progress(mesh: Mesh) -> None:
    student = await _student(mesh, LIWAN, 617)
    body = {"type": "transfer", "student_number": student["student_number"]}
    body |= {"student_name": student["name"], "target_class_code": "2024201", "proof": PNG_BASE64}
    applied = await _apply(mesh, TIANHE, body)
    path = f"{PATH}/{applied['id']}/revoke"
    assert (await mesh.post("44", path, as_=f"{LIWAN}_registrar")).status_code == 403
    revoked = await mesh.post("44", path, as_=f"{TIANHE}_registrar")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (await _record(mesh, student["student_number"]))["in_flight"] is None
    pending = await mesh.get("44", f"{PATH}/pending", as_=f"{TIANHE}_approver")
    assert pending.json()["total"] == 0


async def test_chg5_an_overdue_bureau_step_is_escalated_to_the_province(mesh: Mesh) -> None:
    number = (await _student(mesh, TIANHE, 619))["student_number"]
    applied = await _apply(mesh, TIANHE, {"type": "missing", "student_number": number})
    at_county = await _decide(mesh, applied)
    assert at_county["step"]["unit_code"] == "440106"
    path = f"{PATH}/{applied['id']}/escalate"
    early = await mesh.post("44", path, as_=f"{TIANHE}_registrar")
    assert early.status_code == 409 and early.json()["code"] == "not_overdue"
    mesh.clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))  # > 10 working days later
    escalated = await mesh.post("44", path, as_=f"{TIANHE}_registrar")
    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["step"]["unit_code"] == "440000"
    pending = await mesh.get("44", f"{PATH}/pending", as_="440000_registrar")
    assert [i["id"] for i in pending.json()["items"]] == [applied["id"]]
    assert (await mesh.get("44", f"{PATH}/pending", as_="440106_registrar")).json()["total"] == 0
    done = await _decide(mesh, escalated.json())
    assert done["status"] == "approved" and done["history"][-1]["unit_code"] == "440000"
    assert (await _record(mesh, number))["status"] == "失踪"


async def test_chg_bad_input_is_refused_naming_the_field_and_stores_nothing(mesh: Mesh) -> None:
    number = (await _student(mesh, TIANHE, 621))["student_number"]
    cases = [
        ({"type": "graduate"}, 422, "type"),
        ({"type": "suspension", "date": "2027-01-05"}, 422, "date"),
        ({"type": "repeat_grade", "target_class_code": "2025202"}, 422, "target_class_code"),
        ({"type": "skip_grade", "target_class_code": "2099201"}, 422, "target_class_code"),
        ({"type": "skip_grade", "target_class_code": "2024201"}, 201, None),
    ]
    for body, status, field in cases[:-1]:
        refused = await _apply(mesh, TIANHE, body | {"student_number": number}, status)
        assert refused["field"] == field, (body, refused)
    not_image = {"type": "exit", "student_number": number, "proof": "aGVsbG8="}
    assert (await _apply(mesh, TIANHE, not_image, 422))["field"] == "proof"
    other_school = await _apply(mesh, LIWAN, {"type": "exit", "student_number": number}, 403)
    assert other_school["code"] == "outside_jurisdiction"
    assert (await mesh.get("44", PATH, as_="440000_registrar")).json()["total"] == 0

    key = {"Idempotency-Key": "6b0d0a3e-7f4c-4a43-9a43-2b0d8f7e5a11"}
    body, _, _ = cases[-1]
    first = await _apply(mesh, TIANHE, body | {"student_number": number}, headers=key)
    again = await _apply(mesh, TIANHE, body | {"student_number": number}, headers=key)
    assert again["id"] == first["id"]
    path = f"{PATH}/{first['id']}/decisions"
    # SEC-8: a school that cannot see it is told what it would be told of a missing one
    outside = await mesh.post("44", path, as_=f"{LIWAN}_approver", json={"approve": True})
    missing = await mesh.post("44", f"{PATH}/{uuid4()}/decisions", as_=f"{LIWAN}_approver",
                              json={"approve": True})  # fmt: skip
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    early = await mesh.post("44", path, as_="440106_registrar", json={"approve": True})
    assert early.status_code == 403 and early.json()["code"] == "not_your_step"
    decision = {"approve": True, "opinion": "同意"}
    key = {"Idempotency-Key": "0f6e1a57-2f0c-4f1b-8d0e-3c5e9b7a1d22"}
    once = await mesh.post("44", path, as_=f"{TIANHE}_approver", json=decision, headers=key)
    twice = await mesh.post("44", path, as_=f"{TIANHE}_approver", json=decision, headers=key)
    assert once.json() == twice.json() and len(twice.json()["history"]) == 1
    assert (await mesh.get("44", PATH, as_="440000_registrar")).json()["total"] == 1


async def test_chg_queries_by_type_and_date_and_exports_by_type(mesh: Mesh) -> None:
    """异动查询 within the caller's jurisdiction; [004 Q77] the results exported by type,
    behind SEC-4's second account."""
    first = (await _student(mesh, TIANHE, 623))["student_number"]
    second = (await _student(mesh, LIWAN, 625))["student_number"]
    await _apply(mesh, TIANHE, {"type": "suspension", "student_number": first})
    await _apply(mesh, LIWAN, {"type": "exit", "student_number": second, "date": "2026-11-02"})
    province = "440000_registrar"

    async def ids(user: str, **params) -> list[str]:
        reply = await mesh.get("44", PATH, as_=user, params=params)
        assert reply.status_code == 200, reply.text
        return [i["student_number"] for i in reply.json()["items"]]

    assert sorted(await ids(province)) == sorted([first, second])
    assert await ids(province, type="exit") == [second]
    assert await ids(province, **{"from": "2026-11-10"}) == [first]
    assert await ids("440103_registrar") == [second]  # a county sees its own schools only
    assert await ids(f"{TIANHE}_registrar", student_number=second) == []

    export = f"{PATH}/export"
    unconfirmed = await mesh.get("44", export, as_=province, params={"type": "exit"})
    assert unconfirmed.status_code in (401, 403, 422), unconfirmed.text
    confirmed = {
        "X-Export-Confirmer": "440000_approver",
        "X-Export-Confirmer-Password": DEMO_PASSWORD,
    }
    reply = await mesh.get("44", export, as_=province, params={"type": "exit"}, headers=confirmed)
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(BytesIO(reply.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("异动类型", "全国学籍号", "姓名")
    assert [r[1] for r in rows[1:]] == [second] and rows[1][0] == "出境"


async def test_xpt8_no_transfer_starts_from_july_15_to_august_14(mesh: Mesh) -> None:
    """[003 §三.5]: 每年7月15日零时至8月14日24时学籍系统暂停发起转学业务 — in the province too."""
    student = await _student(mesh, LIWAN, 627)
    body = {"type": "transfer", "student_number": student["student_number"], "date": "2027-07-20"}
    body |= {"student_name": student["name"], "target_class_code": "2024201", "proof": PNG_BASE64}
    mesh.clock.set(datetime(2027, 7, 20, 10, tzinfo=SHANGHAI))
    refused = await _apply(mesh, TIANHE, body, 409)
    assert refused["code"] == "window_closed" and "7月15日至8月14日" in refused["detail"]
    suspension = {"type": "suspension", "student_number": student["student_number"]}
    await _apply(mesh, LIWAN, suspension | {"date": "2027-07-20"})  # other changes go on
