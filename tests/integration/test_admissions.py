"""招生入学 as the seed runs it [002 §3]: the importing unit lists the graduates for their
admitting schools → the school admits (录取) → its bureau approves (and, across counties or for
senior high across cities, the graduating school's bureau) → the school pulls the archive
(调档) → assigns a class (分班).

On 2026-11-22 (school year 2026, admission year 2026) 天河区实验小学 3440106001 runs 5-4, its
class 2022101 is grade 5, the graduating grade; 荔湾区实验小学 3440103001 runs 6-3 (2021101 is
grade 6); 荔湾区第一初级中学 3440103002's 2024201 is grade 9. New entrants go into 2026201
(junior) or 2026301 (senior).
"""

from __future__ import annotations

from io import BytesIO
from uuid import uuid4

import pytest
from openpyxl import Workbook, load_workbook

from simulations.demo import DEMO_PASSWORD
from tests.support.cases import graduated_student
from tests.support.mesh import Mesh

# The backend is not what these test: PostgreSQL runs the stores' own tests (dedup, delivery,
# views, audit), which keeps `make test` within its budget.
pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)

PATH = "/api/v1/admissions"
TIANHE_PRIMARY, TIANHE_JUNIOR, TIANHE_NINE = "3440106001", "3440106002", "3440106003"
LIWAN_PRIMARY, LIWAN_JUNIOR = "3440103001", "3440103002"
LUOHU_SENIOR, TIANHE_SENIOR = "3440303004", "3440106004"
HEADER = ("全国学籍号", "姓名", "录取学校标识码", "录取班级号")


