"""学籍数据维护 as the seed runs it [002 §4, §8, §9, §11]: the school keeps a student's record
up — basic information, household, contacts, family members, the migrant and left-behind
flags with their change history, special education — each edit an event with its actor and
reason; key data go through 关键数据变更 instead."""

from __future__ import annotations

from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh

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
    from tests.integration.test_console_admissions import _console

    number = await enrolled_student(mesh, "44", 706, "郭维护", school=JUNIOR)
    async with _console(mesh, f"{JUNIOR}_registrar") as client:
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
    async with _console(mesh, "3440106003_registrar") as client:
        assert (await client.get(f"/students/{number}/edit")).status_code == 404
