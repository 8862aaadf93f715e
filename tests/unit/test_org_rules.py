"""ORG-1, ORG-2, ORG-4 rules on the domain alone: change files judged row by row, branch
campuses numbered after the main campus [004 Q16], each profile field kept by one level."""

from __future__ import annotations

import pytest

from contracts.errors import ContractError, DomainError, Forbidden
from province_node.domain.region_change import (
    CONFIRMED,
    DONE,
    REGION_COLUMNS,
    FileRefused,
    RegionChangeBook,
    check_columns,
    plan_region_rows,
)
from province_node.domain.school import BUREAU, PROFILE_FIELDS, SCHOOL, School
from province_node.domain.school_change import plan_school_rows

REGIONS = {
    "440000": {"name": "广东省", "level": "province", "parent": "", "revoked": False},
    "440100": {"name": "广州市", "level": "city", "parent": "440000", "revoked": False},
    "440106": {"name": "天河区", "level": "county", "parent": "440100", "revoked": False},
    "440300": {"name": "深圳市", "level": "city", "parent": "440000", "revoked": False},
}
META = {"account": "440000_sysadmin"}


def row(kind: str, code: str, name: str = "", parent: str = "", year: str = "2026") -> dict:
    return {"kind": kind, "code": code, "name": name, "parent": parent, "year": year}


def test_org1_region_rows_are_judged_against_the_regions_in_force() -> None:
    rows = [
        (2, row("新增", "440200000000", "韶关市", "440000000000")),
        (3, row("新增", "440203000000", "武江区", "440200000000")),  # parent from the same file
        (4, row("更名", "440106000000", "天河新区")),
        (5, row("撤销", "440300000000")),
    ]
    planned = plan_region_rows(rows, REGIONS, "44", {})
    assert [(c["kind"], c["code"], c["level"]) for c in planned] == [
        ("add", "440200", "city"), ("add", "440203", "county"),
        ("rename", "440106", "county"), ("revoke", "440300", "city"),
    ]  # fmt: skip
    assert planned[2]["old_name"] == "天河区" and planned[3]["name"] == "深圳市"


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        (row("合并", "440106000000"), "kind", "新增、更名或撤销"),
        (row("撤销", "4401060000"), "code", "12位"),
        (row("撤销", "440106000001"), "code", "000000"),
        (row("撤销", "370102000000"), "code", "不是本省"),
        (row("撤销", "440199000000"), "code", "不存在"),
        (row("新增", "440106000000", "天河区"), "code", "已存在"),
        (row("新增", "440118000000", ""), "name", "区划名称"),
        (row("新增", "440118000000", "增城区", "449900000000"), "parent", "不存在"),
        (row("新增", "440118000000", "增城区", "440300000000"), "parent", "不能设在"),
        (row("更名", "440106000000", "天河区"), "name", "新的区划名称"),
        (row("撤销", "440106000000", year="26"), "year", "4位年份"),
    ],
)
def test_org1_a_bad_row_refuses_the_file_naming_row_and_field(cells, field, words) -> None:
    with pytest.raises(FileRefused) as refused:
        plan_region_rows([(2, row("撤销", "440300")), (7, cells)], REGIONS, "44", {})
    problem = refused.value.errors[0]
    assert (problem["row"], problem["field"]) == (7, field) and words in problem["message"]
    assert refused.value.status == 422 and "第7行" in refused.value.message


def test_org1_a_missing_column_is_named() -> None:
    with pytest.raises(FileRefused) as refused:
        check_columns(["变更类型", "区划代码", "区划名称", "变更年度"], REGION_COLUMNS)
    assert "上级区划代码" in refused.value.message and refused.value.field == "file"


