"""学校管理 as the seed runs it [002 §20], [004 Q14, Q16, Q107]: region changes (ORG-1) and
school changes (ORG-2) arrive as files, are confirmed, take effect or wait until nothing holds
them; the school profile (ORG-4) is kept by the right level.

Demo 广东 (44): 天河区 440106 has 3440106001 (实验小学), 3440106002 (第一初级中学, 5-4: class
2023201 is the graduating grade on 2026-11-22), 3440106003 (九年一贯制), 3440106004 (高中);
罗湖区 440303 has four schools as well.
"""

from __future__ import annotations

from io import BytesIO
from uuid import uuid4

import pytest
from openpyxl import Workbook

from province_node.domain.region_change import REGION_COLUMNS
from province_node.domain.school import School
from province_node.domain.school_change import SCHOOL_COLUMNS
from tests.support.cases import enrolled_student, graduate
from tests.support.mesh import Mesh
from tests.support.people import registration, resident_id

PROVINCE = "440000_sysadmin"
REGIONS, SCHOOLS = "/api/v1/regions/changes", "/api/v1/schools/changes"
TIANHE_JUNIOR, TIANHE_PRIMARY, TIANHE_NINE = "3440106002", "3440106001", "3440106003"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def region_file(*rows: list[str]) -> bytes:
    return xlsx([c.label for c in REGION_COLUMNS], [list(r) for r in rows])


def school_file(*rows: dict) -> bytes:
    keys = [c.key for c in SCHOOL_COLUMNS]
    filled = [
        [{"year": "2026", "quarter": "4"}.get(k, "") if k not in r else r[k] for k in keys]
        for r in rows
    ]
    return xlsx([c.label for c in SCHOOL_COLUMNS], filled)


async def upload(mesh: Mesh, path: str, data: bytes, as_: str = PROVINCE, status: int = 201):
    files = {"file": ("变更.xlsx", data, XLSX)}
    reply = await mesh.post("44", path, as_=as_, files=files)
    assert reply.status_code == status, reply.text
    return reply.json()


async def confirm(mesh: Mesh, path: str, ids: list[str], as_: str, status: int = 200) -> dict:
    reply = await mesh.post("44", f"{path}/confirm", as_=as_, json={"ids": ids})
    assert reply.status_code == status, reply.text
    return reply.json()


async def login_status(mesh: Mesh, username: str) -> int:
    async with mesh.client("44") as client:
        reply = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": "Xueji@2026"}
        )
    return reply.status_code


async def school_changes_confirmed(mesh: Mesh, rows: list[dict], bureau: str) -> list[dict]:
    imported = await upload(mesh, SCHOOLS, school_file(*rows))
    done = await confirm(mesh, SCHOOLS, [i["id"] for i in imported["items"]], f"{bureau}_registrar")
    return done["items"]


# --- ORG-1 ---------------------------------------------------------------------------------------


async def test_org1_add_and_rename_take_effect_at_once(mesh: Mesh) -> None:
    data = region_file(
        ["新增", "440118000000", "增城区", "440100000000", "2026"],
        ["更名", "440103000000", "荔湾新区", "", "2026"],
    )
    imported = await upload(mesh, REGIONS, data)
    assert imported["imported"] == 2 and [i["row"] for i in imported["items"]] == [2, 3]
    assert {i["state_label"] for i in imported["items"]} == {"待确认"}
    listed = await mesh.get("44", REGIONS, as_=PROVINCE, params={"state": "pending"})
    assert listed.json()["total"] == 2
    again = await upload(mesh, REGIONS, data)  # the same file twice stores nothing new
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert await login_status(mesh, "440118_registrar") == 401  # not there before the confirm
    done = await confirm(mesh, REGIONS, [i["id"] for i in imported["items"]], PROVINCE)
    assert [i["state"] for i in done["items"]] == ["done", "done"]
    org = mesh.runtime("44").org
    assert org.unit("440118").name == "增城区教育局" and org.unit("440118").parent == "440100"
    assert org.unit("440103").name == "荔湾新区教育局"
    assert await login_status(mesh, "440118_registrar") == 200  # demo mode: demo accounts
    schools = await mesh.get(
        "44", "/api/v1/schools", as_="440100_registrar", params={"region": "440118"}
    )
    assert schools.status_code == 200 and schools.json()["items"] == []
    await mesh.stop("44")
    await mesh.start("44")  # the tree is rebuilt with the changes
    assert mesh.runtime("44").org.unit("440118").name == "增城区教育局"
    assert mesh.runtime("44").org.unit("440103").name == "荔湾新区教育局"


