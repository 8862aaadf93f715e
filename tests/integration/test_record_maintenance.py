"""学籍数据维护 as the seed runs it [002 §4, §8, §9, §11]: the school keeps a student's record
up — basic information, household, contacts, family members, the migrant and left-behind
flags with their change history, special education — each edit an event with its actor and
reason; key data go through 关键数据变更 instead."""

from __future__ import annotations

import pytest

from tests.support.cases import enrolled_student
from tests.support.console import console_session
from tests.support.mesh import Mesh

# The backend is not what these test: PostgreSQL runs the stores' own tests (dedup, delivery,
# views, audit), which keeps `make test` within its budget.
pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)

JUNIOR = "3440106002"


async def _patch(mesh: Mesh, number: str, body: dict, status: int = 200,
                 as_: str = f"{JUNIOR}_registrar") -> dict:  # fmt: skip
    reply = await mesh.patch("44", f"/api/v1/students/{number}", as_=as_, json=body)
    assert reply.status_code == status, reply.text
    return reply.json()


async def _history(mesh: Mesh, number: str) -> list[dict]:
    reply = await mesh.get("44", f"/api/v1/students/{number}/history", as_="440000_registrar")
    return reply.json()["items"]


async def _query(mesh: Mesh, *conds: str) -> set[str]:
    reply = await mesh.get("44", "/api/v1/students", as_="440106_registrar",
                           params={"cond": list(conds), "page_size": 200})  # fmt: skip
    assert reply.status_code == 200, reply.text
    return {i["student_number"] for i in reply.json()["items"]}


async def test_day1_the_school_edits_non_key_fields_each_an_event(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 701, "黄小东", school=JUNIOR)
    edited = await _patch(mesh, number, {
        "former_name": "黄东东", "household_location": "广东省广州市天河区",
        "household_type": "非农业户口", "address": "天河路1号", "phone": "13800000000",
        "only_child": True, "commute_distance": 2.5, "entry_date": "2026-09",
        "family_members": [{"name": "黄龙", "relation": "父亲", "phone": "13900000000",
                            "guardian": True}],
        "reason": "家长提供户口簿",
    })  # fmt: skip
    profile = edited["profile"]
    assert profile["former_name"] == "黄东东" and profile["family_members"][0]["name"] == "黄龙"
    assert profile["commute_distance"] == 2.5 and profile["only_child"] is True
    events = [e for e in await _history(mesh, number) if e["type"] == "Edited"]
    assert len(events) == 1, events
    assert events[0]["actor"] == f"{JUNIOR}_registrar"
    assert events[0]["data"]["reason"] == "家长提供户口簿"
    again = await _patch(mesh, number, {"phone": "13800000000"})  # unchanged: no event
    assert again["profile"]["phone"] == "13800000000"
    assert len([e for e in await _history(mesh, number) if e["type"] == "Edited"]) == 1
    assert number in await _query(mesh, "household_type:eq:非农业户口", "only_child:eq:true")


async def test_day1_a_controlled_field_is_refused_and_pointed_to_key_data_change(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 702, "刘一", school=JUNIOR)
    for field, value in (("name", "刘二"), ("class_code", "2026202"), ("id_number", "x")):
        refused = await _patch(mesh, number, {field: value}, status=409)
        assert (refused["code"], refused["field"]) == ("controlled_field", field), refused
        assert "关键数据变更" in refused["detail"]
    ethnicity = await _patch(mesh, number, {"ethnicity": "02"})  # not controlled by default
    assert ethnicity["ethnicity"] == "02"
    unknown = await _patch(mesh, number, {"shoe_size": 40}, status=422)
    assert unknown["field"] == "shoe_size"
    bad = await _patch(mesh, number, {"household_type": "城市户口"}, status=422)
    assert bad["field"] == "household_type" and "农业户口" in bad["detail"]
    member = await _patch(mesh, number, {"family_members": [{"name": "刘大"}]}, status=422)
    assert member["field"] == "family_members.1.relation"
    other_school = await _patch(mesh, number, {"phone": "13800000000"}, status=404,
                                as_="3440106003_registrar")  # fmt: skip
    assert other_school["code"] == "not_found"  # SEC-8: as a number nobody holds
    assert (await mesh.get("44", f"/api/v1/students/{number}",
                           as_="440000_registrar")).json()["profile"] == {}  # fmt: skip


