"""The cross-province case aggregate's rules, in memory (XPT-1, XPT-4, XPT-6, XPT-7, PGE-3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.errors import ContractError, DomainError, Forbidden
from hub.domain.case import CrossProvinceCase
from hub.domain.placement import check_placement
from xueji.clock import SHANGHAI

START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday


def _side(province: str, steps: list[tuple[str, str]], system: str = "6-3") -> dict:
    return {
        "province": province,
        "school_code": steps[0][1] if steps[0][0].endswith("school") else "3000000001",
        "school_name": "学校",
        "school_system": system,
        "steps": [{"step": s, "unit_code": u, "unit_name": u} for s, u in steps],
        "units": [u for _, u in steps],
    }


STUDENT = {
    "student_number": "G" + "1" * 18,
    "name": "李四",
    "national_grade": 7,
    "stage": "2",
    "status": "在校",
}


def _case(
    flow: str = "transfer",
    student: dict | None = None,
    target_grade: int = 7,
    in_system: str = "6-3",
) -> CrossProvinceCase:
    out_steps = [("out_bureau", "440106")]
    if flow == "transfer":
        out_steps.insert(0, ("out_school", "3440106002"))
    in_steps = [("in_school", "3340104002"), ("in_bureau", "340104")]
    return CrossProvinceCase(
        command_id="c1",
        flow=flow,
        student=STUDENT | (student or {}),
        in_side=_side("34", in_steps, in_system),
        out_side=_side("44", out_steps),
        target_grade=target_grade,
        target_class_code="2026201",
        reason="随迁",
        proof=None,
        at=START,
        meta={"account": "a", "unit_code": "3340104002", "command_id": "c1"},
    )


def _approve(case: CrossProvinceCase, at: datetime = START) -> None:
    step = case.step
    role = "approver" if step["step"].endswith("_school") else "registrar"
    actor = {"unit_code": step["unit_code"], "role": role}
    case.check_decision(step["province"], actor, True, None, None)
    meta = {"account": "x", "unit_code": step["unit_code"], "command_id": f"d{case.current}"}
    case.decide(True, "同意", None, at, meta)


def test_xpt1_steps_in_order_only_by_the_step_s_unit_and_role() -> None:
    case = _case()
    with pytest.raises(Forbidden):  # the out side cannot jump the queue
        case.check_decision("44", {"unit_code": "3440106002", "role": "approver"}, True, "", None)
    with pytest.raises(Forbidden):  # a school step is its approver's
        case.check_decision("34", {"unit_code": "3340104002", "role": "registrar"}, True, "", None)
    with pytest.raises(ContractError):  # rejection needs an opinion
        case.check_decision("34", {"unit_code": "3340104002", "role": "approver"}, False, " ", None)
    for _ in range(4):
        _approve(case)
    assert (case.status, case.step_name, case.awaiting_unit) == (
        "approved",
        "archive_pull",
        "3340104002",
    )


def test_xpt4_revoke_until_the_pull_only() -> None:
    case = _case()
    case.check_revocable()
    for _ in range(4):
        _approve(case)
    case.request_pull(at=START, meta={"command_id": "p"})
    with pytest.raises(DomainError):
        case.check_revocable()


def test_xpt7_overdue_once_per_step_then_clean_after_90_days() -> None:
    case = _case()
    assert case.step_due().isoformat() == "2026-12-07"  # 10 working days after Mon Nov 23
    assert case.deadline_due(datetime(2026, 12, 7, 18, tzinfo=SHANGHAI)) is None
    assert case.deadline_due(datetime(2026, 12, 8, 9, tzinfo=SHANGHAI)) == "overdue"
    case.record_overdue(at=datetime(2026, 12, 8, 9, tzinfo=SHANGHAI))
    assert case.deadline_due(datetime(2026, 12, 9, 9, tzinfo=SHANGHAI)) is None
    assert case.deadline_due(START + timedelta(days=90)) == "clean"


def test_xpt6_unpulled_case_cancelled_after_10_working_days() -> None:
    case = _case()
    for _ in range(4):
        _approve(case)
    assert case.deadline_due(datetime(2026, 12, 7, 18, tzinfo=SHANGHAI)) is None
    assert case.deadline_due(datetime(2026, 12, 8, 9, tzinfo=SHANGHAI)) == "cancel"
    assert case.deadline_due(START + timedelta(days=91)) == "cancel"  # never "clean" now


def test_pge3_graduating_side_cannot_refuse_on_admission_or_scores() -> None:
    case = _case("enrollment")
    _approve(case)
    _approve(case)
    actor = {"unit_code": "440106", "role": "registrar"}
    for ground in ("irregular_admission", "scores"):
        with pytest.raises(DomainError, match="不得"):
            case.check_decision("44", actor, False, "不同意", ground)
    case.check_decision("44", actor, False, "学生放弃", "withdrawn")


def test_xpt9_grade_changed_only_when_the_receiving_grade_differs_from_the_mapped_one() -> None:
    assert not _case().grade_changed  # grade 7 into grade 7
    assert _case(target_grade=8).grade_changed
    graduate = {"stage": "1", "status": "毕业", "national_grade": 6}  # 6-3 primary graduate
    assert not _case(student=graduate).grade_changed  # into 6-3 junior 1 = 7
    assert not _case(student=graduate, target_grade=6, in_system="5-4").grade_changed
    five_four = graduate | {"national_grade": 5}  # a 5-4 primary graduate
    assert not _case(student=five_four, target_grade=7).grade_changed
    assert _case(student=five_four, target_grade=8).grade_changed
    grade_nine = {"national_grade": 9}
    assert not _case("enrollment", student=grade_nine, target_grade=10).grade_changed  # PGE


@pytest.mark.parametrize(
    ("flow", "student", "target", "system", "code"),
    [
        ("transfer", {"national_grade": 9}, "2026301", "6-3", "stage_mismatch"),
        ("transfer", {"national_grade": 8}, "2026101", "6-3", "stage_mismatch"),
        (
            "transfer",
            {"stage": "1", "status": "毕业", "national_grade": 6},
            "2026101",
            "6-3",
            "stage_mismatch",
        ),
        ("transfer", {"status": "毕业", "national_grade": 9}, "2026301", "6-3", "not_eligible"),
        ("enrollment", {"national_grade": 9}, "2026201", "6-3", "stage_mismatch"),
        ("transfer", {"national_grade": 9}, "2026201", "6-3", None),
        (
            "transfer",
            {"stage": "1", "national_grade": 6},
            "2026201",
            "5-4",
            None,
        ),  # mapped: 5-4 junior 1
        ("transfer", {"stage": "1", "national_grade": 6}, "2026101", "5-4", None),  # stays primary
        ("transfer", {"stage": "1", "status": "毕业", "national_grade": 6}, "2026201", "6-3", None),
        ("enrollment", {"status": "毕业", "national_grade": 9}, "2026301", "6-3", None),
    ],
)
def test_xpt9_a_case_keeps_the_stage_unless_the_rules_move_it(
    flow: str, student: dict, target: str, system: str, code: str | None
) -> None:
    """A transfer stays in the stage (or the stage its grade maps to, XPT-9); a primary
    graduate goes to junior; only PGE goes from junior to senior."""
    if code is None:
        check_placement(flow, STUDENT | student, target, system)
        return
    with pytest.raises(DomainError) as refused:
        check_placement(flow, STUDENT | student, target, system)
    assert refused.value.code == code
