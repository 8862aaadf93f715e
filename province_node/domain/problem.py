"""Problem records 问题学籍 on the province node (SPEC §4, PRB-1…PRB-6).

- `Problem`: one group (`contracts.problems.ProblemGroup`, the rule of who acts next) and its
  scope — `single` (one record whose ID number failed authentication), `province` (records of
  this province; the lowest common superior bureau arbitrates) or `cross` (the hub holds the
  group and arbitrates with the ministry; this is the node's mirror of it, PRB-4).
- `ProblemRecord`: one record's membership of one kind of problem, by (type, number): the lock
  every business checks (CHG-3), and what a registration points at.
- `ProblemAction`: a corroboration or deletion on the approval engine (school approver, then
  the bureau, per SYS-1). A change is a key data change (`KeyDataChange.problem_id`).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import Level
from contracts.org import OrgTree
from contracts.problems import ProblemAction as Action
from contracts.problems import ProblemGroup, ProblemKind, ProblemSide
from province_node.domain.approval import Approval
from province_node.domain.student import Student
from province_node.domain.workflow_defaults import BusinessType

_NS = uuid5(NAMESPACE_URL, "xueji:province:problem")
_GROUP_NS = uuid5(NAMESPACE_URL, "xueji:province:problem-group")
_ACTION_NS = uuid5(NAMESPACE_URL, "xueji:province:problem-action")

#: PRB-1 types [004 Q61], by key (the lock's words).
KINDS = {kind.value: kind.label for kind in ProblemKind}

SCOPE_LABELS = {"single": "身份证件号无效", "province": "省内", "cross": "跨省"}

#: The SYS-1 row an action's chain is frozen from, by (action, scope).
BUSINESS = {
    (Action.CORROBORATE, "cross"): BusinessType.CROSS_PROVINCE_PROBLEM_CORROBORATE,
    (Action.DELETE, "cross"): BusinessType.CROSS_PROVINCE_PROBLEM_DELETE,
    (Action.CHANGE, "cross"): BusinessType.CROSS_PROVINCE_PROBLEM_CHANGE,
    (Action.CORROBORATE, "local"): BusinessType.PROBLEM_CORROBORATE,
    (Action.DELETE, "local"): BusinessType.PROBLEM_DELETE,
    (Action.CHANGE, "local"): BusinessType.PROBLEM_CHANGE,
}


def action_business(action: Action, scope: str, to_no_document: bool = False) -> BusinessType:
    """KDC-3 [002 §2]: a change to "no document" climbs every level to the province."""
    if action is Action.CHANGE and to_no_document and scope != "cross":
        return BusinessType.PROBLEM_CHANGE_NO_DOCUMENT
    return BUSINESS[(action, "cross" if scope == "cross" else "local")]


class Problem(Aggregate):
    """One problem group as this province holds it; every change stores the whole group."""

    @staticmethod
    def create_id(group: dict, problem_id: str | None = None) -> UUID:
        """The hub's id for a cross-province group; a local group's from its type and records
        (the same records open one group)."""
        if problem_id is not None:
            return UUID(problem_id)
        numbers = ",".join(sorted(side["student_number"] for side in group["sides"]))
        return uuid5(_GROUP_NS, f"{group['kind']}:{numbers}")

    @event("Opened")
    def __init__(self, scope: str, group: dict, arbiter: dict | None, reason: str, at: str,
                 meta: dict, problem_id: str | None = None) -> None:  # fmt: skip
        self.scope, self.arbiter, self.reason = scope, arbiter, reason
        self.group_data = group
        self.opened_at = at

    @property
    def group(self) -> ProblemGroup:
        return ProblemGroup.model_validate(self.group_data)

    @property
    def kind(self) -> ProblemKind:
        return ProblemKind(self.group_data["kind"])

    @event("Changed")
    def change(self, group: dict, why: str, at: str, meta: dict) -> None:
        """The group after one transition (an action, its approval, arbitration, a notice)."""
        self.group_data = group

    @event("Reported")
    def report(self, student_number: str, action: str, stage: str, meta: dict) -> None:
        """PRB-4: this province's side of a cross-province group moved (published to the hub
        as `ProblemSideReported`)."""

    @event("Reopened")
    def reopen(self, group: dict, reason: str, at: str, meta: dict) -> None:
        """PRB-1 [004 Q65]: data arrived again that breaks the rule for the same records."""
        self.group_data, self.reason, self.opened_at = group, reason, at

    def view(self) -> dict:
        group = self.group
        return {
            "id": str(self.id),
            "type": group.kind.value,
            "type_label": group.kind.label,
            "scope": self.scope,
            "scope_label": SCOPE_LABELS[self.scope],
            "state": group.state.value,
            "state_label": group.state.label,
            "reason": self.reason,
            "arbiter": self.arbiter,
            "winner": group.winner,
            "opened_at": self.opened_at,
            "records": [
                side.model_dump(mode="json")
                | {"state_label": side.state.label, "locked": side.state.value == "acting"}
                for side in group.sides
            ],
            "history": [{k: v for k, v in h.items() if k != "command_id"} for h in group.history],
        }


class ProblemRecord(Aggregate):
    """One record's membership of one kind of problem (its id: type and number)."""

    @staticmethod
    def create_id(kind: str, student_number: str) -> UUID:
        return uuid5(_NS, f"{kind}:{student_number}")

    @event("Opened")
    def __init__(
        self,
        kind: str,
        student_number: str,
        school_code: str,
        reason: str,
        meta: dict,
        problem_id: str | None = None,
    ) -> None:
        self.kind, self.student_number, self.school_code = kind, student_number, school_code
        self.reason = reason
        self.status = "open"
        self.problem_id = problem_id

    @event("Joined")
    def join(self, problem_id: str, reason: str, meta: dict) -> None:
        """In a (new or reopened) group again."""
        self.problem_id, self.reason, self.status = problem_id, reason, "open"

    @event("Closed")
    def close(self, reason: str, meta: dict) -> None:
        """The group closed, or this record left it (changed, deleted)."""
        self.status = "closed"
        self.closed_reason = reason