async def test_day3_day4_flags_with_their_change_history(mesh: Mesh) -> None:
    flagged = await enrolled_student(mesh, "44", 703, "陈随迁", school=JUNIOR)
    steady = await enrolled_student(mesh, "44", 704, "陈留守", school=JUNIOR)
    await _patch(mesh, flagged, {"migrant": True, "migrant_worker": True})
    await _patch(mesh, steady, {"left_behind": True, "rural_left_behind": True})
    assert await _query(mesh, "migrant:eq:true") >= {flagged}
    assert flagged not in await _query(mesh, "migrant_changed:eq:true")  # first set: no change
    inconsistent = await _patch(mesh, flagged, {"migrant": False}, status=409)
    assert inconsistent["field"] == "migrant_worker"  # 进城务工随迁子女 are 随迁子女
    await _patch(mesh, flagged, {"migrant": False, "migrant_worker": False,
                                 "reason": "户籍迁入本地"})  # fmt: skip
    assert flagged in await _query(mesh, "migrant_changed:eq:true")
    assert steady not in await _query(mesh, "left_behind_changed:eq:true")
    counts = await mesh.get("44", "/api/v1/statistics/students", as_="440106_registrar",
                            params={"by": "flags"})  # fmt: skip
    assert counts.status_code == 200, counts.text
    assert "left_behind" in counts.text


async def test_day5_special_education_gated_with_its_required_fields(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 705, "吴特教", school=JUNIOR)
    block = {"disability_type": "言语残疾", "study_type": "普通学校随班就读",
             "proof_type": "残疾证", "degree": "1级", "certificate_number": "001"}  # fmt: skip
    gated = await _patch(mesh, number, {"special_needs": block}, status=409)
    assert gated["code"] == "not_disabled"
    for missing, field in (
        ("study_type", "special_needs.study_type"),
        ("degree", "special_needs.degree"),
        ("certificate_number", "special_needs.certificate_number"),
    ):
        partial = {k: v for k, v in block.items() if k != missing}
        refused = await _patch(mesh, number, {"disabled": True, "special_needs": partial}, 422)
        assert refused["field"] == field, refused
    other = await _patch(mesh, number, {"disabled": True, "special_needs": block | {
        "disability_type": "其他残疾"}}, status=422)  # fmt: skip
    assert other["field"] == "special_needs.disability_type"  # no "other" in phase 2
    symptoms = {"study_type": "送教上门", "proof_type": "有明显残疾症状"}
    no_words = await _patch(mesh, number, {"disabled": True, "special_needs": symptoms}, 422)
    assert no_words["field"] == "special_needs.description"
    saved = await _patch(mesh, number, {"disabled": True, "special_needs": block})
    assert saved["profile"]["special_needs"]["certificate_number"] == "001"
    assert number in await _query(mesh, "special_needs:eq:true", "disabled:eq:true")


async def test_day1_console_maintains_the_record_next_to_its_fields(mesh: Mesh) -> None:

    number = await enrolled_student(mesh, "44", 706, "郭维护", school=JUNIOR)
    async with console_session(mesh, f"{JUNIOR}_registrar") as client:
        detail = (await client.get(f"/students/{number}")).text
        assert "学籍信息" in detail and f"/students/{number}/edit" in detail
        form = (await client.get(f"/students/{number}/edit")).text
        assert "户口所在地" in form and "是否随迁子女" in form and "残疾证明类型" in form
        bad = await client.post(f"/students/{number}/edit", data={"postcode": "51"})
        assert bad.status_code == 422 and "邮政编码" in bad.text
        saved = await client.post(f"/students/{number}/edit", data={
            "address": "天河路2号", "migrant": "1", "fm_name": ["郭父", ""],
            "fm_relation": ["父亲", "母亲"], "fm_phone": ["13900000000", ""],
            "fm_work_unit": ["", ""], "fm_guardian": ["0"], "reason": "家访核实",
        })  # fmt: skip
        assert saved.status_code == 200 and "已保存" in saved.text, saved.text[-2000:]
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()
    assert record["profile"]["address"] == "天河路2号" and record["profile"]["migrant"] is True
    assert record["profile"]["family_members"] == [
        {"name": "郭父", "relation": "父亲", "phone": "13900000000", "guardian": True}
    ]
    async with console_session(mesh, "3440106003_registrar") as client:
        assert (await client.get(f"/students/{number}/edit")).status_code == 404


