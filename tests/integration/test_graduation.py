"""毕业升级 as the seed runs it [002 §13], [003 §三.5]: the school graduates its graduating
grade (and past years' students), the chain approves, the bureau may roll a graduate back,
and on Aug 10 24:00 everyone else moves up a grade by itself.

Demo school 3440106002 (天河区第一初级中学) runs 5-4: on 2026-11-22 class 2023201 is junior
grade 4 = national grade 9, the graduating grade; class 2025201 is grade 7.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from simulations.demo import DEMO_PASSWORD, school_code
from tests.support.cases import admit_fully, enrolled_student, graduate, initiate
from tests.support.mesh import Mesh
from xueji.clock import SHANGHAI

TIANHE, PRIMARY = "3440106002", "3440106001"
GRADUATING, GRADE_SEVEN = "2023201", "2025201"
PATH = "/api/v1/graduations"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _apply(mesh: Mesh, body: dict, status: int = 201) -> dict:
    reply = await mesh.post(
        "44", PATH, as_=f"{TIANHE}_registrar", json={"school_code": TIANHE} | body
    )
    assert reply.status_code == status, reply.text
    return reply.json()


async def _record(mesh: Mesh, number: str) -> dict:
    reply = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _history(mesh: Mesh, number: str) -> list[str]:
    reply = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return [item["type"] for item in reply.json()["items"]]


async def test_grd1_a_graduating_class_graduates_through_its_chain(mesh: Mesh) -> None:
    first = await enrolled_student(mesh, "44", 801, class_code=GRADUATING, school=TIANHE)
    second = await enrolled_student(mesh, "44", 802, class_code=GRADUATING, school=TIANHE)
    younger = await enrolled_student(mesh, "44", 803, class_code=GRADE_SEVEN, school=TIANHE)
    applied = await _apply(mesh, {"class_codes": [GRADUATING]})
    assert applied["status"] == "in_progress" and applied["count"] == 2
    assert [(s["level"], s["unit_code"]) for s in applied["chain"]] == [
        ("school", TIANHE),
        ("supervising", "440106"),
    ]
    assert (await _record(mesh, first))["in_flight"]["label"] == "初中毕业申请"
    pending = await mesh.get("44", "/api/v1/applications/pending", as_=f"{TIANHE}_approver")
    assert [i["id"] for i in pending.json()["items"]] == [applied["id"]]
    for unit, role in ((TIANHE, "approver"), ("440106", "registrar")):
        decided = await mesh.post(
            "44", f"{PATH}/{applied['id']}/decisions", as_=f"{unit}_{role}",
            json={"approve": True, "opinion": "同意"},
        )  # fmt: skip
        assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    for number in (first, second):
        record = await _record(mesh, number)
        assert record["status"] == "毕业" and record["in_flight"] is None
        assert record["graduation"]["date"] == "2026-11-22"
    assert (await _record(mesh, younger))["status"] == "在校"
    found = await mesh.get("44", "/api/v1/graduates?year=2026&stage=2", as_="440106_registrar")
    assert sorted(i["student_number"] for i in found.json()["items"]) == sorted([first, second])


async def test_grd1_a_non_graduating_grade_is_refused_and_nothing_stored(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 811, class_code=GRADE_SEVEN, school=TIANHE)
    refused = await _apply(mesh, {"class_codes": [GRADE_SEVEN]}, status=409)
    assert refused["code"] == "not_graduating_grade" and GRADE_SEVEN in refused["detail"]
    picked = await _apply(mesh, {"student_numbers": [number]}, status=409)
    assert picked["code"] == "not_graduating_grade"
    assert (await _record(mesh, number))["in_flight"] is None
    unknown = await _apply(mesh, {"class_codes": ["2023299"]}, status=422)
    assert unknown["field"] == "class_codes"
    both = await _apply(mesh, {"class_codes": [GRADUATING], "student_numbers": [number]}, 422)
    assert both["code"] == "classes_or_students"


async def test_grd1_suspended_students_are_not_graduated(mesh: Mesh) -> None:
    """The seed excludes 休学、出国、开除、退学、失踪、死亡 from graduation [002 §13]."""
    staying = await enrolled_student(mesh, "44", 821, class_code=GRADUATING, school=TIANHE)
    suspended = await enrolled_student(mesh, "44", 822, class_code=GRADUATING, school=TIANHE)
    body = {"type": "suspension", "student_number": suspended, "date": "2026-11-20",
            "reason": "因病休养"}  # fmt: skip
    applied = await mesh.post("44", "/api/v1/applications", as_=f"{TIANHE}_registrar", json=body)
    application = applied.json()
    while application["status"] == "in_progress":
        step = application["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        application = (await mesh.post(
            "44", f"/api/v1/applications/{application['id']}/decisions",
            as_=f"{step['unit_code']}_{role}", json={"approve": True},
        )).json()  # fmt: skip
    assert (await _record(mesh, suspended))["status"] == "休学"
    whole_class = await _apply(mesh, {"class_codes": [GRADUATING]})
    assert [s["student_number"] for s in whole_class["students"]] == [staying]
    picked = await _apply(mesh, {"student_numbers": [suspended]}, status=409)
    assert picked["code"] == "not_eligible"


async def test_grd1_past_years_students_graduate_too(mesh: Mesh) -> None:
    """A class whose years ran out (last year's grade 9) still graduates its students."""
    number = await enrolled_student(mesh, "44", 831, class_code=GRADUATING, school=TIANHE)
    mesh.clock.set(datetime(2027, 10, 8, 10, 0, tzinfo=SHANGHAI))  # a school year later
    await graduate(mesh, number, "44", TIANHE)
    assert (await _record(mesh, number))["graduation"]["date"] == "2027-10-08"


async def test_grd1_a_repeated_application_answers_the_first(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 841, class_code=GRADUATING, school=TIANHE)
    headers = {"Idempotency-Key": "5b0e7f0c-2d1a-4c55-9e55-000000000841"}
    first = await mesh.post("44", PATH, as_=f"{TIANHE}_registrar", headers=headers,
                            json={"school_code": TIANHE, "student_numbers": [number]})  # fmt: skip
    again = await mesh.post("44", PATH, as_=f"{TIANHE}_registrar", headers=headers,
                            json={"school_code": TIANHE, "student_numbers": [number]})  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


async def test_grd2_rollback_by_the_bureau_within_six_months_then_only_the_province(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 851, class_code=GRADUATING, school=TIANHE)
    await graduate(mesh, number, "44", TIANHE)
    rollback = f"{PATH}/{number}/rollback"
    school = await mesh.post("44", rollback, as_=f"{TIANHE}_registrar", json={"reason": "误操作"})
    assert school.status_code == 403
    other = await mesh.post("44", rollback, as_="440103_registrar", json={"reason": "误操作"})
    assert other.status_code == 403 and other.json()["code"] == "outside_jurisdiction"
    back = await mesh.post("44", rollback, as_="440106_registrar", json={"reason": "误操作"})
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "在校" and back.json()["graduation"] is None
    await graduate(mesh, number, "44", TIANHE)
    mesh.clock.set(datetime(2027, 5, 23, 10, 0, tzinfo=SHANGHAI))  # six months and a day
    late = await mesh.post("44", rollback, as_="440106_registrar", json={"reason": "留级"})
    assert late.status_code == 403 and late.json()["code"] == "rollback_by_province"
    province = await mesh.post("44", rollback, as_="440000_registrar", json={"reason": "留级"})
    assert province.status_code == 200 and province.json()["status"] == "在校"
    assert _count(await _history(mesh, number), "GraduationRolledBack") == 2


async def test_grd3_promotion_moves_everyone_but_the_graduating_grade_once(mesh: Mesh) -> None:
    younger = await enrolled_student(mesh, "44", 861, class_code=GRADE_SEVEN, school=TIANHE)
    oldest = await enrolled_student(mesh, "44", 862, class_code=GRADUATING, school=TIANHE)
    before = await mesh.post("44", "/api/v1/promotions", as_="440000_sysadmin")
    assert before.status_code == 200 and before.json()["status"] == "not_run"  # not due yet
    mesh.clock.set(datetime(2027, 8, 11, 0, 1, tzinfo=SHANGHAI))  # Aug 10 24:00 has passed
    done = await mesh.post("44", "/api/v1/promotions", as_="440000_sysadmin")
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["school_year"], result["status"]) == (2027, "finished")
    assert (result["promoted"], result["stayed"]) == (1, 1)
    assert result["classes_opened"] > 0  # next year's grade-1 classes (ORG)
    again = await mesh.post("44", "/api/v1/promotions", as_="440000_sysadmin")
    assert again.json() == result  # run twice = once
    assert _count(await _history(mesh, younger), "Promoted") == 1
    assert _count(await _history(mesh, oldest), "Promoted") == 0
    school = await mesh.get("44", f"/api/v1/schools/{TIANHE}", as_="440000_registrar")
    assert "2027201" in {c["class_code"] for c in school.json()["classes"]}
    refused = await mesh.post("44", "/api/v1/promotions", as_="440000_registrar")
    assert refused.status_code == 403