async def test_org1_year_and_state_filter(mesh: Mesh) -> None:
    await upload(mesh, REGIONS, region_file(["新增", "440118000000", "增城区", "440100", "2025"]))
    later = await upload(mesh, REGIONS, region_file(["更名", "440303", "罗湖新区", "", "2026"]))
    await confirm(mesh, REGIONS, [later["items"][0]["id"]], "440000_registrar")

    async def codes(**params) -> list[str]:
        reply = await mesh.get("44", REGIONS, as_=PROVINCE, params=params)
        assert reply.status_code == 200, reply.text
        return [i["code"] for i in reply.json()["items"]]

    assert await codes(year=2025) == ["440118"]
    assert await codes(year=2026, state="done") == ["440303"]
    assert await codes(state="pending") == ["440118"]
    refused = await mesh.get("44", REGIONS, as_="440106_registrar")
    assert refused.status_code == 403 and refused.json()["code"] == "province_org_only"


async def test_org1_bad_files_are_refused_naming_row_and_field(mesh: Mesh) -> None:
    headers = [c.label for c in REGION_COLUMNS if c.key != "parent"]
    missing = await upload(
        mesh, REGIONS, xlsx(headers, [["新增", "440118", "增城区", "2026"]]), status=422
    )
    assert missing["code"] == "file_refused" and "上级区划代码" in missing["detail"]
    unknown = await upload(
        mesh,
        REGIONS,
        region_file(
            ["更名", "440106", "天河新区", "", "2026"],
            ["新增", "440118", "增城区", "440900000000", "2026"],
        ),
        status=422,
    )
    assert (unknown["row"], unknown["field"]) == (3, "parent")
    assert "第3行" in unknown["detail"] and "440900" in unknown["detail"]
    bad_kind = await upload(
        mesh, REGIONS, region_file(["合并", "440106", "", "", "2026"]), status=422
    )
    assert bad_kind["errors"][0]["field"] == "kind"
    other = await upload(mesh, REGIONS, region_file(["撤销", "370102", "", "", "2026"]), status=422)
    assert other["field"] == "code" and "不是本省" in other["detail"]
    listed = await mesh.get("44", REGIONS, as_=PROVINCE)
    assert listed.json()["items"] == []  # nothing of a refused file is stored


async def test_org1_revoke_waits_until_no_school_remains(mesh: Mesh) -> None:
    imported = await upload(mesh, REGIONS, region_file(["撤销", "440303", "", "", "2026"]))
    revoke_id = imported["items"][0]["id"]
    done = await confirm(mesh, REGIONS, [revoke_id], PROVINCE)
    assert done["items"][0]["state"] == "confirmed"  # 罗湖区 still has its four schools
    waiting = await mesh.runtime("44").org_changes.blockers(revoke_id)
    assert waiting and "尚有学校4所" in waiting[0]
    assert await login_status(mesh, "440303_registrar") == 200
    rows = [{"kind": "撤销", "school_code": f"3440303{n:03d}"} for n in range(1, 5)]
    revoked = await school_changes_confirmed(mesh, rows, "440303")
    assert {i["state"] for i in revoked} == {"done"}  # no students: revoked at once
    listed = await mesh.get("44", REGIONS, as_=PROVINCE, params={"state": "done"})
    [change] = listed.json()["items"]
    assert change["code"] == "440303" and "440303_registrar" in change["disabled_accounts"]
    for username in ("440303_registrar", "3440303001_registrar"):
        async with mesh.client("44") as client:
            refused = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": "Xueji@2026"}
            )
        assert refused.status_code == 403 and refused.json()["code"] == "account_disabled"