async def test_day7_changing_fields_any_time_and_the_countys_term_review(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 707, "何更新", school=JUNIOR)
    quiet = await enrolled_student(mesh, "44", 708, "何不变", school="3440106003")
    await _patch(mesh, number, {"address": "天河路3号", "left_behind": True})
    await _patch(mesh, quiet, {"blood_type": "A"}, as_="3440106003_registrar")  # not DAY-7's
    path = "/api/v1/students/updates"
    listed = (await mesh.get("44", path, as_="440106_registrar")).json()
    assert listed["term"] == "2026-1" and listed["term_label"] == "2026-2027学年第一学期"
    by_school = {i["school_code"]: i for i in listed["items"]}
    assert by_school[JUNIOR]["updated"] == 1 and not by_school[JUNIOR]["reviewed"]
    assert by_school["3440106003"]["updated"] == 0
    by_school_user = await mesh.post("44", f"{path}/reviews", as_=f"{JUNIOR}_registrar",
                                     json={"term": "2026-1", "school_code": JUNIOR})  # fmt: skip
    assert by_school_user.status_code == 403
    other_county = await mesh.post("44", f"{path}/reviews", as_="440103_registrar",
                                   json={"term": "2026-1", "school_code": JUNIOR})  # fmt: skip
    assert other_county.status_code == 403, other_county.text
    review = {"term": "2026-1", "school_code": JUNIOR, "note": "已核"}
    done = await mesh.post("44", f"{path}/reviews", as_="440106_registrar", json=review)
    assert done.status_code == 200 and done.json()["by"] == "440106_registrar", done.text
    listed = (await mesh.get("44", path, as_="440106_registrar", params={"term": "2026-1"})).json()
    assert {i["school_code"]: i["reviewed"] for i in listed["items"]}[JUNIOR] is True
    spring = (await mesh.get("44", path, as_="440106_registrar", params={"term": "2026-2"})).json()
    assert all(i["updated"] == 0 for i in spring["items"])
    bad = await mesh.get("44", path, as_="440106_registrar", params={"term": "2026"})
    assert bad.status_code == 422 and bad.json()["field"] == "term"


