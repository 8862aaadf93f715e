"""Problem records 问题学籍 (SPEC §4, PRB-1…PRB-6): a group of records that break "one person, one
record", and the one rule of who acts next — shared by the province nodes (in-province groups)
and the hub (cross-province groups, PRB-4), so both sides judge a group the same way.

A group holds two or more records (a duplicate ID number, or a duplicate name + sex + birth
date) or one (an ID number the population registry did not authenticate). PRB-2: the record
registered later, or whose key identity data changed later, acts first. PRB-3: it changes
(runs the key data change), deletes (its bureau approves) or corroborates (school approver,
then bureau). A change or delete by one side corroborates the other automatically and closes
the group; a corroboration hands the turn to the other side; when every side corroborated,
the lowest common superior bureau (in-province) or the ministry (cross-province) arbitrates:
the winner keeps its identity, the losers may only change or delete [002 §2].

`ProblemGroup` is a value: each transition returns the group as it now is, with its history.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import ContractModel, Envelope
from contracts.errors import ContractError, DomainError

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ProblemKind(StrEnum):
    """PRB-1 types [004 Q61]."""

    DUPLICATE_ID = "duplicate_id"
    DUPLICATE_PERSON = "duplicate_name_sex_birth"
    INVALID_ID = "invalid_id"

    @property
    def label(self) -> str:
        return {
            "duplicate_id": "身份证件号重复",
            "duplicate_name_sex_birth": "姓名、性别、出生日期重复",
            "invalid_id": "身份证件号无效（身份认证未通过）",
        }[self.value]


class ProblemAction(StrEnum):
    """PRB-3: the three ways a side handles its record, each with a proof."""

    CHANGE = "change"
    DELETE = "delete"
    CORROBORATE = "corroborate"

    @property
    def label(self) -> str:
        return {"change": "变更", "delete": "删除", "corroborate": "佐证"}[self.value]


class SideState(StrEnum):
    TO_ACT = "to_act"  # its turn (PRB-2)
    WAITING = "waiting"  # the other side acts first
    ACTING = "acting"  # its action is in approval (the record is locked: 是否锁定)
    CORROBORATED = "corroborated"
    AUTO_CORROBORATED = "auto_corroborated"  # the other side changed or deleted
    CHANGED = "changed"
    DELETED = "deleted"
    WON = "won"  # arbitration: keeps its identity
    LOST = "lost"  # arbitration: may only change or delete

    @property
    def label(self) -> str:
        return {
            "to_act": "待处理",
            "waiting": "等待对方处理",
            "acting": "处理中",
            "corroborated": "已佐证",
            "auto_corroborated": "自动佐证",
            "changed": "已变更",
            "deleted": "已删除",
            "won": "仲裁通过",
            "lost": "仲裁不通过（只能变更或删除）",
        }[self.value]


#: A side that still has to do something (its turn, or arbitration lost).
MUST_ACT = frozenset({SideState.TO_ACT, SideState.LOST})
#: A side whose record left the group's conflict (it changed or was deleted).
GONE = frozenset({SideState.CHANGED, SideState.DELETED})


class GroupState(StrEnum):
    OPEN = "open"
    ARBITRATION = "arbitration"  # every side corroborated: the arbiter decides
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"open": "处理中", "arbitration": "待仲裁", "closed": "已处理"}[self.value]


class ProblemSide(BaseModel):
    """One record of a group, with the minimum the other side needs to judge it (PRB-4: name,
    sex, birth date, school, province — never the family)."""

    model_config = _FROZEN

    province: str = Field(pattern=r"^\d{2}$")
    student_number: str = Field(min_length=19, max_length=19)
    school_code: str
    class_code: str | None = None
    name: str
    sex: str | None = None
    birth_date: date | None = None
    id_type: str
    id_number: str | None = None
    since: str  # when it was registered or its key data last changed (PRB-2's order)
    state: SideState = SideState.WAITING
    action: ProblemAction | None = None  # the action taken or in approval

    @property
    def key(self) -> str:
        return self.student_number


class ProblemGroup(BaseModel):
    """A group and its state; every method returns the next group (or raises, naming why)."""

    model_config = _FROZEN

    kind: ProblemKind
    sides: tuple[ProblemSide, ...]
    state: GroupState = GroupState.OPEN
    winner: str | None = None  # the student number arbitration kept
    history: tuple[dict, ...] = ()

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, kind: ProblemKind, sides: list[ProblemSide], at: str) -> ProblemGroup:
        """PRB-2: the latest-registered (or latest-changed) record acts first."""
        if not sides:
            raise ContractError("sides", "no_record", "问题学籍至少包含一条学籍")
        numbers = [s.student_number for s in sides]
        if len(set(numbers)) != len(numbers):
            raise ContractError("sides", "repeated_record", "同一学籍在组内出现两次")
        if kind is not ProblemKind.INVALID_ID and len(sides) < 2:
            raise ContractError("sides", "one_record", "重复类问题学籍至少包含两条学籍")
        first = max(sides, key=lambda s: (s.since, s.student_number))
        opened = [
            s.model_copy(update={"state": SideState.TO_ACT if s is first else SideState.WAITING})
            for s in sides
        ]
        entry = {"at": at, "event": "opened", "student_number": first.student_number}
        return cls(kind=kind, sides=tuple(opened), history=(entry,))

    # --- reading -------------------------------------------------------------------------

    def side(self, student_number: str) -> ProblemSide:
        for side in self.sides:
            if side.student_number == student_number:
                return side
        raise ContractError("record", "unknown_record", f"学籍 {student_number} 不在该问题学籍组中")

    @property
    def provinces(self) -> list[str]:
        return sorted({s.province for s in self.sides})

    @property
    def is_closed(self) -> bool:
        return self.state is GroupState.CLOSED

    def holds(self, student_number: str) -> bool:
        """Whether this record is still part of the open conflict (the lock of PRB-3)."""
        if self.is_closed:
            return False
        return any(s.student_number == student_number and s.state not in GONE for s in self.sides)

    # --- acting --------------------------------------------------------------------------

    def check_may_act(self, student_number: str, action: ProblemAction) -> ProblemSide:
        """PRB-2/PRB-3: only the side whose turn it is; a loser only changes or deletes."""
        side = self.side(student_number)
        if self.is_closed:
            raise DomainError("该问题学籍已处理完毕", code="problem_closed", field="record")
        if self.state is GroupState.ARBITRATION:
            raise DomainError("该问题学籍待上级仲裁，暂不能处理", code="awaiting_arbitration",
                              field="record")  # fmt: skip
        if side.state is SideState.ACTING:
            raise DomainError("该学籍的处理正在审核中", code="action_in_flight", field="record")
        if side.state not in MUST_ACT:
            raise DomainError(
                "后注册学籍或后变更关键数据的一方须先处理，请等待对方处理",
                code="not_your_turn",
                field="record",
            )
        if side.state is SideState.LOST and action is ProblemAction.CORROBORATE:
            raise DomainError("仲裁未通过的一方只能变更或删除学籍", code="lost_arbitration",
                              field="action")  # fmt: skip
        return side

    def started(self, student_number: str, action: ProblemAction, at: str) -> ProblemGroup:
        """The side's action went into approval: the record is locked until it ends."""
        side = self.check_may_act(student_number, action)
        prior = side.state  # kept in the history so a withdrawal restores it
        entry = {"at": at, "event": "started", "student_number": student_number,
                 "action": action.value, "prior": prior.value}  # fmt: skip
        return self._with(student_number, SideState.ACTING, action, entry)

    def withdrawn(self, student_number: str, at: str, why: str) -> ProblemGroup:
        """The action was returned, rejected or revoked: the side's turn again."""
        side = self.side(student_number)
        if side.state is not SideState.ACTING:
            return self
        prior = next(
            SideState(h["prior"])
            for h in reversed(self.history)
            if h["event"] == "started" and h["student_number"] == student_number
        )
        entry = {"at": at, "event": "withdrawn", "student_number": student_number, "why": why}
        return self._with(student_number, prior, None, entry)

    def acted(self, student_number: str, action: ProblemAction, at: str) -> ProblemGroup:
        """The side's action was approved (a change took effect, a deletion was confirmed,
        a corroboration passed its chain): who acts next, or the end, or arbitration."""
        side = self.side(student_number)
        if self.is_closed or (side.state is not SideState.ACTING and side.action is action):
            return self  # applied already (a redelivery)
        entry = {"at": at, "event": "acted", "student_number": student_number,
                 "action": action.value}  # fmt: skip
        if action is ProblemAction.CORROBORATE:
            group = self._with(student_number, SideState.CORROBORATED, action, entry)
            return group._next_turn(at)
        state = SideState.CHANGED if action is ProblemAction.CHANGE else SideState.DELETED
        group = self._with(student_number, state, action, entry)
        return group._after_leaving(at)

    def _next_turn(self, at: str) -> ProblemGroup:
        if self.kind is ProblemKind.INVALID_ID:  # one record: its corroboration ends it
            return self._closed(at)
        waiting = [s for s in self.sides if s.state is SideState.WAITING]
        if waiting:
            nxt = max(waiting, key=lambda s: (s.since, s.student_number))
            entry = {"at": at, "event": "turn", "student_number": nxt.student_number}
            return self._with(nxt.student_number, SideState.TO_ACT, None, entry)
        if any(s.state in MUST_ACT or s.state is SideState.ACTING for s in self.sides):
            return self
        entry = {"at": at, "event": "arbitration"}
        return self.model_copy(
            update={"state": GroupState.ARBITRATION, "history": (*self.history, entry)}
        )

    def _after_leaving(self, at: str) -> ProblemGroup:
        """A change or delete: when one record is left, it is corroborated and the group
        closes; with more, the next in PRB-2's order takes the turn."""
        staying = [s for s in self.sides if s.state not in GONE]
        if len(staying) > 1 and self.winner is None:
            if any(s.state in MUST_ACT or s.state is SideState.ACTING for s in staying):
                return self
            return self._next_turn(at)
        if self.winner is not None and any(
            s.state in MUST_ACT or s.state is SideState.ACTING for s in staying
        ):
            return self  # other losers still have to act
        sides = tuple(
            s.model_copy(update={"state": SideState.AUTO_CORROBORATED})
            if s.state not in GONE and s.state is not SideState.WON
            else s
            for s in self.sides
        )
        return self.model_copy(update={"sides": sides})._closed(at)

    def _closed(self, at: str) -> ProblemGroup:
        entry = {"at": at, "event": "closed"}
        return self.model_copy(
            update={"state": GroupState.CLOSED, "history": (*self.history, entry)}
        )

    # --- arbitration ---------------------------------------------------------------------

    def arbitrated(self, winner: str, opinion: str, unit_code: str, at: str) -> ProblemGroup:
        """PRB-3: the winner keeps its identity; every other side may only change or delete."""
        if self.state is not GroupState.ARBITRATION:
            raise DomainError("只有双方都已佐证的问题学籍才能仲裁", code="not_in_arbitration")
        self.side(winner)
        if not (opinion or "").strip():
            raise ContractError("opinion", "opinion_required", "请填写仲裁意见")
        sides = tuple(
            s.model_copy(
                update={
                    "state": SideState.WON if s.student_number == winner else SideState.LOST,
                    "action": None,
                }
            )  # fmt: skip
            for s in self.sides
        )
        entry = {"at": at, "event": "arbitrated", "student_number": winner,
                 "opinion": opinion.strip(), "unit_code": unit_code}  # fmt: skip
        return self.model_copy(
            update={
                "sides": sides,
                "state": GroupState.OPEN,
                "winner": winner,
                "history": (*self.history, entry),
            }  # fmt: skip
        )

    # --- helpers -------------------------------------------------------------------------

    def _with(self, student_number: str, state: SideState, action: ProblemAction | None,
              entry: dict) -> ProblemGroup:  # fmt: skip
        sides = tuple(
            s.model_copy(update={"state": state, "action": action or s.action})
            if s.student_number == student_number
            else s
            for s in self.sides
        )
        return self.model_copy(update={"sides": sides, "history": (*self.history, entry)})

    def as_dict(self) -> dict:
        return self.model_dump(mode="json")


# --- the bus (PRB-4): cross-province groups live on the hub --------------------------------
# A province reports its side's actions as the integration event `ProblemSideReported`
# (contracts/events.py); the hub answers every province of the group with a `ProblemNotice`.


class ProblemNotice(ContractModel):
    """Hub → each province of a cross-province group (stream `HUB_OUT`): the group as it now
    is. A node keeps its own mirror of the group from these; the hub's copy is the truth."""

    kind: Literal["ProblemNotice"] = "ProblemNotice"
    version: Literal[1] = 1
    envelope: Envelope
    group_id: UUID
    province: str = Field(pattern=r"^\d{2}$")  # the province this notice is for
    group: ProblemGroup