# --- ORG-2 ---------------------------------------------------------------------------------------

NEW_SCHOOL = {
    "kind": "新增",
    "school_code": "3440106101",
    "name": "天河区第五小学",
    "region_code": "440106000000",
    "supervising_unit": "440106000000",
    "stages": "小学",
    "running_type": "小学",
    "sponsor": "县级教育部门",
    "year": "2026",
    "quarter": "4",
}


async def test_org2_an_added_school_is_registered_with_no_classes(mesh: Mesh) -> None:
    entered = await mesh.post("44", "/api/v1/schools", as_="440000_registrar", json=NEW_SCHOOL)
    assert entered.status_code == 201, entered.text
    change = entered.json()
    assert change["state"] == "pending" and change["supervising_unit"] == "440106"
    wrong = await confirm(mesh, SCHOOLS, [change["id"]], "440100_registrar", status=409)
    assert wrong["code"] == "not_supervising_bureau"
    pending = await mesh.get("44", SCHOOLS, as_="440106_registrar", params={"state": "pending"})
    assert [i["id"] for i in pending.json()["items"]] == [change["id"]]
    done = await confirm(mesh, SCHOOLS, [change["id"]], "440106_registrar")
    assert done["items"][0]["state"] == "done"
    school = await mesh.get("44", "/api/v1/schools/3440106101", as_="440106_registrar")
    assert school.status_code == 200 and school.json()["classes"] == []
    assert school.json()["state"] == "active" and school.json()["stages"] == ["1"]
    profile = await mesh.get("44", "/api/v1/schools/3440106101/profile", as_="440106_registrar")
    assert profile.json()["profile"]["sponsor"] == "县级教育部门"
    assert await login_status(mesh, "3440106101_registrar") == 200
    opened = await mesh.post(
        "44",
        "/api/v1/schools/3440106101/classes",
        as_="3440106101_registrar",
        json={"class_code": "2026101"},
    )
    assert opened.status_code == 201, opened.text
    twice = await mesh.post("44", "/api/v1/schools", as_="440000_registrar", json=NEW_SCHOOL)
    assert twice.status_code == 422 and twice.json()["field"] == "school_code"


async def test_org2_bad_school_file_names_row_and_field_and_stores_nothing(mesh: Mesh) -> None:
    rows = [
        NEW_SCHOOL | {"school_code": "3440106102"},
        NEW_SCHOOL | {"school_code": "3440106103", "supervising_unit": "449999000000"},
    ]
    refused = await upload(mesh, SCHOOLS, school_file(*rows), status=422)
    assert (refused["row"], refused["field"]) == (3, "supervising_unit")
    headers = [c.label for c in SCHOOL_COLUMNS if c.key != "quarter"]
    missing = await upload(mesh, SCHOOLS, xlsx(headers, [["撤销", TIANHE_PRIMARY]]), status=422)
    assert "变更季度" in missing["detail"]
    listed = await mesh.get("44", SCHOOLS, as_=PROVINCE)
    assert listed.json()["items"] == []


