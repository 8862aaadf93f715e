"""The student as a state machine: the transition table walked row by row, and the one
"business in flight" lock every process takes and releases (CHG-3, REG-9, XPT-2, PGE-1)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.codes import StudentStatus
from contracts.errors import DomainError
from province_node.domain.student import Student
from province_node.domain.student_status import (
    FLOW_BUSINESS,
    TRANSITIONS,
    check_may_start,
    status_after,
)
from province_node.domain.workflow_defaults import BusinessType

META = {"account": "a", "unit_code": "3440106002", "role": "registrar", "command_id": "c1"}


def _student(number: str = "L440106201503091234") -> Student:
    return Student(
        registration_id=uuid4(),
        student_number=number,
        dedup_key="k",
        id_type="1",
        id_number=None,
        name="张三",
        sex="1",
        birth_date=date(2015, 3, 9),
        ethnicity="01",
        school_code="3440106002",
        class_code="2026201",
        guardians=[],
        auth_status="failed",
        meta=META,
    )


@pytest.mark.parametrize("business", list(TRANSITIONS), ids=str)
def test_xpt2_pge1_reg9_transition_table_walk(business: BusinessType) -> None:
    row = TRANSITIONS[business]
    assert row.rule  # every row names its rule and seed
    for status in StudentStatus:
        if status in row.sources:
            check_may_start(business, status.value)
            assert status_after(business, status.value) == (row.target or status).value
        else:
            with pytest.raises(DomainError) as refused:
                check_may_start(business, status.value)
            assert refused.value.code == "not_eligible"
            assert status.value in refused.value.message and business.label in refused.value.message


def test_xpt2_suspended_and_deleted_students_never_leave_the_province() -> None:
    for flow in FLOW_BUSINESS.values():
        assert StudentStatus.SUSPENDED not in TRANSITIONS[flow].sources
        assert StudentStatus.DELETED not in TRANSITIONS[flow].sources
    assert status_after(BusinessType.KEY_DATA_CHANGE, "在校") == "在校"  # no row: unchanged


def test_chg3_one_lock_taken_and_released_by_every_process() -> None:
    student = _student()
    student.open_case(case_id="case-1", flow="transfer", meta=META)
    with pytest.raises(DomainError) as busy:
        student.check_deletion_request("3440106002")
    assert busy.value.code == "business_in_flight" and "跨省业务" in busy.value.message
    student.close_case(case_id="case-1", outcome="rejected", meta=META)
    assert student.in_flight is None and student.case_id is None

    student.request_deletion(reason="误操作", deletion_id="del-1", meta=META)
    with pytest.raises(DomainError) as busy:
        student.check_case_eligible("transfer", 7, "2")
    assert busy.value.code == "business_in_flight" and "删除申请" in busy.value.message
    student.close_case(case_id="case-1", outcome="late", meta=META)  # not its lock: kept
    assert student.in_flight == {"business": "deletion", "id": "del-1"}
    student.refuse_deletion(opinion="信息无误", meta=META)
    assert student.in_flight is None
    student.check_case_eligible("transfer", 7, "2")  # free again

    student.request_deletion(reason="误操作", deletion_id="del-2", meta=META)
    student.delete(opinion="核实", meta=META)
    assert (student.status, student.in_flight) == ("已删除", None)
    with pytest.raises(DomainError) as gone:
        student.check_deletion_request("3440106002")
    assert gone.value.code == "not_eligible"


def test_chg3_an_open_problem_record_blocks_but_not_its_own_way_out() -> None:
    student = _student()
    with pytest.raises(DomainError) as busy:
        student.check_nothing_in_flight("transfer", ["invalid_id"])
    assert "问题学籍" in busy.value.message
    student.check_nothing_in_flight("deletion", ["invalid_id"])  # PRB-3: deleting resolves it