async def test_day2_a_class_round_trips_through_excel_changing_only_edited_cells(
    mesh: Mesh,
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from simulations.demo import DEMO_PASSWORD

    first = await enrolled_student(mesh, "44", 709, "钟一", class_code="2026202", school=JUNIOR)
    second = await enrolled_student(mesh, "44", 710, "钟二", class_code="2026202", school=JUNIOR)
    await _patch(mesh, second, {"blood_type": "B"})
    path = "/api/v1/students/batch-edit"
    params = {"class_code": "2026202", "fields": "blood_type,migrant,phone"}
    unconfirmed = await mesh.get("44", path, as_=f"{JUNIOR}_registrar", params=params)
    assert unconfirmed.status_code in (403, 422), unconfirmed.text
    confirmed = {"X-Export-Confirmer": f"{JUNIOR}_approver",
                 "X-Export-Confirmer-Password": DEMO_PASSWORD}  # fmt: skip
    exported = await mesh.get("44", path, as_=f"{JUNIOR}_registrar", params=params,
                              headers=confirmed)  # fmt: skip
    assert exported.status_code == 200, exported.text
    book = load_workbook(BytesIO(exported.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("全国学籍号", "姓名", "血型", "联系电话", "是否随迁子女")  # the form's order
    by_number = {r[0]: i for i, r in enumerate(rows[1:], start=2)}
    assert rows[by_number[second] - 1][2] == "B"
    sheet.cell(by_number[first], 3, "O")  # first: blood type O
    sheet.cell(by_number[first], 5, "是")
    sheet.cell(by_number[second], 2, "钟三")  # a key column changed: the row is refused
    sheet.cell(by_number[second], 4, "13800000001")
    sheet.append([first, "钟一", "X型", None, None])  # a bad value, named with its column
    out = BytesIO()
    book.save(out)
    imported = await mesh.post("44", path, as_=f"{JUNIOR}_registrar",
                               files={"file": ("改.xlsx", out.getvalue())})  # fmt: skip
    assert imported.status_code == 200, imported.text
    result = imported.json()
    assert (result["changed"], result["failed"]) == (1, 2), result
    text = " ".join(p["messages"][0] for p in result["problems"])
    assert "关键数据不能批量修改" in text and "（血型）" in text
    record = (await mesh.get("44", f"/api/v1/students/{first}", as_="440000_registrar")).json()
    assert record["profile"] == {"blood_type": "O", "migrant": True}
    untouched = (await mesh.get("44", f"/api/v1/students/{second}",
                                as_="440000_registrar")).json()  # fmt: skip
    assert untouched["profile"] == {"blood_type": "B"}
    edits = [e for e in await _history(mesh, first) if e["type"] == "Edited"]
    assert len(edits) == 1 and edits[0]["data"]["changes"] == {"blood_type": "O", "migrant": True}


async def test_qry6_flag_statistics_on_the_hub_equal_the_sum_of_the_provinces(mesh: Mesh) -> None:
    """DAY-3/DAY-5 feed the statistics; the nation's figure by flag adds up the provinces'."""

    migrant = await enrolled_student(mesh, "44", 711, "冯随迁", school=JUNIOR)
    special = await enrolled_student(mesh, "44", 712, "冯特教", school=JUNIOR)
    in_34 = await enrolled_student(mesh, "34", 713, "冯皖")
    await _patch(mesh, migrant, {"migrant": True})
    block = {"study_type": "特教学校就读", "proof_type": "医院残疾证明", "degree": "2级"}
    await _patch(mesh, special, {"disabled": True, "special_needs": block})
    record_34 = (await mesh.get("34", f"/api/v1/students/{in_34}",
                                as_="340000_registrar")).json()  # fmt: skip
    school_34 = record_34["school_code"]
    reply = await mesh.patch("34", f"/api/v1/students/{in_34}", as_=f"{school_34}_registrar",
                             json={"migrant": True})  # fmt: skip
    assert reply.status_code == 200, reply.text
    sums = {}
    for province in ("34", "44"):
        counted = await mesh.get(province, "/api/v1/statistics/students",
                                 as_=f"{province}0000_registrar",
                                 params={"by": "stage", "flag": "migrant"})  # fmt: skip
        assert counted.status_code == 200, counted.text
        sums[province] = counted.json()["total"]
    assert sums == {"34": 1, "44": 1}
    asked = {"by": "stage", "flag": "migrant"}
    national = await mesh.get("hub", "/api/v1/national/statistics/students", as_="moe_registrar",
                              params=asked)  # fmt: skip
    assert national.status_code == 200, national.text
    assert national.json()["total"] == sum(sums.values())
    assert national.json()["provinces"] == sums
    flags = (await mesh.get("44", "/api/v1/statistics/students", as_="440106_registrar",
                            params={"by": "flags"})).json()  # fmt: skip
    counts = {g["key"]: g["count"] for g in flags["groups"]}
    assert counts["migrant"] == 1 and counts["special_needs"] == 1 and counts["disabled"] == 1
    async with console_session(mesh, "440106_registrar") as client:
        page = await client.get("/statistics?by=stage&flag=migrant")
        assert page.status_code == 200 and "data-chart=" in page.text and "随迁子女" in page.text
        sheet = await client.get("/statistics/export?by=stage&flag=migrant")
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    async with console_session(mesh, "moe_registrar", "hub") as client:
        page = await client.get("/statistics?by=stage&flag=migrant")
        assert page.status_code == 200, page.text[-1500:]
        assert "各省在校生人数" in page.text and "安徽省" in page.text and "广东省" in page.text
        sheet = await client.get("/statistics/export?by=stage&flag=migrant")
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK"


async def test_day5_special_education_round_trips_through_excel(mesh: Mesh) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from simulations.demo import DEMO_PASSWORD

    first = await enrolled_student(mesh, "44", 714, "曹特一", class_code="2025202", school=JUNIOR)
    second = await enrolled_student(mesh, "44", 715, "曹特二", class_code="2025202", school=JUNIOR)
    path = "/api/v1/students/batch-edit"
    fields = "disabled,special_needs.study_type,special_needs.proof_type,special_needs.degree"
    confirmed = {"X-Export-Confirmer": f"{JUNIOR}_approver",
                 "X-Export-Confirmer-Password": DEMO_PASSWORD}  # fmt: skip
    exported = await mesh.get("44", path, as_=f"{JUNIOR}_registrar", headers=confirmed,
                              params={"class_code": "2025202", "fields": fields})  # fmt: skip
    assert exported.status_code == 200, exported.text
    book = load_workbook(BytesIO(exported.content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == [
        "全国学籍号", "姓名", "是否残疾人", "特教学生就读类型", "残疾证明类型", "残疾程度",
    ]  # fmt: skip
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    for column, value in ((3, "是"), (4, "特教学校就读"), (5, "医院残疾证明"), (6, "2级")):
        sheet.cell(rows[first], column, value)
    for column, value in ((3, "是"), (5, "残疾证")):  # no study type: refused, its column named
        sheet.cell(rows[second], column, value)
    out = BytesIO()
    book.save(out)
    imported = await mesh.post("44", path, as_=f"{JUNIOR}_registrar",
                               files={"file": ("特教.xlsx", out.getvalue())})  # fmt: skip
    result = imported.json()
    assert (result["changed"], result["failed"]) == (1, 1), result
    assert "（特教学生就读类型）" in result["problems"][0]["messages"][0]
    record = (await mesh.get("44", f"/api/v1/students/{first}", as_="440000_registrar")).json()
    assert record["profile"]["special_needs"] == {
        "study_type": "特教学校就读", "proof_type": "医院残疾证明", "degree": "2级",
    }  # fmt: skip