def _count(types: list[str], name: str) -> int:
    return sum(1 for t in types if t == name)


async def test_grd_a_school_year_in_one_province(mesh: Mesh) -> None:
    """Jul: the graduating grade graduates; Aug 10 24:00: the others move up and next year's
    grade-1 classes open; Sep: new entrants register into them, last summer's primary graduate
    is admitted into one (ADM-2), and a junior graduate goes on to senior high in another
    province (PGE-1) straddling the new year."""
    younger = await enrolled_student(mesh, "44", 871, class_code=GRADE_SEVEN, school=TIANHE)
    leaver = await enrolled_student(mesh, "44", 872, class_code=GRADUATING, school=TIANHE)
    pupil = await enrolled_student(mesh, "44", 874, class_code="2022101", school=PRIMARY)
    mesh.clock.set(datetime(2027, 7, 10, 9, 0, tzinfo=SHANGHAI))
    await graduate(mesh, pupil, "44", PRIMARY)
    whole = await _apply(mesh, {"class_codes": [GRADUATING]})
    assert [s["student_number"] for s in whole["students"]] == [leaver]
    for unit, role in ((TIANHE, "approver"), ("440106", "registrar")):
        await mesh.post("44", f"{PATH}/{whole['id']}/decisions", as_=f"{unit}_{role}",
                        json={"approve": True})  # fmt: skip
    assert (await _record(mesh, leaver))["status"] == "毕业"
    mesh.clock.set(datetime(2027, 8, 11, 0, 1, tzinfo=SHANGHAI))
    for province in ("44", "34"):
        run = await mesh.post(province, "/api/v1/promotions", as_=f"{province}0000_sysadmin")
        assert run.json()["status"] == "finished", run.text
    assert _count(await _history(mesh, younger), "Promoted") == 1
    assert _count(await _history(mesh, leaver), "Promoted") == 0  # graduated: stays
    mesh.clock.set(datetime(2027, 9, 1, 9, 0, tzinfo=SHANGHAI))
    entrant = await enrolled_student(mesh, "44", 873, class_code="2027201", school=TIANHE)
    assert (await _record(mesh, entrant))["class_code"] == "2027201"  # opened by promotion
    suspension = {"type": "suspension", "student_number": younger, "date": "2027-09-01",
                  "reason": "因病休养"}  # fmt: skip
    applied = await mesh.post("44", "/api/v1/applications", as_=f"{TIANHE}_registrar",
                              json=suspension)  # fmt: skip
    assert applied.json()["before"]["grade"] == 8  # grade 7 last year
    admission = await admit_fully(mesh, pupil, TIANHE, importer="440106")
    placed = await mesh.post("44", f"/api/v1/admissions/{admission['id']}/assign-class",
                             as_=f"{TIANHE}_registrar", json={"class_code": "2027201"})  # fmt: skip
    assert placed.status_code == 200, placed.text
    record = await _record(mesh, pupil)
    assert (record["status"], record["school_code"], record["class_code"]) == (
        "在校", TIANHE, "2027201",
    )  # fmt: skip
    senior = school_code("340104", 4)
    pge = await initiate(mesh, leaver, path="/api/v1/enrollments", class_code="2027301",
                         registrar=f"{senior}_registrar")  # fmt: skip
    assert pge.status_code == 201, pge.text
    assert (pge.json()["from_grade"], pge.json()["target_grade"]) == (9, 10)


