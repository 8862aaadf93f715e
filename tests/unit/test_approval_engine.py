"""The approval engine's base aggregate, on a minimal business (DESIGN §4a): the decider rule,
the opinion rule, what a rejection does, revoke, forced intervention (CHG-5), deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from eventsourcing.domain import event

from contracts.approval import Step
from contracts.errors import ContractError, DomainError, Forbidden
from province_node.domain.approval import Approval

SCHOOL, COUNTY, CITY, PROVINCE = "3440106002", "440106", "440100", "440000"
CHAIN = [
    {"level": "school", "unit_code": SCHOOL, "unit_name": "学校"},
    {"level": "supervising", "unit_code": COUNTY, "unit_name": "区"},
    {"level": "city", "unit_code": CITY, "unit_name": "市"},
]
PROVINCE_STEP = {"level": "province", "unit_code": PROVINCE, "unit_name": "省"}
AT = "2026-09-01T09:00:00+08:00"


class Suspension(Approval):
    """A stand-in business: a rejection ends it (CHG-2, [002 §7])."""

    @event("Applied")
    def __init__(self, school_code: str, chain: list[dict], at: str) -> None:
        self.school_code, self.decisions = school_code, []
        self._enter_chain(chain, at)


class Returnable(Approval):
    """A stand-in business whose rejection returns it to the school (REG-6's way)."""

    rejection_returns = True

    @event("Applied")
    def __init__(self, school_code: str, chain: list[dict], at: str) -> None:
        self.school_code, self.decisions = school_code, []
        self._enter_chain(chain, at)


def _meta(command_id: str) -> dict:
    return {"account": "u", "command_id": command_id}


def test_chg2_decider_rule_and_the_chain_climbs_to_approved() -> None:
    process = Suspension(school_code=SCHOOL, chain=CHAIN, at=AT)
    with pytest.raises(Forbidden):
        process.check_decision(SCHOOL, "registrar", True, None)  # the school's stamp: approver
    with pytest.raises(Forbidden):
        process.check_decision(COUNTY, "approver", True, None)  # not its step yet
    assert process.awaits(SCHOOL, "approver") == "decide"
    for unit, role, command in [(SCHOOL, "approver", "1"), (COUNTY, "registrar", "2")]:
        process.check_decision(unit, role, True, None)
        process.decide(approve=True, opinion=None, at=AT, meta=_meta(command))
    assert process.current.unit_code == CITY and process.seen("2") and not process.seen("3")
    process.decide(approve=True, opinion=None, at=AT, meta=_meta("3"))
    assert (process.status, process.current) == ("approved", None)
    assert [d["unit_code"] for d in process.process_view()["history"]] == [SCHOOL, COUNTY, CITY]


def test_chg2_a_rejection_needs_an_opinion_and_ends_or_returns() -> None:
    ends = Suspension(school_code=SCHOOL, chain=CHAIN, at=AT)
    with pytest.raises(ContractError) as caught:
        ends.check_decision(SCHOOL, "approver", False, " ")
    assert caught.value.field == "opinion"
    ends.decide(approve=False, opinion="材料不全", at=AT, meta=_meta("1"))
    assert ends.status == "rejected"
    with pytest.raises(DomainError):
        ends.check_resubmittable(SCHOOL)

    returned = Returnable(school_code=SCHOOL, chain=CHAIN, at=AT)
    returned.decide(approve=False, opinion="班级有误", at=AT, meta=_meta("1"))
    assert returned.status == "returned"
    returned.check_resubmittable(SCHOOL)
    returned.resubmit(meta=_meta("2"), at=AT)
    assert (returned.status, returned.step) == ("in_progress", 0)


def test_chg5_the_school_escalates_a_stuck_bureau_step_to_the_province() -> None:
    process = Suspension(school_code=SCHOOL, chain=CHAIN, at=AT)
    with pytest.raises(DomainError):  # still at the school's own step
        process.check_escalation(SCHOOL, _step(PROVINCE_STEP))
    process.decide(approve=True, opinion=None, at=AT, meta=_meta("1"))
    with pytest.raises(Forbidden):
        process.check_escalation(COUNTY, _step(PROVINCE_STEP))  # only the initiating school
    process.check_escalation(SCHOOL, _step(PROVINCE_STEP))
    process.escalate(province_step=PROVINCE_STEP, at=AT, meta=_meta("2"))
    assert process.current.unit_code == PROVINCE and len(process.chain) == 2
    with pytest.raises(DomainError):
        process.check_escalation(SCHOOL, _step(PROVINCE_STEP))  # already there


def test_xpt4_revoke_by_the_initiating_school_while_open_only() -> None:
    process = Suspension(school_code=SCHOOL, chain=CHAIN, at=AT)
    with pytest.raises(Forbidden):
        process.check_revocable(COUNTY)
    process.check_revocable(SCHOOL)
    process.revoke(at=AT, meta=_meta("1"))
    assert process.status == "revoked" and process.awaits(SCHOOL, "approver") is None
    with pytest.raises(DomainError):
        process.check_revocable(SCHOOL)


def test_xpt7_a_step_is_due_ten_working_days_after_it_began() -> None:
    process = Suspension(school_code=SCHOOL, chain=CHAIN, at=AT)  # Tue 2026-09-01
    assert process.step_due() == date(2026, 9, 15)
    process.decide(approve=True, opinion=None, at="2026-09-25T09:00:00+08:00", meta=_meta("1"))
    assert process.step_due() == date(2026, 10, 15)  # Mon–Fri would give Oct 9: 国庆 is not counted


def _step(raw: dict) -> Step:
    return Step.model_validate(raw)