async def test_org2_revoke_waits_for_enrolled_students(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 901, class_code="2023201", school=TIANHE_JUNIOR)
    [change] = await school_changes_confirmed(
        mesh, [{"kind": "撤销", "school_code": TIANHE_JUNIOR}], "440106"
    )
    assert change["state"] == "confirmed"
    waits = await mesh.runtime("44").org_changes.blockers(change["id"])
    assert any("在籍学生1人" in w for w in waits)
    school = await mesh.get("44", f"/api/v1/schools/{TIANHE_JUNIOR}", as_="440106_registrar")
    assert school.json()["state"] == "revoking"
    body = registration(TIANHE_JUNIOR, resident_id(region="440106", sequence=902))
    refused = await mesh.post(
        "44", "/api/v1/registrations", as_=f"{TIANHE_JUNIOR}_registrar", json=body
    )
    assert refused.status_code == 409 and refused.json()["code"] == "school_revoking"
    await graduate(mesh, number, "44", TIANHE_JUNIOR)  # the last student leaves the roll
    await mesh.runtime("44").org_changes.settle()
    listed = await mesh.get("44", SCHOOLS, as_="440106_registrar", params={"state": "done"})
    assert [i["id"] for i in listed.json()["items"]] == [change["id"]]
    schools = await mesh.get("44", "/api/v1/schools", as_="440106_registrar")
    shown = {s["school_code"]: s["state_label"] for s in schools.json()["items"]}
    assert shown[TIANHE_JUNIOR] == "已撤销"  # never deleted [004 Q107]
    record = await mesh.get("44", f"/api/v1/students/{number}", as_="440106_registrar")
    assert record.status_code == 200 and record.json()["school_code"] == TIANHE_JUNIOR
    assert await login_status(mesh, f"{TIANHE_JUNIOR}_approver") == 403
    edit = await mesh.patch(
        "44", f"/api/v1/schools/{TIANHE_JUNIOR}", as_="440106_registrar", json={"name": "新名字"}
    )
    assert edit.status_code == 409 and edit.json()["code"] == "school_revoked"


async def test_org2_revoke_a_stage(mesh: Mesh) -> None:
    [change] = await school_changes_confirmed(
        mesh, [{"kind": "撤销教育阶段", "school_code": TIANHE_NINE, "stages": "初中"}], "440106"
    )
    assert change["state"] == "done" and change["stage_label"] == "初中"
    school = await mesh.get("44", f"/api/v1/schools/{TIANHE_NINE}", as_="440106_registrar")
    assert school.json()["stages"] == ["1"]
    only = await upload(
        mesh,
        SCHOOLS,
        school_file({"kind": "撤销教育阶段", "school_code": TIANHE_PRIMARY, "stages": "小学"}),
        status=422,
    )
    assert only["field"] == "stages"


async def test_org2_a_school_without_a_code_is_a_branch_campus_numbered_after_the_main(
    mesh: Mesh,
) -> None:
    row = {"kind": "新增", "name": "天河区实验小学东校区", "main_school": TIANHE_PRIMARY}
    [change] = await school_changes_confirmed(mesh, [row], "440106")
    assert change["kind"] == "campus" and change["state"] == "done"
    profile = await mesh.get(
        "44", f"/api/v1/schools/{TIANHE_PRIMARY}/profile", as_=f"{TIANHE_PRIMARY}_registrar"
    )
    assert profile.json()["campuses"] == [
        {"number": 1, "name": "天河区实验小学东校区", "address": ""}
    ]
    path = f"/api/v1/schools/{TIANHE_PRIMARY}/classes"
    as_ = f"{TIANHE_PRIMARY}_registrar"
    # the main campus has classes 01 and 02 in every grade: the branch goes on from 03 [004 Q16]
    ok = await mesh.post("44", path, as_=as_, json={"class_code": "2026103", "campus": 1})
    assert ok.status_code == 201 and ok.json()["name"].startswith("天河区实验小学东校区")
    for code in ("2027101", "2027103"):  # next year's grade 1 at the main campus
        opened = await mesh.post("44", path, as_=as_, json={"class_code": code})
        assert opened.status_code == 201, opened.text
    clash = await mesh.post("44", path, as_=as_, json={"class_code": "2027102", "campus": 1})
    assert clash.status_code == 409 and clash.json()["code"] == "campus_class_number"
    assert "04" in clash.json()["detail"]
    after = await mesh.post("44", path, as_=as_, json={"class_code": "2027104", "campus": 1})
    assert after.status_code == 201, after.text
    main_after = await mesh.post("44", path, as_=as_, json={"class_code": "2027105"})
    assert main_after.status_code == 409 and main_after.json()["code"] == "campus_class_number"
    nowhere = await mesh.post("44", path, as_=as_, json={"class_code": "2027106", "campus": 2})
    assert nowhere.status_code == 422 and nowhere.json()["field"] == "campus"
    private = await mesh.patch(
        "44", f"/api/v1/schools/{TIANHE_NINE}", as_="440106_registrar", json={"sponsor": "民办"}
    )
    assert private.status_code == 200, private.text
    refused = await upload(
        mesh, SCHOOLS, school_file(row | {"main_school": TIANHE_NINE}), status=422
    )
    assert refused["field"] == "main_school" and "公办" in refused["detail"]