async def test_org_a_school_opens_next_years_class_by_hand_before_the_promotion(
    mesh: Mesh,
) -> None:
    """ORG (ID-5): by the promotion day a school opens next year's classes itself; the code
    names the year and stage, a stage the school does not teach or a far year is refused."""
    path = f"/api/v1/schools/{TIANHE}/classes"
    as_ = f"{TIANHE}_registrar"
    headers = {"Idempotency-Key": "5b0e7f0c-2d1a-4c55-9e55-000000000881"}
    opened = await mesh.post("44", path, as_=as_, json={"class_code": "2027203"}, headers=headers)
    assert opened.status_code == 201, opened.text
    assert opened.json() == {"class_code": "2027203", "grade": "初中2027级", "name": "初中1年级3班"}
    again = await mesh.post("44", path, as_=as_, json={"class_code": "2027203"}, headers=headers)
    assert again.status_code == 201 and again.json() == opened.json()  # BUS-2
    for code, refusal in (("2027203", "duplicate_class"), ("2027101", "stage_not_taught"),
                          ("2029201", "class_year_out_of_range")):  # fmt: skip
        refused = await mesh.post("44", path, as_=as_, json={"class_code": code})
        assert refused.status_code == 409 and refused.json()["code"] == refusal, refused.text
    bad = await mesh.post("44", path, as_=as_, json={"class_code": "2027401"})
    assert bad.status_code == 422 and bad.json()["field"] == "class_code"
    other = await mesh.post("44", "/api/v1/schools/3440103002/classes", as_=as_,
                            json={"class_code": "2027203"})  # fmt: skip
    assert other.status_code == 403
    school = await mesh.get("44", f"/api/v1/schools/{TIANHE}", as_="440000_registrar")
    assert "2027203" in {c["class_code"] for c in school.json()["classes"]}


