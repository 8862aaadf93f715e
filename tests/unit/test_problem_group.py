"""PRB-2/PRB-3: the one rule of who acts next (`contracts.problems.ProblemGroup`), every
transition, as the nodes and the hub judge a group."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.errors import ContractError, DomainError
from contracts.problems import (
    GroupState,
    ProblemAction,
    ProblemGroup,
    ProblemKind,
    ProblemSide,
    SideState,
)

OLD, NEW = "G340102201501010011", "L440103201501010011"
CORROBORATE, CHANGE, DELETE = ProblemAction.CORROBORATE, ProblemAction.CHANGE, ProblemAction.DELETE


def _side(province: str, number: str, since: str) -> ProblemSide:
    return ProblemSide(province=province, student_number=number, school_code=f"{province}01",
                       name="李四", sex="1", birth_date=date(2015, 1, 1), id_type="1",
                       id_number="340102201501010011", since=since)  # fmt: skip


def _group() -> ProblemGroup:
    sides = [_side("34", OLD, "2026-09-01T10:00:00+08:00"),
             _side("44", NEW, "2026-11-22T10:00:00+08:00")]  # fmt: skip
    return ProblemGroup.open(ProblemKind.DUPLICATE_ID, sides, at="2026-11-22T10:00:00+08:00")


def _through(group: ProblemGroup, number: str, action: ProblemAction) -> ProblemGroup:
    return group.started(number, action, "t1").acted(number, action, "t2")


def test_prb2_later_record_acts_first():
    group = _group()
    assert group.side(NEW).state is SideState.TO_ACT
    assert group.side(OLD).state is SideState.WAITING
    assert group.state is GroupState.OPEN and group.history[0]["student_number"] == NEW
    reversed_order = ProblemGroup.open(
        ProblemKind.DUPLICATE_ID,
        [_side("34", OLD, "2026-12-01T00:00:00+08:00"), _side("44", NEW, "2026-01-01")],
        at="t0",
    )
    assert reversed_order.side(OLD).state is SideState.TO_ACT


@pytest.mark.parametrize("action", [CHANGE, DELETE])
def test_prb3_change_or_delete_corroborates_the_other_and_closes(action):
    group = _through(_group(), NEW, action)
    assert group.side(NEW).state is (SideState.CHANGED if action is CHANGE else SideState.DELETED)
    assert group.side(OLD).state is SideState.AUTO_CORROBORATED
    assert group.state is GroupState.CLOSED
    assert not group.holds(OLD) and not group.holds(NEW)


def test_prb3_corroborate_hands_the_turn_to_the_other_side():
    group = _through(_group(), NEW, CORROBORATE)
    assert group.side(NEW).state is SideState.CORROBORATED
    assert group.side(OLD).state is SideState.TO_ACT
    assert group.state is GroupState.OPEN
    with pytest.raises(DomainError) as refused:
        group.check_may_act(NEW, CHANGE)
    assert refused.value.code == "not_your_turn"


def test_prb3_both_corroborate_goes_to_arbitration():
    group = _through(_through(_group(), NEW, CORROBORATE), OLD, CORROBORATE)
    assert group.state is GroupState.ARBITRATION
    with pytest.raises(DomainError) as refused:
        group.check_may_act(NEW, DELETE)
    assert refused.value.code == "awaiting_arbitration"
    with pytest.raises(ContractError) as no_opinion:
        group.arbitrated(OLD, "  ", "000000", "t3")
    assert no_opinion.value.field == "opinion"


def test_prb3_loser_may_only_change_or_delete():
    both = _through(_through(_group(), NEW, CORROBORATE), OLD, CORROBORATE)
    group = both.arbitrated(OLD, "34 省学籍注册在先且证明材料齐全", "000000", "t3")
    assert group.winner == OLD and group.state is GroupState.OPEN
    assert group.side(OLD).state is SideState.WON
    assert group.side(NEW).state is SideState.LOST
    with pytest.raises(DomainError) as refused:
        group.check_may_act(NEW, CORROBORATE)
    assert refused.value.code == "lost_arbitration"
    with pytest.raises(DomainError):
        group.check_may_act(OLD, DELETE)  # the winner has nothing to do
    closed = _through(group, NEW, DELETE)
    assert closed.state is GroupState.CLOSED
    assert closed.side(OLD).state is SideState.WON
    assert closed.side(NEW).state is SideState.DELETED
    with pytest.raises(DomainError) as again:
        both.arbitrated(NEW, "x", "000000", "t4").arbitrated(OLD, "y", "000000", "t5")
    assert again.value.code == "not_in_arbitration"


def test_prb3_action_out_of_turn_refused():
    group = _group()
    with pytest.raises(DomainError) as refused:
        group.started(OLD, CORROBORATE, "t1")
    assert refused.value.code == "not_your_turn"
    started = group.started(NEW, DELETE, "t1")
    with pytest.raises(DomainError) as in_flight:
        started.started(NEW, CHANGE, "t2")
    assert in_flight.value.code == "action_in_flight"
    with pytest.raises(ContractError):
        group.side("G000000000000000000")
    closed = _through(group, NEW, DELETE)
    with pytest.raises(DomainError) as done:
        closed.check_may_act(OLD, CHANGE)
    assert done.value.code == "problem_closed"


def test_prb3_withdrawn_action_gives_the_turn_back():
    group = _group().started(NEW, DELETE, "t1")
    assert group.side(NEW).state is SideState.ACTING
    back = group.withdrawn(NEW, "t2", why="rejected")
    assert back.side(NEW).state is SideState.TO_ACT
    assert back.history[-1]["event"] == "withdrawn"
    assert back.withdrawn(NEW, "t3", why="again") == back  # nothing in flight: unchanged
    lost = _through(_through(_group(), NEW, CORROBORATE), OLD, CORROBORATE).arbitrated(
        OLD, "意见", "000000", "t3"
    )
    assert (
        lost.started(NEW, CHANGE, "t4").withdrawn(NEW, "t5", "returned").side(NEW).state
        is SideState.LOST
    )


def test_prb3_acted_redelivered_changes_nothing():
    group = _through(_group(), NEW, CORROBORATE)
    assert group.acted(NEW, CORROBORATE, "t9") == group
