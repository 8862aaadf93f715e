"""ADM-1…ADM-4 rules on their own: who imports, which years and classes, which bureaus."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.calendar import KeyDates
from contracts.codes import Level, Stage
from contracts.errors import ContractError, DomainError, Forbidden
from contracts.org import OrgTree, Unit
from province_node.domain.admission import (
    ImportRule,
    admission_year,
    check_admissible,
    check_class_for,
    check_import_rule,
    check_window,
    crosses_bureaus,
    importing_unit,
)

SCHOOLS = [
    {"school_code": "3440106002", "name": "天河区第一初级中学", "supervising_unit": "440106",
     "locality_unit": "440106"},
    {"school_code": "3440100009", "name": "广州市直属中学", "supervising_unit": "440100",
     "locality_unit": "440106"},
]  # fmt: skip
ORG = OrgTree.for_province("44", SCHOOLS)
J = Stage.JUNIOR


def bureau(code: str) -> Unit:
    return ORG.unit(code)


def test_adm1_with_no_setting_counties_import_junior_and_cities_senior_lists() -> None:
    assert importing_unit(J, "3440106002", ORG, {}) == "440106"
    assert importing_unit(Stage.SENIOR, "3440106002", ORG, {}) == "440100"


def test_adm1_a_non_delegating_bureau_fixes_the_level_for_all_below() -> None:
    rules = {
        "440000": ImportRule(Level.CITY, delegate=False),
        "440100": ImportRule(Level.SCHOOL, delegate=True),  # does not count: not delegated to
        "440106": ImportRule(Level.SCHOOL),
    }
    assert importing_unit(J, "3440106002", ORG, rules) == "440100"


def test_adm1_a_delegated_city_and_county_decide_for_their_schools() -> None:
    rules = {
        "440000": ImportRule(Level.CITY, delegate=True),
        "440100": ImportRule(Level.COUNTY, delegate=True),
        "440106": ImportRule(Level.SCHOOL),
    }
    assert importing_unit(J, "3440106002", ORG, rules) == "3440106002"
    rules["440100"] = ImportRule(Level.COUNTY, delegate=False)
    assert importing_unit(J, "3440106002", ORG, rules) == "440106"


def test_adm1_schools_run_by_a_city_are_imported_by_their_own_bureau() -> None:
    rules = {"440000": ImportRule(Level.SCHOOL)}
    assert importing_unit(J, "3440100009", ORG, rules) == "440100"


def test_adm1_setting_is_refused_above_the_setter_or_where_not_delegated() -> None:
    with pytest.raises(ContractError) as above:
        check_import_rule(J, bureau("440100"), ImportRule(Level.PROVINCE), {})
    assert above.value.field == "level"
    with pytest.raises(Forbidden) as not_delegated:
        check_import_rule(J, bureau("440106"), ImportRule(Level.SCHOOL), {})
    assert not_delegated.value.code == "not_delegated"
    with pytest.raises(ContractError):
        check_import_rule(J, bureau("440106"), ImportRule(Level.SCHOOL, delegate=True),
                          {"440000": ImportRule(Level.CITY, True),
                           "440100": ImportRule(Level.CITY, True)})  # fmt: skip
    check_import_rule(J, bureau("440000"), ImportRule(Level.SCHOOL, delegate=True), {})


def test_adm2_compulsory_stage_crosses_counties_senior_crosses_cities() -> None:
    assert crosses_bureaus(J, "440106", "440103")
    assert not crosses_bureaus(J, "440106", "440106")
    assert not crosses_bureaus(Stage.SENIOR, "440106", "440103")  # both 广州
    assert crosses_bureaus(Stage.SENIOR, "440303", "440103")


def test_adm3_only_graduates_of_the_stage_below() -> None:
    primary = {"stage": "1", "school_code": "3440106001", "date": "2026-07-01"}
    check_admissible("毕业", primary, J)
    for status, graduation, stage in (
        ("在校", None, J),
        ("结业", primary, J),
        ("毕业", primary, Stage.SENIOR),
    ):
        with pytest.raises(DomainError):
            check_admissible(status, graduation, stage)


def test_adm3_students_go_into_grade_one_of_their_year() -> None:
    check_class_for("2026201", J, 2026)
    for class_code in ("2025201", "2026301"):
        with pytest.raises(DomainError) as refused:
            check_class_for(class_code, J, 2026)
        assert refused.value.field == "class_code"


def test_adm4_windows_per_kind_and_the_admission_year() -> None:
    summer = {"start": [7, 1], "end": [8, 31]}
    key_dates = KeyDates().with_overrides({"senior_admission_window": summer})
    check_window(J, date(2026, 9, 15), key_dates)
    with pytest.raises(DomainError) as closed:
        check_window(Stage.SENIOR, date(2026, 9, 15), key_dates)
    assert closed.value.code == "outside_admission_window" and "7月1日至8月31日" in str(
        closed.value
    )
    assert admission_year(date(2026, 7, 1), key_dates) == 2026  # before the promotion: next year
    assert admission_year(date(2026, 11, 22), key_dates) == 2026
