"""控辍保学 as the seed runs it [002 §12]: the school records a student as suspected or dropped
out, school and bureau take measures, a suspected case is marked dropped out, the school
applies for the return, the bureau approves (batch allowed), the student is back in class and
the query shows the finished case.

Demo school 3440106002 (天河区第一初级中学, 5-4, county 440106) has classes 2026201/2026202
(初中2026级) and 2025201 (初中2025级); 3440106001 is the county's primary school.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from simulations.demo import DEMO_PASSWORD
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.people import resident_id

TIANHE, PRIMARY, COUNTY = "3440106002", "3440106001", "440106"
SCHOOL, BUREAU = f"{TIANHE}_registrar", f"{COUNTY}_registrar"
PATH = "/api/v1/dropouts"
MEASURE = {"unit": "天河区第一初级中学", "person": "张老师", "measure": "家访劝返",
           "time": "2026-11-20 14:26", "result": "家长同意返校"}  # fmt: skip


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _record(mesh: Mesh, number: str, kind: str = "suspected", status: int = 201,
                  **extra) -> dict:  # fmt: skip
    body = {"student_number": number, "kind": kind, "date": "2026-11-10", "note": "家庭困难"}
    reply = await mesh.post("44", PATH, as_=SCHOOL, json=body | extra)
    assert reply.status_code == status, reply.text
    return reply.json()


async def _student(mesh: Mesh, number: str) -> dict:
    reply = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _case(mesh: Mesh, case_id: str, as_: str = BUREAU) -> dict:
    reply = await mesh.get("44", f"{PATH}/{case_id}", as_=as_)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _list(mesh: Mesh, as_: str = BUREAU, **params) -> list[str]:
    reply = await mesh.get("44", PATH, as_=as_, params=params)
    assert reply.status_code == 200, reply.text
    return [item["student_number"] for item in reply.json()["items"]]


async def _dropped_out_with_return(mesh: Mesh, sequence: int, class_code: str = "2026202"):
    number = await enrolled_student(mesh, "44", sequence, class_code="2026201", school=TIANHE)
    case = await _record(mesh, number, "dropped_out")
    body = {"date": "2026-11-21", "class_code": class_code, "note": "劝学返校"}
    reply = await mesh.post("44", f"{PATH}/{case['id']}/return", as_=SCHOOL, json=body)
    assert reply.status_code == 201, reply.text
    return number, reply.json()


async def test_drp_scenario_suspected_measures_dropped_out_return_approved(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 701, "王小明", "2026201", school=TIANHE)
    case = await _record(mesh, number, student_name="王小明")
    assert case["state"] == "suspected" and case["suspected_date"] == "2026-11-10"
    record = await _student(mesh, number)
    assert record["status"] == "在校" and record["in_flight"]["label"] == "控辍保学"
    # DRP-3: the school and the county take measures; the county corrects its own
    for who in (SCHOOL, BUREAU):
        added = await mesh.post("44", f"{PATH}/{case['id']}/measures", as_=who, json=MEASURE)
        assert added.status_code == 201, added.text
    edited = await mesh.patch("44", f"{PATH}/{case['id']}/measures/2", as_=BUREAU,
                              json={"result": "学生仍未返校"})  # fmt: skip
    assert edited.status_code == 200, edited.text
    # DRP-2: marked dropped out
    confirmed = await mesh.post("44", f"{PATH}/{case['id']}/confirm", as_=SCHOOL,
                                json={"date": "2026-11-15", "note": "厌学"})  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "dropped_out"
    # DRP-4: the return climbs to the county
    body = {"date": "2026-11-21", "grade": "初中2026级", "class_code": "2026202"}
    body["note"] = "劝学返校"
    applied = await mesh.post("44", f"{PATH}/{case['id']}/return", as_=SCHOOL, json=body)
    assert applied.status_code == 201, applied.text
    application = applied.json()["return_application"]
    assert application["status"] == "in_progress"
    assert [(s["level"], s["unit_code"]) for s in application["chain"]] == [("supervising", COUNTY)]
    summary = await mesh.get("44", "/api/v1/pending/summary", as_=BUREAU)
    assert {"type": "dropout_return", "label": "控辍保学返校审核", "count": 1} in summary.json()[
        "items"
    ]
    decided = await mesh.post("44", f"{PATH}/returns/{application['id']}/decisions", as_=BUREAU,
                              json={"approve": True, "opinion": "同意返校"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    record = await _student(mesh, number)
    assert record["class_code"] == "2026202" and record["in_flight"] is None
    assert record["status"] == "在校"
    finished = await _case(mesh, case["id"])
    assert finished["state"] == "finished" and finished["returned"]["class_code"] == "2026202"
    measures = finished["measures"]
    assert [m["by_unit"] for m in measures] == [TIANHE, COUNTY]
    assert measures[1]["result"] == "学生仍未返校"
    assert measures[1]["edits"][0]["before"] == {"result": "家长同意返校"}
    assert number not in await _list(mesh, state="open")
    assert number in await _list(mesh, state="finished")
    assert number in await _list(mesh, name="王小明")
    # the return's class move is in the student's history
    history = await mesh.get("44", f"/api/v1/students/{number}/history", as_=BUREAU)
    assert "Changed" in [item["type"] for item in history.json()["items"]]


async def test_drp1_records_suspected_or_dropped_out_and_holds_the_record(mesh: Mesh) -> None:
    suspected = await enrolled_student(mesh, "44", 711, class_code="2026201", school=TIANHE)
    dropped = await enrolled_student(mesh, "44", 712, class_code="2026201", school=TIANHE)
    first = await _record(mesh, suspected)
    second = await _record(mesh, dropped, "dropped_out")
    assert (first["state"], second["state"]) == ("suspected", "dropped_out")
    assert second["dropout_date"] == "2026-11-10" and second["suspected_date"] is None
    # a second open record for the same student: refused by the student's one lock (CHG-3)
    again = await _record(mesh, suspected, "dropped_out", status=409)
    assert again["code"] == "business_in_flight" and "控辍保学" in again["detail"]
    # nor does any other business start meanwhile (CHG-4: dropped-out students do not move)
    body = {"type": "suspension", "student_number": dropped, "date": "2026-11-20",
            "reason": "因病休养"}  # fmt: skip
    blocked = await mesh.post("44", "/api/v1/applications", as_=SCHOOL, json=body)
    assert blocked.status_code == 409 and "控辍保学" in blocked.json()["detail"]
    assert sorted(await _list(mesh, state="open")) == sorted([suspected, dropped])


async def test_drp1_drp4_a_repeated_write_answers_the_first(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 715, class_code="2026201", school=TIANHE)
    key = {"Idempotency-Key": "7c1d5f0e-2d1a-4c55-9e55-000000000715"}
    body = {"student_number": number, "kind": "dropped_out", "date": "2026-11-10", "note": "厌学"}
    first = await mesh.post("44", PATH, as_=SCHOOL, json=body, headers=key)
    again = await mesh.post("44", PATH, as_=SCHOOL, json=body, headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    back = {"date": "2026-11-21", "class_code": "2026202", "note": "返校"}
    key = {"Idempotency-Key": "7c1d5f0e-2d1a-4c55-9e55-000000000716"}
    path = f"{PATH}/{first.json()['id']}/return"
    applied = await mesh.post("44", path, as_=SCHOOL, json=back, headers=key)
    repeated = await mesh.post("44", path, as_=SCHOOL, json=back, headers=key)
    assert applied.status_code == repeated.status_code == 201, repeated.text
    assert applied.json()["return_application"]["id"] == repeated.json()["return_application"]["id"]
    assert await _list(mesh) == [number]


async def test_drp1_bad_input_is_refused_naming_the_field_and_nothing_stored(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 721, class_code="2026201", school=TIANHE)
    other = await enrolled_student(mesh, "44", 722, class_code="2026101", school=PRIMARY)
    unknown = await _record(mesh, f"G{resident_id(region='440106', sequence=729)}", status=404)
    assert unknown["field"] == "student_number"
    outside = await _record(mesh, other, status=403)
    assert outside["field"] == "student_number" and "本校" in outside["detail"]
    no_date = await mesh.post(
        "44", PATH, as_=SCHOOL, json={"student_number": number, "kind": "suspected", "note": "x"}
    )
    assert no_date.status_code == 422 and no_date.json()["field"] == "date"
    assert "疑似辍学日期" in no_date.json()["detail"]
    no_note = await _record(mesh, number, note="", status=422)
    assert no_note["field"] == "note" and "请填写疑似辍学说明" in no_note["detail"]
    bad_kind = await _record(mesh, number, "gone", status=422)
    assert bad_kind["field"] == "kind"
    future = await _record(mesh, number, date="2026-12-01", status=422)
    assert future["field"] == "date"
    wrong_name = await _record(mesh, number, student_name="别人", status=404)
    assert wrong_name["field"] == "student_name"
    by_county = await mesh.post("44", PATH, as_=BUREAU,
                                json={"student_number": number, "kind": "suspected",
                                      "date": "2026-11-10", "note": "x"})  # fmt: skip
    assert by_county.status_code == 403
    assert await _list(mesh) == [] and (await _student(mesh, number))["in_flight"] is None


async def test_drp1_a_student_with_business_in_flight_is_refused(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 731, class_code="2026201", school=TIANHE)
    body = {"type": "suspension", "student_number": number, "date": "2026-11-20",
            "reason": "因病休养"}  # fmt: skip
    applied = await mesh.post("44", "/api/v1/applications", as_=SCHOOL, json=body)
    assert applied.status_code == 201, applied.text
    refused = await _record(mesh, number, status=409)
    assert refused["code"] == "business_in_flight" and "休学申请" in refused["detail"]
    assert await _list(mesh) == []


async def test_drp2_only_a_suspected_case_is_marked_dropped_out(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 741, class_code="2026201", school=TIANHE)
    case = await _record(mesh, number)
    path = f"{PATH}/{case['id']}/confirm"
    early = await mesh.post("44", path, as_=SCHOOL, json={"date": "2026-11-01", "note": "厌学"})
    assert early.status_code == 422 and early.json()["field"] == "date"
    missing = await mesh.post("44", path, as_=SCHOOL, json={"note": "厌学"})
    assert missing.status_code == 422 and missing.json()["field"] == "date"
    by_county = await mesh.post("44", path, as_=BUREAU, json={"date": "2026-11-15", "note": "厌学"})
    assert by_county.status_code == 403
    headers = {"Idempotency-Key": "7c1d5f0e-2d1a-4c55-9e55-000000000741"}
    body = {"date": "2026-11-15", "note": "厌学"}
    done = await mesh.post("44", path, as_=SCHOOL, json=body, headers=headers)
    assert done.status_code == 200 and done.json()["dropout_date"] == "2026-11-15"
    repeat = await mesh.post("44", path, as_=SCHOOL, json=body, headers=headers)
    assert repeat.status_code == 200 and repeat.json() == done.json()
    twice = await mesh.post("44", path, as_=SCHOOL, json=body)
    assert twice.status_code == 409 and twice.json()["code"] == "not_suspected"


async def test_drp3_measures_by_school_and_bureau_of_the_jurisdiction_only(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 751, class_code="2026201", school=TIANHE)
    case = await _record(mesh, number)
    path = f"{PATH}/{case['id']}/measures"
    outsider = await mesh.post("44", path, as_="440103_registrar", json=MEASURE)  # other county
    assert outsider.status_code in (403, 404)
    approver = await mesh.post("44", path, as_=f"{TIANHE}_approver", json=MEASURE)
    assert approver.status_code == 403
    missing = await mesh.post("44", path, as_=BUREAU, json=MEASURE | {"person": ""})
    assert missing.status_code == 422 and missing.json()["field"] == "person"
    assert "请填写处理人" in missing.json()["detail"]
    bad_time = await mesh.post("44", path, as_=BUREAU, json=MEASURE | {"time": "昨天"})
    assert bad_time.status_code == 422 and bad_time.json()["field"] == "time"
    assert (await _case(mesh, case["id"]))["measures"] == []
    headers = {"Idempotency-Key": "7c1d5f0e-2d1a-4c55-9e55-000000000751"}
    added = await mesh.post("44", path, as_=BUREAU, json=MEASURE, headers=headers)
    again = await mesh.post("44", path, as_=BUREAU, json=MEASURE, headers=headers)
    assert added.status_code == again.status_code == 201
    assert len(again.json()["measures"]) == 1
    edited = await mesh.patch("44", f"{path}/1", as_=SCHOOL, json={"measure": "电话劝返"})
    assert edited.status_code == 200, edited.text
    measure = edited.json()["measures"][0]
    assert measure["measure"] == "电话劝返" and measure["edits"][0]["by"] == SCHOOL
    none = await mesh.patch("44", f"{path}/9", as_=SCHOOL, json={"measure": "x"})
    assert none.status_code == 404 and none.json()["field"] == "n"
    events = [e["type"] for e in (await _case(mesh, case["id"]))["events"]]
    assert events == ["Recorded", "MeasureAdded", "MeasureEdited"]


async def test_drp4_a_suspected_case_returns_without_approval(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 761, class_code="2026201", school=TIANHE)
    case = await _record(mesh, number)
    path = f"{PATH}/{case['id']}/return"
    other_school = await mesh.post("44", path, as_=SCHOOL,
                                   json={"date": "2026-11-21", "class_code": "2026101",
                                         "note": "返校"})  # fmt: skip
    assert other_school.status_code == 422 and other_school.json()["field"] == "class_code"
    wrong_grade = await mesh.post("44", path, as_=SCHOOL,
                                  json={"date": "2026-11-21", "class_code": "2026202",
                                        "grade": "初中2025级", "note": "返校"})  # fmt: skip
    assert wrong_grade.status_code == 422 and wrong_grade.json()["field"] == "grade"
    no_date = await mesh.post("44", path, as_=SCHOOL, json={"class_code": "2026202", "note": "x"})
    assert no_date.status_code == 422 and no_date.json()["field"] == "date"
    assert (await _student(mesh, number))["class_code"] == "2026201"
    back = await mesh.post(
        "44", path, as_=SCHOOL, json={"date": "2026-11-21", "class_code": "2026202", "note": "返校"}
    )
    assert back.status_code == 201, back.text
    assert back.json()["state"] == "finished" and back.json()["return_application"] is None
    record = await _student(mesh, number)
    assert record["class_code"] == "2026202" and record["in_flight"] is None
    summary = await mesh.get("44", "/api/v1/pending/summary", as_=BUREAU)
    assert all(i["type"] != "dropout_return" for i in summary.json()["items"])
    # finished: a new record may be made again, the old one stays in the query
    await _record(mesh, number)
    assert (await _list(mesh)).count(number) == 2


async def test_drp4_dropped_out_returns_are_approved_in_a_batch(mesh: Mesh) -> None:
    first, one = await _dropped_out_with_return(mesh, 771)
    second, two = await _dropped_out_with_return(mesh, 772)
    ids = [one["return_application"]["id"], two["return_application"]["id"]]
    pending = await mesh.get("44", "/api/v1/applications/pending", as_=BUREAU)
    assert sorted(i["id"] for i in pending.json()["items"] if i["type"] == "dropout_return") == (
        sorted(ids)
    )
    by_school = await mesh.post("44", f"{PATH}/returns/decisions", as_=f"{TIANHE}_approver",
                                json={"ids": ids, "approve": True})  # fmt: skip
    assert by_school.status_code == 403
    no_opinion = await mesh.post("44", f"{PATH}/returns/decisions", as_=BUREAU,
                                 json={"ids": ids, "approve": False})  # fmt: skip
    assert no_opinion.status_code == 422 and no_opinion.json()["field"] == "opinion"
    decided = await mesh.post("44", f"{PATH}/returns/decisions", as_=BUREAU,
                              json={"ids": ids, "approve": True, "opinion": "同意"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert [i["status"] for i in decided.json()["items"]] == ["approved", "approved"]
    for number in (first, second):
        record = await _student(mesh, number)
        assert record["class_code"] == "2026202" and record["in_flight"] is None
    assert await _list(mesh, state="open") == []


async def test_drp4_a_rejected_return_leaves_the_case_dropped_out(mesh: Mesh) -> None:
    number, applied = await _dropped_out_with_return(mesh, 781)
    case_id, return_id = applied["id"], applied["return_application"]["id"]
    again = await mesh.post(
        "44",
        f"{PATH}/{case_id}/return",
        as_=SCHOOL,
        json={"date": "2026-11-21", "class_code": "2026202", "note": "x"},
    )
    assert again.status_code == 409 and again.json()["code"] == "return_in_progress"
    refused = await mesh.post("44", f"{PATH}/returns/{return_id}/decisions", as_=BUREAU,
                              json={"approve": False, "opinion": "未实际返校"})  # fmt: skip
    assert refused.status_code == 200 and refused.json()["status"] == "rejected"
    case = await _case(mesh, case_id)
    assert case["state"] == "dropped_out" and case["return_status"] == "rejected"
    record = await _student(mesh, number)
    assert record["class_code"] == "2026201" and record["in_flight"]["label"] == "控辍保学"
    assert number in await _list(mesh, state="dropped_out")


async def test_drp5_in_progress_list_query_filters_and_confirmed_export(mesh: Mesh) -> None:
    a = await enrolled_student(mesh, "44", 791, "张三", class_code="2026201", school=TIANHE)
    b = await enrolled_student(mesh, "44", 792, "李四", class_code="2025201", school=TIANHE)
    await _record(mesh, a)
    await _record(mesh, b, "dropped_out", date="2026-10-01")
    assert sorted(await _list(mesh, state="open")) == sorted([a, b])
    assert await _list(mesh, state="dropped_out") == [b]
    assert await _list(mesh, grade="初中2025级") == [b]
    assert await _list(mesh, class_code="2026201") == [a]
    assert await _list(mesh, name="张") == [a]
    assert await _list(mesh, **{"from": "2026-11-01", "to": "2026-11-30"}) == [a]
    assert sorted(await _list(mesh, as_=SCHOOL, school_code=TIANHE)) == sorted([a, b])
    assert await _list(mesh, as_="440103_registrar") == []  # another county sees none
    outside = await mesh.get("44", PATH, as_="440103_registrar", params={"school_code": TIANHE})
    assert outside.status_code in (403, 404)
    export = f"{PATH}/export"
    unconfirmed = await mesh.get("44", export, as_=BUREAU, params={"state": "open"})
    assert unconfirmed.status_code == 403, unconfirmed.text
    confirmed = {"X-Export-Confirmer": f"{COUNTY}_approver",
                 "X-Export-Confirmer-Password": DEMO_PASSWORD}  # fmt: skip
    reply = await mesh.get("44", export, as_=BUREAU, params={"state": "dropped_out"},
                           headers=confirmed)  # fmt: skip
    assert reply.status_code == 200, reply.text
    rows = list(load_workbook(BytesIO(reply.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("全国学籍号", "学生姓名", "学生状态", "返校申请")
    assert [r[:4] for r in rows[1:]] == [(b, "李四", "辍学", "未申请")]
    counts = await mesh.get("44", f"{PATH}/counts", as_=BUREAU)
    assert counts.json() == {"suspected": 1, "dropped_out": 1, "finished": 0}
    stats = "/api/v1/statistics/students"
    flags = await mesh.get("44", stats, as_=BUREAU, params={"by": "flags"})
    counted = {g["key"]: g["count"] for g in flags.json()["groups"]}
    assert (counted["dropout"], counted["dropout_suspected"]) == (1, 1)
    national = await mesh.get("hub", "/api/v1/national/statistics/students", as_="moe_registrar",
                              params={"by": "flags"})  # fmt: skip
    assert {g["key"]: g["count"] for g in national.json()["groups"]}["dropout"] == 1