def test_org1_add_waits_for_its_parent_and_revoke_stays_confirmed() -> None:
    book = RegionChangeBook(province="44")
    rows = [
        (2, row("新增", "440200", "韶关市", "440000")),
        (3, row("新增", "440203", "武江区", "440200")),
    ]
    city, county = plan_region_rows(rows, REGIONS, "44", {})
    revoke = plan_region_rows([(2, row("撤销", "440300"))], REGIONS, "44", {})[0]
    book.import_changes(changes=[city, county, revoke], filename="f", at="t", meta=META)
    with pytest.raises(DomainError) as refused:
        book.check_confirm(county["id"], REGIONS)
    assert refused.value.code == "parent_pending"
    book.confirm(change_id=city["id"], at="t", meta=META)
    book.complete(change_id=city["id"], disabled_accounts=[], at="t", meta=META)
    assert book.regions["440200"]["name"] == "韶关市"
    book.confirm(change_id=revoke["id"], at="t", meta=META)
    assert [c["id"] for c in book.waiting_revokes()] == [revoke["id"]]
    assert book.changes[revoke["id"]]["state"] == CONFIRMED
    again = plan_region_rows([(2, row("撤销", "440300"))], REGIONS, "44", book.changes)
    assert again[0]["duplicate"]  # the same row imported again is the same change
    assert book.changes[city["id"]]["state"] == DONE


def _school(**classes: int) -> School:
    school = School(school_code="3440106001", name="实验小学", region_code="440106",
                    supervising_unit="440106", locality_unit="440106", school_type="普通中小学",
                    stages=["1"], school_system="6-3", meta=META)  # fmt: skip
    for code, campus in classes.items():
        school.open_class(class_code=code[1:], grade="", name="", meta=META, campus=campus)
    return school


def test_org2_branch_campus_classes_are_numbered_after_the_main_campus() -> None:
    school = _school(c2026101=0, c2026103=0)
    school.attach_campus(name="东校区", address="", meta=META)
    with pytest.raises(DomainError) as refused:
        school.check_new_class("2026103", 2026, campus=1)
    assert refused.value.code == "duplicate_class"
    with pytest.raises(DomainError) as refused:
        school.check_new_class("2026102", 2026, campus=1)
    assert refused.value.code == "campus_class_number" and "04" in refused.value.message
    assert school.check_new_class("2026104", 2026, campus=1)["campus"] == 1
    school.open_class(class_code="2026104", grade="", name="", meta=META, campus=1)
    with pytest.raises(DomainError) as refused:
        school.check_new_class("2026105", 2026)  # the main campus may not pass the branch
    assert refused.value.code == "campus_class_number"
    assert "campus" not in school.check_new_class("2026102", 2026)  # below the branch: fine
    assert school.check_new_class("2025101", 2026, campus=1)  # another grade: its own count
    with pytest.raises(ContractError):
        school.check_new_class("2026106", 2026, campus=2)


def test_org2_a_branch_campus_needs_a_public_main_school() -> None:
    school = _school()
    school.change_profile(changes={"sponsor": "民办"}, meta=META)
    rows = [(2, {"kind": "新增", "name": "分校", "main_school": "3440106001", "year": "2026",
                 "quarter": "1"})]  # fmt: skip
    with pytest.raises(FileRefused) as refused:
        plan_school_rows(rows, lambda code: school, lambda code: True, {})
    assert refused.value.errors[0]["field"] == "main_school"
    assert "公办" in refused.value.errors[0]["message"]


def test_org4_each_profile_field_has_one_keeper() -> None:
    bureau = {f.key for f in PROFILE_FIELDS if f.owner == BUREAU}
    assert bureau == {"name", "region_code", "address", "urban_rural", "locality_unit",
                      "supervising_unit", "school_type", "running_type", "sponsor",
                      "attached_classes", "school_system"}  # fmt: skip
    assert {f.owner for f in PROFILE_FIELDS} == {SCHOOL, BUREAU}
    school = _school()
    with pytest.raises(Forbidden) as refused:
        school.check_profile({"head_name": "王", "name": "新"}, SCHOOL, lambda code: True)
    assert (refused.value.code, refused.value.field) == ("field_not_editable", "name")
    with pytest.raises(Forbidden):
        school.check_profile({"head_name": "王"}, BUREAU, lambda code: True)
    assert school.check_profile({"head_name": "王"}, SCHOOL, lambda code: True) == {
        "head_name": "王"
    }