class ProblemAction(Approval):
    """A corroboration 佐证 or deletion 删除 of one side (PRB-3), with its proof: school
    approver, then the bureau (SYS-1); rejected, it goes back to the school [002 §2]."""

    rejection_returns = True
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "审核通过",
        "returned": "已退回学校",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该问题学籍处理不在审核环节"
    NOT_YOUR_STEP = "该问题学籍处理当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _ACTION_NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        problem_id: str,
        problem_type: str,
        scope: str,
        student_id: str,
        student_number: str,
        student_name: str,
        school_code: str,
        action: str,
        reason: str,
        proof: dict,
        chain: list[dict],
        at: str,
        meta: dict,
    ) -> None:
        self.problem_id, self.problem_type, self.scope = problem_id, problem_type, scope
        self.student_id, self.student_number = student_id, student_number
        self.student_name, self.school_code = student_name, school_code
        self.action, self.reason, self.proof = action, reason, proof
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "type": "problem_action",
            "type_label": f"问题学籍{Action(self.action).label}",
            "problem_id": self.problem_id,
            "problem_type": self.problem_type,
            "scope": self.scope,
            "action": self.action,
            "student_number": self.student_number,
            "student_name": self.student_name,
            "school_code": self.school_code,
            "reason": self.reason,
            "proof": self.proof,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            "status_label": self.STATUS_LABELS.get(self.status, self.status),
            **self.process_view(),
        }


# --- what every path does to a group (opening, an action starting, ending, taking effect) ---


class Found:
    """One transaction's look-ups: an aggregate found twice is the same object, so what one
    step changed the next sees, and it is saved once."""

    def __init__(self, find) -> None:
        self._find, self._seen = find, {}

    def __call__(self, aggregate_id: UUID):
        if aggregate_id not in self._seen:
            self._seen[aggregate_id] = self._find(aggregate_id)
        return self._seen[aggregate_id]


def unique(aggregates: list) -> list:
    """Each aggregate once, in order (several steps may return the same one)."""
    return list({a.id: a for a in aggregates}.values())


def open_problem(find, scope: str, group: ProblemGroup, arbiter: dict | None, reason: str,
                 province: str, at: str, meta: dict,
                 problem_id: UUID | None = None) -> list:  # fmt: skip
    """PRB-1: the group opened (or reopened [004 Q65]) and each of this province's records
    locked by it; nothing if the same group is open already. `find(id)` is the node's."""
    given = str(problem_id) if problem_id else None
    problem = find(Problem.create_id(group.as_dict(), given))
    if problem is None:
        problem = Problem(scope=scope, group=group.as_dict(), arbiter=arbiter, reason=reason,
                          at=at, meta=meta, problem_id=given)  # fmt: skip
    elif problem.group.is_closed:
        problem.reopen(group=group.as_dict(), reason=reason, at=at, meta=meta)
    else:
        return []
    return [problem, *_records(find, problem, group, province, reason, meta)]