# --- ORG-4 ---------------------------------------------------------------------------------------


async def test_org4_each_level_edits_its_own_fields(mesh: Mesh) -> None:
    path = f"/api/v1/schools/{TIANHE_PRIMARY}"
    school = f"{TIANHE_PRIMARY}_registrar"
    mine = await mesh.patch(
        "44",
        path,
        as_=school,
        json={
            "head_name": "王校长",
            "head_phone": "13888888888",
            "boarding": "部分寄宿",
            "latitude": "23.1",
        },
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["profile"]["head_name"] == "王校长"
    assert mine.json()["profile"]["latitude"] == 23.1
    wrong = await mesh.patch("44", path, as_=school, json={"head_name": "李校长", "name": "x"})
    assert wrong.status_code == 403 and wrong.json()["field"] == "name"
    assert wrong.json()["code"] == "field_not_editable" and "学校名称" in wrong.json()["detail"]
    bureau = await mesh.patch(
        "44",
        path,
        as_="440106_registrar",
        json={"name": "天河区实验小学（新）", "urban_rural": "主城区"},
    )
    assert bureau.status_code == 200, bureau.text
    head = await mesh.patch("44", path, as_="440106_registrar", json={"head_name": "赵"})
    assert head.status_code == 403 and head.json()["field"] == "head_name"
    city = await mesh.patch("44", path, as_="440100_registrar", json={"name": "别的名字"})
    assert city.status_code == 403 and city.json()["code"] == "outside_jurisdiction"
    bad = await mesh.patch("44", path, as_=school, json={"postcode": "12"})
    assert bad.status_code == 422 and bad.json()["field"] == "postcode"
    unknown = await mesh.patch("44", path, as_=school, json={"colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "colour"
    profile = (await mesh.get("44", f"{path}/profile", as_=school)).json()
    assert profile["profile"]["head_name"] == "王校长"  # nothing of a refused edit stored
    assert profile["name"] == "天河区实验小学（新）" and profile["stage_years"] == {
        "小学": 5
    }  # 天河 runs 5-4
    runtime = mesh.runtime("44")
    events = await runtime.writer(
        lambda: list(runtime.node.events.get(School.create_id(TIANHE_PRIMARY)))
    )
    edits = [e for e in events if isinstance(e, School.ProfileChanged)]
    assert [e.meta["account"] for e in edits] == [school, "440106_registrar"]
    assert runtime.org.unit(TIANHE_PRIMARY).name == "天河区实验小学（新）"


# --- ORG-3 ---------------------------------------------------------------------------------------

MIGRATIONS = "/api/v1/migrations"


async def test_org3_record_migration_out_of_a_school_being_revoked(mesh: Mesh) -> None:
    first = await enrolled_student(mesh, "44", 911, "李一", "2025201", school=TIANHE_JUNIOR)
    second = await enrolled_student(mesh, "44", 912, "李二", "2025201", school=TIANHE_JUNIOR)
    older = await enrolled_student(mesh, "44", 913, "李三", "2023201", school=TIANHE_JUNIOR)
    body = {
        "from_school": TIANHE_JUNIOR,
        "to_school": TIANHE_NINE,
        "class_codes": ["2025201"],
        "student_numbers": [older],
    }
    early = await mesh.post("44", MIGRATIONS, as_="440106_registrar", json=body)
    assert early.status_code == 409 and early.json()["code"] == "not_revoking"
    [revoke] = await school_changes_confirmed(
        mesh, [{"kind": "撤销", "school_code": TIANHE_JUNIOR}], "440106"
    )
    assert revoke["state"] == "confirmed"
    outside = await mesh.post("44", MIGRATIONS, as_="440303_registrar", json=body)
    assert outside.status_code == 403
    started = await mesh.post("44", MIGRATIONS, as_="440106_registrar", json=body)
    assert started.status_code == 201, started.text
    migration = started.json()
    assert sorted(i["student_number"] for i in migration["items"]) == sorted([first, second, older])
    # SEC-8: another county's registrar gets for it what it gets for one that does not exist
    real = await mesh.get("44", f"{MIGRATIONS}/{migration['id']}", as_="440303_registrar")
    missing = await mesh.get("44", f"{MIGRATIONS}/{uuid4()}", as_="440303_registrar")
    assert real.status_code == missing.status_code == 404 and real.json() == missing.json()
    record = await mesh.get("44", f"/api/v1/students/{first}", as_="440106_registrar")
    assert record.json()["in_flight"]["label"] == "学籍转移"
    pending = await mesh.get("44", f"{MIGRATIONS}/pending", as_=f"{TIANHE_NINE}_registrar")
    assert [m["id"] for m in pending.json()["items"]] == [migration["id"]]
    path = f"{MIGRATIONS}/{migration['id']}/decisions"
    wrong = await mesh.post(
        "44",
        path,
        as_=f"{TIANHE_PRIMARY}_registrar",
        json={"student_numbers": [first], "accept": True, "class_code": "2025201"},
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_receiving_school"
    accepted = await mesh.post(
        "44",
        path,
        as_=f"{TIANHE_NINE}_registrar",
        json={"student_numbers": [first, second], "accept": True, "class_code": "2025201"},
    )
    assert accepted.status_code == 200, accepted.text
    mismatch = await mesh.post(
        "44",
        path,
        as_=f"{TIANHE_NINE}_registrar",
        json={"student_numbers": [older], "accept": True, "class_code": "2025201"},
    )
    assert mismatch.status_code == 409 and mismatch.json()["code"] == "grade_mismatch"
    silent = await mesh.post(
        "44",
        path,
        as_=f"{TIANHE_NINE}_registrar",
        json={"student_numbers": [older], "accept": False},
    )
    assert silent.status_code == 422 and silent.json()["field"] == "opinion"
    refused = await mesh.post(
        "44",
        path,
        as_=f"{TIANHE_NINE}_registrar",
        json={"student_numbers": [older], "accept": False, "opinion": "学位已满"},
    )
    assert refused.json()["status"] == "done"
    for number in (first, second):
        moved = (await mesh.get("44", f"/api/v1/students/{number}", as_="440106_registrar")).json()
        assert (moved["school_code"], moved["class_code"]) == (TIANHE_NINE, "2025201")
        assert moved["in_flight"] is None and moved["status"] == "在校"
    left = (await mesh.get("44", f"/api/v1/students/{older}", as_="440106_registrar")).json()
    assert left["school_code"] == TIANHE_JUNIOR and left["in_flight"] is None
    assert any(
        "在籍学生1人" in w for w in await mesh.runtime("44").org_changes.blockers(revoke["id"])
    )
    again = await mesh.post(
        "44",
        MIGRATIONS,
        as_="440000_registrar",
        json=body | {"class_codes": [], "student_numbers": [older]},
    )
    assert again.status_code == 201, again.text
    done = await mesh.post(
        "44",
        f"{MIGRATIONS}/{again.json()['id']}/decisions",
        as_=f"{TIANHE_NINE}_registrar",
        json={"student_numbers": [older], "accept": True, "class_code": "2023201"},
    )
    assert done.status_code == 200, done.text
    school = await mesh.get("44", f"/api/v1/schools/{TIANHE_JUNIOR}", as_="440106_registrar")
    assert school.json()["state"] == "revoked"  # the last student left: the revoke completed
