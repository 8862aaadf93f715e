"""毕业升级 rules as pure functions (GRD-1…GRD-3)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.calendar import KeyDates
from contracts.codes import Stage
from contracts.errors import DomainError, Forbidden
from province_node.domain.graduation import (
    GraduationKind,
    check_graduating_class,
    check_rollback,
    rollback_deadline,
)
from province_node.domain.promotion import may_move, moves_up, new_grade_one_classes
from province_node.domain.workflow_defaults import BusinessType


def test_grd1_only_the_last_grade_of_a_stage_or_later_graduates() -> None:
    assert check_graduating_class("2023201", "5-4", 2026) is Stage.JUNIOR  # junior 4 of 4
    assert check_graduating_class("2022201", "5-4", 2026) is Stage.JUNIOR  # a past year
    assert check_graduating_class("2021101", "5-4", 2026) is Stage.PRIMARY  # primary 5 of 5
    for code, system in (("2024201", "5-4"), ("2022101", "6-3"), ("2025301", "6-3")):
        with pytest.raises(DomainError) as refused:
            check_graduating_class(code, system, 2026)
        assert refused.value.code == "not_graduating_grade" and code in str(refused.value)


def test_grd1_each_kind_climbs_its_own_workflow_row() -> None:
    assert GraduationKind.GRADUATE.business(Stage.SENIOR) is BusinessType.GRADUATION_SENIOR
    assert GraduationKind.COMPLETION.business(Stage.JUNIOR) is BusinessType.COMPLETION_JUNIOR
    assert GraduationKind.INCOMPLETE.business(Stage.PRIMARY) is BusinessType.INCOMPLETE
    assert GraduationKind.COMPLETION.status.value == "结业"


def test_grd2_six_months_then_only_the_province() -> None:
    assert rollback_deadline(date(2026, 6, 30)) == date(2026, 12, 30)
    assert rollback_deadline(date(2026, 8, 31)) == date(2027, 2, 28)  # the month's last day
    graduation = {"date": "2026-06-30"}
    check_rollback(graduation, date(2026, 12, 30), "440106", "440106", "440000")
    with pytest.raises(Forbidden) as late:
        check_rollback(graduation, date(2026, 12, 31), "440106", "440106", "440000")
    assert late.value.code == "rollback_by_province"
    check_rollback(graduation, date(2030, 1, 1), "440000", "440106", "440000")
    with pytest.raises(Forbidden) as other:
        check_rollback(graduation, date(2026, 7, 1), "440103", "440106", "440000")
    assert other.value.code == "outside_jurisdiction"


def test_grd3_who_moves_up_when_the_year_turns() -> None:
    assert moves_up("2025201", "5-4", 2027) == (7, 8)
    assert moves_up("2026101", "6-3", 2027) == (1, 2)
    assert moves_up("2023201", "5-4", 2027) is None  # the graduating grade stays
    assert moves_up("2027101", "6-3", 2027) is None  # entered this year: nothing to move
    assert may_move("在校", None, 2027) and not may_move("在校", 2027, 2027)
    assert not may_move("休学", None, 2027)


def test_grd3_key_dates_turn_the_year_on_the_provinces_day() -> None:
    local = KeyDates().with_overrides({"promotion": [8, 20]})
    assert local.school_year(date(2027, 8, 15)) == 2026
    assert KeyDates().school_year(date(2027, 8, 15)) == 2027


def test_org_next_years_grade_one_classes_copy_this_years() -> None:
    classes = {c: {} for c in ("2026101", "2026102", "2025101", "2026201")}
    opened = new_grade_one_classes(classes, 2027)
    assert [c["class_code"] for c in opened] == ["2027101", "2027102", "2027201"]
    assert opened[0]["name"] == "小学1年级1班" and opened[0]["grade"] == "小学2027级"
    assert new_grade_one_classes(classes | {"2027101": {}}, 2027)[0]["class_code"] == "2027102"
