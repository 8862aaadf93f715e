"""CHG-1…CHG-5 as domain rules: what each type may start from, where it leaves the record,
the stage refusals, the grade placements, the transfer chain and the application's lock."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.codes import Stage, StudentStatus
from contracts.errors import ContractError, DomainError
from province_node.domain.status_change import (
    PLACEMENT,
    ChangeType,
    Where,
    grade_of,
    parse_type,
    plan,
    transfer_chain,
)
from province_node.domain.student import Student
from province_node.domain.student_status import TRANSITIONS

META = {"account": "a", "unit_code": "3440106002", "role": "registrar", "command_id": "c1"}
SCHOOL = "3440106002"
ENROLLED = Where("在校", SCHOOL, "2025201", 7)


def _plan(kind: ChangeType, before: Where = ENROLLED, stage: Stage = Stage.JUNIOR, **kw) -> Where:
    args = {"target_school": SCHOOL, "target_class": None, "target_grade": None}
    args |= {"suspended_grade": None} | kw
    return plan(kind, before, stage, **args)


def test_chg1_every_type_has_a_transition_row_and_a_label() -> None:
    for kind in ChangeType:
        assert kind.business in TRANSITIONS, kind
        assert kind.label
    assert parse_type("suspension") is ChangeType.SUSPENSION
    with pytest.raises(ContractError) as unknown:
        parse_type("graduate")
    assert unknown.value.field == "type" and "休学" in unknown.value.message


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ChangeType.SUSPENSION, "休学"),
        (ChangeType.TO_VOCATIONAL, "去中职就读"),
        (ChangeType.EXIT, "出境"),
        (ChangeType.WITHDRAWAL, "退学"),
        (ChangeType.DEATH, "死亡"),
        (ChangeType.MISSING, "失踪"),
    ],
)
def test_chg1_a_leaving_type_sets_the_status_and_keeps_the_class(
    kind: ChangeType, status: str
) -> None:
    after = _plan(kind)
    assert (after.status, after.class_code, after.school_code) == (status, "2025201", SCHOOL)
    with pytest.raises(ContractError) as no_class:
        _plan(kind, target_class="2024201", target_grade=8)
    assert no_class.value.field == "target_class_code"


def test_chg1_expulsion_is_refused_in_compulsory_education_and_allowed_in_senior() -> None:
    for stage in (Stage.PRIMARY, Stage.JUNIOR):
        with pytest.raises(DomainError) as refused:
            _plan(ChangeType.EXPULSION, stage=stage)
        assert refused.value.code == "not_allowed_for_stage"
        assert "教基一〔2013〕7号" in refused.value.message
    senior = Where("在校", SCHOOL, "2025301", 11)
    assert _plan(ChangeType.EXPULSION, senior, Stage.SENIOR).status == "开除"


def test_chg1_to_vocational_is_refused_for_primary_pupils() -> None:
    with pytest.raises(DomainError) as refused:
        _plan(ChangeType.TO_VOCATIONAL, Where("在校", SCHOOL, "2025101", 2), Stage.PRIMARY)
    assert refused.value.code == "not_allowed_for_stage"


def test_chg1_repeat_goes_down_one_grade_and_skip_up_one() -> None:
    down = _plan(ChangeType.REPEAT_GRADE, target_class="2026201", target_grade=6)
    assert (down.status, down.class_code, down.grade) == ("在校", "2026201", 6)
    up = _plan(ChangeType.SKIP_GRADE, target_class="2024201", target_grade=8)
    assert (up.class_code, up.grade) == ("2024201", 8)
    for kind, grade in ((ChangeType.REPEAT_GRADE, 8), (ChangeType.SKIP_GRADE, 9)):
        with pytest.raises(ContractError) as wrong:
            _plan(kind, target_class="2023201", target_grade=grade)
        assert wrong.value.code == "wrong_grade"
    with pytest.raises(ContractError) as missing:
        _plan(ChangeType.SKIP_GRADE)
    assert missing.value.code == "class_required"


def test_chg1_resumption_places_by_the_grade_the_suspension_began_in() -> None:
    suspended = Where("休学", SCHOOL, "2025201", 8)  # a year later the class is in grade 8
    for grade in (7, 8):
        after = _plan(ChangeType.RESUMPTION, suspended, target_class="x", target_grade=grade,
                      suspended_grade=7)  # fmt: skip
        assert (after.status, after.grade) == ("在校", grade)
    for grade in (6, 9):
        with pytest.raises(ContractError) as wrong:
            _plan(ChangeType.RESUMPTION, suspended, target_class="x", target_grade=grade,
                  suspended_grade=7)  # fmt: skip
        assert wrong.value.code == "wrong_grade" and "7至8年级" in wrong.value.message
    with pytest.raises(DomainError) as not_suspended:
        _plan(ChangeType.RESUMPTION, target_class="x", target_grade=7)
    assert not_suspended.value.code == "not_eligible"


def test_chg1_return_from_abroad_into_any_grade() -> None:
    exited = Where("出境", SCHOOL, "2025201", 7)
    for grade in (6, 9):
        after = _plan(ChangeType.RETURN_FROM_ABROAD, exited, target_class="x", target_grade=grade)
        assert (after.status, after.grade) == ("在校", grade)
    assert PLACEMENT[ChangeType.RETURN_FROM_ABROAD].value == "any_grade"


def test_chg4_transfer_keeps_the_status_moves_the_school_same_grade() -> None:
    for status in ("在校", "出境", "退学", "开除", "其他离校"):
        before = Where(status, "3440103002", "2025201", 8)
        after = _plan(ChangeType.TRANSFER, before, target_school=SCHOOL, target_class="2024201",
                      target_grade=8)  # fmt: skip
        assert (after.status, after.school_code, after.class_code) == (status, SCHOOL, "2024201")
    with pytest.raises(ContractError) as wrong:
        _plan(ChangeType.TRANSFER, target_class="2024201", target_grade=8)
    assert wrong.value.code == "wrong_grade"


def test_chg4_suspended_student_cannot_transfer() -> None:
    with pytest.raises(DomainError) as refused:
        _plan(ChangeType.TRANSFER, Where("休学", "3440103002", "2025201", 8),
              target_class="2024201", target_grade=8)  # fmt: skip
    assert refused.value.code == "not_eligible" and "复学" in refused.value.message
    with pytest.raises(DomainError):  # a deceased record moves nowhere
        _plan(ChangeType.TRANSFER, Where("死亡", "3440103002", "2025201", 8),
              target_class="2024201", target_grade=8)  # fmt: skip


def test_chg4_one_county_decides_once_after_both_schools() -> None:
    def step(level: str, unit: str) -> dict:
        return {"level": level, "unit_code": unit, "unit_name": unit}

    in_side = [step("school", "A"), step("supervising", "440106")]
    same = transfer_chain(in_side, [step("school", "B"), step("supervising", "440106")])
    assert [s["unit_code"] for s in same] == ["A", "B", "440106"]
    other = transfer_chain(in_side, [step("school", "C"), step("supervising", "440103")])
    assert [s["unit_code"] for s in other] == ["A", "440106", "C", "440103"]


def test_id5_grades_are_national_in_both_school_systems() -> None:
    today = date(2026, 11, 22)
    assert grade_of("2025201", "6-3", today) == 8
    assert grade_of("2025201", "5-4", today) == 7
    with pytest.raises(ContractError) as future:
        grade_of("2027201", "6-3", today, "target_class_code")
    assert future.value.field == "target_class_code"


def test_chg3_an_application_holds_the_record_until_it_ends() -> None:
    student = Student(
        registration_id=uuid4(), student_number="G440106201503091234", dedup_key="k",
        id_type="1", id_number=None, name="张三", sex="1", birth_date=date(2015, 3, 9),
        ethnicity="01", school_code=SCHOOL, class_code="2025201", guardians=[],
        auth_status="passed", meta=META,
    )  # fmt: skip
    student.start_application("app-1", "suspension", META)
    with pytest.raises(DomainError) as busy:
        student.check_case_eligible("transfer", 7, "2")
    assert busy.value.code == "business_in_flight" and "休学申请" in busy.value.message
    student.change(application_id="app-1", business="suspension", status="休学",
                   school_code=SCHOOL, class_code="2025201", change_date="2026-11-20",
                   suspension={"grade": 7}, opinion="同意", meta=META)  # fmt: skip
    assert student.in_flight is None and student.suspension == {"grade": 7}
    # XPT-2 follows the new status: a 休学 student cannot start a cross-province transfer …
    with pytest.raises(DomainError) as suspended:
        student.check_case_eligible("transfer", 7, "2")
    assert suspended.value.code == "not_eligible"
    student.start_application("app-2", "exit", META)
    student.end_application("app-2", "revoked", META)
    student.start_application("app-3", "exit", META)
    student.change(application_id="app-3", business="exit", status=StudentStatus.EXITED.value,
                   school_code=SCHOOL, class_code="2025201", change_date="2026-11-21",
                   suspension=None, opinion=None, meta=META)  # fmt: skip
    student.check_case_eligible("transfer", 7, "2")  # … an 出境 student can