def _records(find, problem: Problem, group: ProblemGroup, province: str, reason: str,
             meta: dict) -> list:  # fmt: skip
    """The membership of this province's records: open while the record is held by the open
    group, closed when it left or the group closed."""
    changed = []
    for side in group.sides:
        if side.province != province:
            continue
        record_id = ProblemRecord.create_id(group.kind.value, side.student_number)
        record = find(record_id)
        held = group.holds(side.student_number)
        if record is None and held:
            record = ProblemRecord(kind=group.kind.value, student_number=side.student_number,
                                   school_code=side.school_code, reason=reason, meta=meta,
                                   problem_id=str(problem.id))  # fmt: skip
        elif record is None:
            continue
        elif held and (record.status != "open" or record.problem_id != str(problem.id)):
            record.join(problem_id=str(problem.id), reason=reason, meta=meta)
        elif not held and record.status == "open" and record.problem_id == str(problem.id):
            record.close(reason=group.state.label, meta=meta)
        else:
            continue
        changed.append(record)
    return changed


def move_side(find, problem: Problem, student_number: str, action: Action, stage: str,
              province: str, at: str, meta: dict, why: str = "") -> list:  # fmt: skip
    """A side's action `started` (the record locked), `withdrawn` (its turn again) or `acted`
    (approved): the group's next state, stored; a cross-province group reports it to the hub,
    whose notice then confirms it (the same rule decides on both sides, PRB-4)."""
    group = problem.group
    if stage == "started":
        group = group.started(student_number, action, at)
    elif stage == "withdrawn":
        group = group.withdrawn(student_number, at, why)
    else:
        group = group.acted(student_number, action, at)
    problem.change(group=group.as_dict(), why=f"{stage}:{action.value}", at=at, meta=meta)
    if problem.scope == "cross":
        problem.report(student_number=student_number, action=action.value, stage=stage,
                       meta=meta)  # fmt: skip
    return [problem, *_records(find, problem, group, province, problem.reason, meta)]


def mirror(find, problem_id: UUID, group: ProblemGroup, province: str, at: str,
           meta: dict) -> list:  # fmt: skip
    """PRB-4: the hub's word on a cross-province group replaces this province's copy."""
    problem = find(problem_id)
    if problem is None:
        return open_problem(find, "cross", group, {"unit_code": "ministry", "name": "教育部"},
                            "跨省问题学籍", province, at, meta, problem_id)  # fmt: skip
    if problem.group_data == group.as_dict():
        return []  # a redelivery
    problem.change(group=group.as_dict(), why="hub", at=at, meta=meta)
    return [problem, *_records(find, problem, group, province, problem.reason, meta)]


def open_single(find, side: ProblemSide, reason: str, meta: dict) -> list:
    """PRB-1: one record whose ID number the population registry did not authenticate."""
    group = ProblemGroup.open(ProblemKind.INVALID_ID, [side], side.since)
    return open_problem(find, "single", group, None, reason, side.province, side.since, meta)


def open_duplicate(find, kind: ProblemKind, students: list[Student], province: str,
                   org: OrgTree, reason: str, at: str, meta: dict) -> list:  # fmt: skip
    """PRB-1 within the province: the group of the records, the later one to act first."""
    sides = [side_of(s, province, _since(s)) for s in students]
    group = ProblemGroup.open(kind, sides, at)
    arbiter = arbiter_of([s.school_code for s in students], org)
    return open_problem(find, "province", group, arbiter, reason, province, at, meta)


def _since(student: Student) -> str:
    """PRB-2: when the record was registered, or its identity last changed."""
    changes = student.identity_changes
    return changes[-1]["at"] if changes else student.created_on.isoformat()


def side_of(student: Student, province: str, since: str) -> ProblemSide:
    """The minimum of a record a group shows (PRB-4: never the family)."""
    return ProblemSide(
        province=province,
        student_number=student.student_number,
        school_code=student.school_code,
        class_code=student.class_code,
        name=student.name,
        sex=student.sex,
        birth_date=student.birth_date,
        id_type=student.id_type,
        id_number=student.id_number,
        since=since,
    )


def arbiter_of(school_codes: list[str], org: OrgTree) -> dict:
    """PRB-3: the lowest bureau over every school of the group (in-province arbitration)."""
    chains = []
    for code in school_codes:
        unit = org.unit(code)
        bureaus = [org.unit(unit.parent)] if unit.parent else []
        bureaus += org.ancestors(unit.parent) if unit.parent else []
        chains.append([b for b in bureaus if b.level in (Level.COUNTY, Level.CITY, Level.PROVINCE)])
    common = [b for b in chains[0] if all(b in chain for chain in chains[1:])]
    unit = common[0] if common else org.province()
    return {"unit_code": unit.code, "name": unit.name, "level": unit.level.value}