async def test_grd4_graduate_query_by_year_stage_and_school_with_a_confirmed_export(
    mesh: Mesh,
) -> None:
    graduated = await enrolled_student(mesh, "44", 891, class_code=GRADUATING, school=TIANHE)
    await enrolled_student(mesh, "44", 892, class_code=GRADUATING, school=TIANHE)  # not yet
    await graduate(mesh, graduated, "44", TIANHE)
    county = "440106_registrar"

    async def numbers(**params) -> list[str]:
        reply = await mesh.get("44", "/api/v1/graduates", as_=county, params=params)
        assert reply.status_code == 200, reply.text
        return [i["student_number"] for i in reply.json()["items"]]

    assert await numbers(year=2026, stage="2", school_code=TIANHE) == [graduated]
    assert await numbers(year=2025) == [] and await numbers(stage="3") == []
    outside = await mesh.get("44", "/api/v1/graduates", as_="440103_registrar",
                             params={"school_code": TIANHE})  # fmt: skip
    assert outside.status_code in (403, 404)
    export = "/api/v1/graduates/export"
    unconfirmed = await mesh.get("44", export, as_=county, params={"year": 2026})
    assert unconfirmed.status_code in (401, 403, 422), unconfirmed.text
    confirmed = {"X-Export-Confirmer": "440106_approver",
                 "X-Export-Confirmer-Password": DEMO_PASSWORD}  # fmt: skip
    reply = await mesh.get("44", export, as_=county, params={"year": 2026}, headers=confirmed)
    assert reply.status_code == 200, reply.text
    rows = list(load_workbook(BytesIO(reply.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("全国学籍号", "姓名")
    assert [r[0] for r in rows[1:]] == [graduated] and rows[1][5] == "毕业"


async def test_sec8_a_foreign_graduation_answers_as_a_missing_one(mesh: Mesh) -> None:
    """A school of another county asks for Tianhe's graduation and for one that does not
    exist: the same 404, code and message (bar the id it asked for)."""
    number = await enrolled_student(mesh, "44", 861, class_code=GRADUATING, school=TIANHE)
    applied = await _apply(mesh, {"student_numbers": [number]})
    foreign = "3440103002_registrar"
    real = await mesh.get("44", f"{PATH}/{applied['id']}", as_=foreign)
    missing = await mesh.get("44", f"{PATH}/{uuid4()}", as_=foreign)
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json() and number not in real.text
    own = await mesh.get("44", f"{PATH}/{applied['id']}", as_=f"{TIANHE}_registrar")
    assert own.status_code == 200