def admission_list(rows: list[tuple], header: tuple = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


async def _import(mesh: Mesh, unit: str, rows: list[tuple], stage: str = "2", status: int = 201,
                  **kw) -> dict:  # fmt: skip
    reply = await mesh.post(
        "44", f"{PATH}/import", as_=f"{unit}_registrar", data={"stage": stage},
        files={"file": ("招生结果.xlsx", admission_list(rows, **kw))},
    )  # fmt: skip
    assert reply.status_code == status, reply.text
    return reply.json()


async def _post(mesh: Mesh, path: str, as_: str, status: int = 200, **kw) -> dict:
    reply = await mesh.post("44", path, as_=as_, **kw)
    assert reply.status_code == status, reply.text
    return reply.json()


async def _record(mesh: Mesh, number: str) -> dict:
    reply = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _through_chain(mesh: Mesh, admission: dict) -> dict:
    while admission["status"] == "in_progress":
        step = admission["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        admission = await _post(mesh, f"{PATH}/{admission['id']}/decisions",
                                f"{step['unit_code']}_{role}", json={"approve": True})  # fmt: skip
    return admission


async def _primary_graduate(mesh: Mesh, seq: int, name: str = "王小明",
                            school: str = TIANHE_PRIMARY) -> str:  # fmt: skip
    klass = "2022101" if school == TIANHE_PRIMARY else "2021101"
    return await graduated_student(mesh, "44", seq, class_code=klass, school=school, name=name)


async def _listed(mesh: Mesh, number: str, name: str, school: str = TIANHE_JUNIOR,
                  importer: str = "440106") -> dict:  # fmt: skip
    imported = await _import(mesh, importer, [(number, name, school)])
    assert imported["listed"] == 1, imported
    return (await mesh.get("44", f"{PATH}/{imported['admission_ids'][0]}",
                                 as_=f"{school}_registrar")).json()  # fmt: skip


async def test_adm2_a_primary_graduate_is_admitted_pulled_and_placed(mesh: Mesh) -> None:
    """The seed's order: admit, pull, assign [004 Q94]; the school's approver and its county
    decide; the student is the junior school's, in grade 1."""
    number = await _primary_graduate(mesh, 901)
    listed = await _listed(mesh, number, "王小明")
    assert listed["status"] == "listed" and listed["year"] == 2026
    school = f"{TIANHE_JUNIOR}_registrar"
    # SEC-8: another county's school gets for it what it gets for one that does not exist
    real = await mesh.get("44", f"{PATH}/{listed['id']}", as_="3440303002_registrar")
    missing = await mesh.get("44", f"{PATH}/{uuid4()}", as_="3440303002_registrar")
    assert real.status_code == missing.status_code == 404 and real.json() == missing.json()
    early = await _post(mesh, f"{PATH}/archive-pull", school, 409, json={"ids": [listed["id"]]})
    assert early["code"] == "not_approved" and "王小明" in early["detail"]
    admitted = (await _post(mesh, f"{PATH}/admit", school, json={"ids": [listed["id"]]}))["items"]
    assert [(s["level"], s["unit_code"]) for s in admitted[0]["chain"]] == [
        ("school", TIANHE_JUNIOR),
        ("supervising", "440106"),
    ]
    pending = await mesh.get("44", "/api/v1/pending/summary", as_=f"{TIANHE_JUNIOR}_approver")
    counts = {i["type"]: i["count"] for i in pending.json()["items"]}
    assert counts.get("admission") == 1, pending.text
    approved = await _through_chain(mesh, admitted[0])
    assert approved["status"] == "approved" and approved["status_label"] == "待调档"
    assert (await _record(mesh, number))["status"] == "毕业"  # still the primary's graduate
    pulled = await _post(mesh, f"{PATH}/{listed['id']}/archive-pull", school)
    assert pulled["status"] == "pulled"
    record = await _record(mesh, number)
    assert (record["status"], record["school_code"], record["class_code"]) == (
        "在校", TIANHE_JUNIOR, None,
    )  # fmt: skip
    assert record["in_flight"]["label"] == "初中招生录取申请"
    wrong = await _post(mesh, f"{PATH}/{listed['id']}/assign-class", school, 409,
                        json={"class_code": "2025201"})  # fmt: skip
    assert wrong["code"] == "not_entry_class" and wrong["field"] == "class_code"
    placed = await _post(mesh, f"{PATH}/{listed['id']}/assign-class", school,
                         json={"class_code": "2026201"})  # fmt: skip
    assert placed["status"] == "done"
    record = await _record(mesh, number)
    assert (record["class_code"], record["in_flight"]) == ("2026201", None)
    assert record["graduation"]["school_code"] == TIANHE_PRIMARY  # its primary graduation kept
    found = await mesh.get(
        "44",
        "/api/v1/students",
        as_="440106_registrar",
        params={"school_code": TIANHE_JUNIOR, "class_code": "2026201"},
    )
    assert number in [i["student_number"] for i in found.json()["items"]], found.text
    graduates = await mesh.get(
        "44",
        "/api/v1/graduates",
        as_="440106_registrar",
        params={"school_code": TIANHE_PRIMARY, "admitted": True},
    )
    assert [i["student_number"] for i in graduates.json()["items"]] == [number]


async def test_adm2_a_cross_county_admission_needs_the_graduating_schools_bureau(
    mesh: Mesh,
) -> None:
    """A 荔湾 primary graduate admitted in 天河 (compulsory stage, another county) [004 Q97];
    a 6-3 primary graduate enters a 5-4 junior school's grade 1 [004 Q98]."""
    number = await _primary_graduate(mesh, 911, "陈一", school=LIWAN_PRIMARY)
    listed = await _listed(mesh, number, "陈一")
    school = f"{TIANHE_JUNIOR}_registrar"
    admitted = (await _post(mesh, f"{PATH}/admit", school, json={"ids": [listed["id"]]}))["items"]
    assert [s["unit_code"] for s in admitted[0]["chain"]] == [TIANHE_JUNIOR, "440106", "440103"]
    approved = await _through_chain(mesh, admitted[0])
    assert [d["unit_code"] for d in approved["history"]] == [TIANHE_JUNIOR, "440106", "440103"]


async def test_adm2_a_senior_admission_across_cities_needs_the_graduating_bureau(
    mesh: Mesh,
) -> None:
    """A 广州 junior graduate admitted by a 深圳 senior school; senior lists are imported by the
    city by default (ADM-1)."""
    number = await graduated_student(mesh, "44", 921, class_code="2024201", school=LIWAN_JUNIOR,
                                     name="周二")  # fmt: skip
    refused = await _import(mesh, "440303", [(number, "周二", LUOHU_SENIOR)], stage="3")
    assert refused["listed"] == 0 and "深圳市教育局" in refused["problems"][0]["messages"][0]
    imported = await _import(mesh, "440300", [(number, "周二", LUOHU_SENIOR)], stage="3")
    admission_id = imported["admission_ids"][0]
    admitted = await _post(mesh, f"{PATH}/{admission_id}/admit", f"{LUOHU_SENIOR}_registrar")
    assert [s["unit_code"] for s in admitted["chain"]] == [LUOHU_SENIOR, "440303", "440103"]
    same_city = await graduated_student(mesh, "44", 922, class_code="2024201",
                                        school=LIWAN_JUNIOR, name="周三")  # fmt: skip
    imported = await _import(mesh, "440100", [(same_city, "周三", TIANHE_SENIOR)], stage="3")
    admitted = await _post(mesh, f"{PATH}/{imported['admission_ids'][0]}/admit",
                           f"{TIANHE_SENIOR}_registrar")  # fmt: skip
    assert [s["unit_code"] for s in admitted["chain"]] == [TIANHE_SENIOR, "440106"]


async def test_adm3_only_graduates_of_the_stage_below_are_listed(mesh: Mesh) -> None:
    from tests.support.cases import enrolled_student

    in_school = await enrolled_student(mesh, "44", 931, class_code="2022101",
                                       school=TIANHE_PRIMARY, name="刘在校")  # fmt: skip
    graduate = await _primary_graduate(mesh, 932, "刘毕业")
    imported = await _import(mesh, "440106", [
        (in_school, "刘在校", TIANHE_JUNIOR),
        (graduate, "刘毕业", TIANHE_JUNIOR),
        (graduate, "刘毕业", TIANHE_JUNIOR),  # twice in one list
    ])  # fmt: skip
    assert imported["listed"] == 1 and imported["rows"] == 3
    messages = {p["row"]: p["messages"][0] for p in imported["problems"]}
    assert "只有毕业生可以招生录取" in messages[2] and messages[2].startswith("第2行：")
    assert "已在" in messages[4]
    senior = await _import(mesh, "440100", [(graduate, "刘毕业", TIANHE_SENIOR)], stage="3")
    assert "小学毕业生，不能录取到高中" in senior["problems"][0]["messages"][0]


async def test_adm3_another_school_may_admit_until_the_archive_is_pulled(mesh: Mesh) -> None:
    """[004 Q95]: before the pull another school may admit the same student; the first pull
    wins, the other admission is cancelled and can no longer be pulled; after the pull only
    the county's rollback undoes it [004 Q101], [003 §四.3]."""
    number = await _primary_graduate(mesh, 941, "赵五")
    first = await _listed(mesh, number, "赵五", TIANHE_JUNIOR)
    second = await _listed(mesh, number, "赵五", TIANHE_NINE)
    for admission, school in ((first, TIANHE_JUNIOR), (second, TIANHE_NINE)):
        admitted = await _post(mesh, f"{PATH}/{admission['id']}/admit", f"{school}_registrar")
        await _through_chain(mesh, admitted)
    await _post(mesh, f"{PATH}/{second['id']}/archive-pull", f"{TIANHE_NINE}_registrar")
    assert (await _record(mesh, number))["school_code"] == TIANHE_NINE
    cancelled = await mesh.get("44", f"{PATH}/{first['id']}", as_=f"{TIANHE_JUNIOR}_registrar")
    assert cancelled.json()["status"] == "cancelled"
    late = await _post(mesh, f"{PATH}/{first['id']}/archive-pull", f"{TIANHE_JUNIOR}_registrar",
                       409)  # fmt: skip
    assert late["code"] == "not_approved"
    again = await _import(mesh, "440106", [(number, "赵五", TIANHE_JUNIOR)])
    assert "只有毕业生可以招生录取" in again["problems"][0]["messages"][0]
    by_school = await _post(mesh, f"{PATH}/{second['id']}/rollback", f"{TIANHE_NINE}_registrar",
                            403, json={"reason": "误招"})  # fmt: skip
    assert by_school["code"] == "bureau_registrar_only"
    rolled = await _post(mesh, f"{PATH}/{second['id']}/rollback", "440106_registrar",
                         json={"reason": "误招，学生实际未报到"})  # fmt: skip
    assert rolled["status"] == "rolled_back"
    record = await _record(mesh, number)
    assert (record["status"], record["school_code"], record["class_code"]) == (
        "毕业", TIANHE_PRIMARY, "2022101",
    )  # fmt: skip
    assert record["in_flight"] is None


async def test_adm1_the_province_sets_who_imports_and_delegates_down(mesh: Mesh) -> None:
    """[002 §3]: set from the province down; a bureau below sets only if delegated."""
    path = f"{PATH}/import-settings"
    number = await _primary_graduate(mesh, 951, "孙六")
    county = await mesh.put("44", path, as_="440106_registrar",
                            json={"stage": "2", "level": "school"})  # fmt: skip
    assert county.status_code == 403 and county.json()["code"] == "not_delegated"
    too_high = await mesh.put("44", path, as_="440100_registrar",
                              json={"stage": "2", "level": "province"})  # fmt: skip
    assert too_high.status_code in (403, 422)
    for unit, body in (
        ("440000", {"stage": "2", "level": "county", "delegate": True}),
        ("440100", {"stage": "2", "level": "county", "delegate": True}),
        ("440106", {"stage": "2", "level": "school"}),
    ):
        reply = await mesh.put("44", path, as_=f"{unit}_registrar", json=body)
        assert reply.status_code == 200, reply.text
    refused = await _import(mesh, "440106", [(number, "孙六", TIANHE_JUNIOR)])
    assert "由天河区第一初级中学导入" in refused["problems"][0]["messages"][0]
    by_school = await _import(mesh, TIANHE_JUNIOR, [(number, "孙六", TIANHE_JUNIOR)])
    assert by_school["listed"] == 1
    shown = await mesh.get("44", path, as_="440106_registrar")
    levels = [(s["unit_code"], s["level"]) for s in shown.json()["settings"]["2"]]
    assert levels == [("440000", "county"), ("440100", "county"), ("440106", "school")]


async def test_adm1_a_bad_list_is_refused_whole_and_nothing_is_stored(mesh: Mesh) -> None:
    number = await _primary_graduate(mesh, 961, "钱七")
    missing = await _import(mesh, "440106", [(number, "钱七")], status=422,
                            header=("全国学籍号", "姓名"))  # fmt: skip
    assert missing["field"] == "file" and "录取学校标识码" in missing["detail"]
    not_excel = await mesh.post("44", f"{PATH}/import", as_="440106_registrar",
                                data={"stage": "2"}, files={"file": ("a.xlsx", b"no")})  # fmt: skip
    assert not_excel.status_code == 422 and not_excel.json()["code"] == "not_xlsx"
    rows = await _import(mesh, "440106", [
        (number, "钱八", TIANHE_JUNIOR),
        (number, "钱七", "3449999999"),
        ("G123", "钱七", TIANHE_JUNIOR),
        (number, "钱七", TIANHE_JUNIOR, "2025201"),
    ])  # fmt: skip
    assert rows["listed"] == 0 and rows["result"] == "处理失败"
    text = " ".join(p["messages"][0] for p in rows["problems"])
    expected_messages = ("姓名“钱八”与学籍号", "3449999999 不是本省学校", "第4行",
                         "不是2026级初中新生班级")  # fmt: skip
    for expected in expected_messages:
        assert expected in text, text
    listed = await mesh.get("44", PATH, as_="440106_registrar", params={"student_number": number})
    assert listed.json()["total"] == 0


async def test_adm4_lists_are_imported_only_in_the_provinces_window(mesh: Mesh) -> None:
    number = await _primary_graduate(mesh, 971, "吴九")
    window = {"junior_admission_window": {"start": [6, 1], "end": [9, 30]}}
    changed = await mesh.patch("44", "/api/v1/admin/key-dates", as_="440000_sysadmin", json=window)
    assert changed.status_code == 200, changed.text
    refused = await _import(mesh, "440106", [(number, "吴九", TIANHE_JUNIOR)], status=409)
    assert refused["code"] == "outside_admission_window" and "6月1日至9月30日" in refused["detail"]
    senior_open = await _import(mesh, "440100", [(number, "吴九", TIANHE_SENIOR)], stage="3")
    assert senior_open["listed"] == 0  # the senior window is open (a primary graduate though)


async def test_qry3_the_admission_query_with_a_confirmed_export(mesh: Mesh) -> None:
    """省内招生升学查询 [002 §16]: by year, source, school, stage; Excel behind SEC-4."""
    number = await _primary_graduate(mesh, 981, "郑十", school=LIWAN_PRIMARY)
    listed = await _listed(mesh, number, "郑十")
    query = {"year": 2026, "stage": "2", "source": "440103", "school_code": TIANHE_JUNIOR}
    found = await mesh.get("44", PATH, as_="440100_registrar", params=query)
    assert [i["id"] for i in found.json()["items"]] == [listed["id"]], found.text
    graduating_side = await mesh.get("44", PATH, as_="440103_registrar")
    assert graduating_side.json()["total"] == 1  # the graduating county sees its graduates
    other = await mesh.get("44", PATH, as_="440303_registrar")
    assert other.json()["total"] == 0
    export = f"{PATH}/export"
    unconfirmed = await mesh.get("44", export, as_="440100_registrar", params=query)
    assert unconfirmed.status_code in (403, 422), unconfirmed.text
    confirmed = {"X-Export-Confirmer": "440100_approver",
                 "X-Export-Confirmer-Password": DEMO_PASSWORD}  # fmt: skip
    reply = await mesh.get("44", export, as_="440100_registrar", params=query, headers=confirmed)
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(BytesIO(reply.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("招生年度", "录取教育阶段", "状态", "全国学籍号")
    assert rows[1][:5] == ("2026", "初中", "待录取", number, "郑十")
