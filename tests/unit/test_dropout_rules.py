"""控辍保学 in memory (DRP-1…DRP-4): the case's states, measures and their edits, the return's
chain (SYS-1 row `dropout_return`) and the transition row."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.codes import StudentStatus
from contracts.errors import ContractError, DomainError, NotFound
from province_node.domain.dropout import (
    CaseState,
    DropoutCase,
    DropoutReturn,
    check_day,
    check_measure,
    parse_kind,
)
from province_node.domain.student_status import check_may_start
from province_node.domain.workflow import BusinessType, StepLevel, WorkflowTable
from province_node.domain.workflow_defaults import DEFAULT_CHAIN_RULES

TODAY = date(2026, 11, 22)
MEASURE = {"unit": "学校", "person": "张老师", "measure": "家访", "time": "2026-11-20",
           "result": "同意返校"}  # fmt: skip


def _meta(command: str, account: str = "3440106002_registrar", unit: str = "3440106002") -> dict:
    return {"command_id": command, "account": account, "unit_code": unit, "role": "registrar"}


def _case(kind: str = "suspected") -> DropoutCase:
    return DropoutCase(command_id="c1", kind=kind, student_id="s", student_number="G1",
                       student_name="王小明", school_code="3440106002", class_code="2026201",
                       record_date="2026-11-10", note="家庭困难", at="2026-11-10T10:00",
                       meta=_meta("c1"))  # fmt: skip


def test_drp1_kinds_dates_and_notes_are_checked() -> None:
    assert parse_kind("dropped_out").label == "辍学"
    with pytest.raises(ContractError) as caught:
        parse_kind("gone")
    assert caught.value.field == "kind"
    with pytest.raises(ContractError) as caught:
        check_day(None, "date", "疑似辍学日期", TODAY)
    assert caught.value.message == "请填写疑似辍学日期"
    with pytest.raises(ContractError):
        check_day(date(2026, 11, 23), "date", "辍学日期", TODAY)
    check_may_start(BusinessType.DROPOUT_RETURN, StudentStatus.ENROLLED.value)
    with pytest.raises(DomainError):
        check_may_start(BusinessType.DROPOUT_RETURN, StudentStatus.SUSPENDED.value)


def test_drp2_only_a_suspected_case_is_marked_dropped_out_not_before_its_date() -> None:
    case = _case()
    with pytest.raises(ContractError):
        case.check_confirmable(date(2026, 11, 1))
    case.check_confirmable(date(2026, 11, 15))
    case.mark_dropped_out(dropout_date="2026-11-15", note="厌学", at="x", meta=_meta("c2"))
    assert case.state == CaseState.DROPPED_OUT and case.needs_approval and case.seen("c2")
    with pytest.raises(DomainError) as caught:
        case.check_confirmable(date(2026, 11, 16))
    assert caught.value.code == "not_suspected"


def test_drp3_measures_all_fields_and_each_edit_keeps_who_and_before() -> None:
    for missing in MEASURE:
        with pytest.raises(ContractError) as caught:
            check_measure(MEASURE | {missing: " "})
        assert caught.value.field == missing
    with pytest.raises(ContractError):
        check_measure({"result": "x", "other": "y"}, partial=True)
    case = _case()
    case.add_measure(measure=check_measure(MEASURE), at="t1", meta=_meta("c2"))
    bureau = _meta("c3", "440106_registrar", "440106")
    case.edit_measure(n=1, changes=check_measure({"result": "未返校"}, partial=True), at="t2",
                      meta=bureau)  # fmt: skip
    entry = case.measure(1)
    assert entry["result"] == "未返校" and entry["by_unit"] == "3440106002"
    assert entry["edits"] == [{"before": {"result": "同意返校"}, "by": "440106_registrar",
                               "by_unit": "440106", "at": "t2"}]  # fmt: skip
    with pytest.raises(NotFound):
        case.measure(2)


def test_drp4_a_suspected_case_finishes_at_once_a_dropped_out_one_waits() -> None:
    suspected = _case()
    assert not suspected.needs_approval
    suspected.finish(returned={"date": "2026-11-21", "class_code": "2026202"}, return_id=None,
                     at="t", meta=_meta("c2"))  # fmt: skip
    assert suspected.state == CaseState.FINISHED
    with pytest.raises(DomainError):
        suspected.check_returnable()
    dropped = _case("dropped_out")
    dropped.apply_return(return_id="r1", at="t", meta=_meta("c2"))
    with pytest.raises(DomainError) as caught:
        dropped.check_returnable()
    assert caught.value.code == "return_in_progress"
    dropped.end_return(return_id="r1", outcome="rejected", at="t", meta=_meta("c3"))
    dropped.check_returnable()  # rejected: the school may apply again
    assert dropped.state == CaseState.DROPPED_OUT


def test_drp4_the_return_climbs_the_bureau_by_default_and_a_rejection_ends_it() -> None:
    rule = next(r for r in DEFAULT_CHAIN_RULES if r.business_type is BusinessType.DROPOUT_RETURN)
    assert rule.steps == (StepLevel.SUPERVISING,)
    assert WorkflowTable.default()  # the row validates (a chain may start above the school)
    step = {"level": "supervising", "unit_code": "440106", "unit_name": "天河区教育局"}
    application = DropoutReturn(command_id="r", case_id="c", student_id="s", student_number="G1",
                                student_name="王小明", school_code="3440106002",
                                return_date="2026-11-21", class_code="2026202", grade=6,
                                grade_name="初中2026级", note="劝学返校", chain=[step], at="t",
                                meta=_meta("r"))  # fmt: skip
    assert application.awaits("440106", "registrar") == "decide"
    assert application.awaits("3440106002", "approver") is None
    assert DropoutReturn.after_decision(0, 1, False) == (DropoutReturn.REJECTED, 0)
    assert DropoutReturn.after_decision(0, 1, True) == (DropoutReturn.APPROVED, 0)
    assert application.placement["class_code"] == "2026202"
