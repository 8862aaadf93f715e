"""控辍保学 dropout control (DRP-1…DRP-5) [002 §12]: a case per student, its measures, its end.

A school registrar records a student of its own as 疑似辍学 (suspected) or 辍学 (dropped out),
with a date and a note (DRP-1); a suspected case may later be marked dropped out (DRP-2); the
school's and the bureaus' registrars record the measures taken 控辍保学措施 — unit, person,
measure, time, result — and correct them (DRP-3). The case ends when the student returns to
school 返校 (DRP-4): from a suspected case at once, from a dropped-out one once the chain of
SYS-1 row `dropout_return` (default: the supervising bureau) approves a `DropoutReturn`.

**The lock.** The seed's list is of 在办 business (控辍保学管理 "查询在办的控辍保学业务") and a
student with business in flight cannot be recorded; CHG-4 forbids dropped-out students to
transfer. So an open case holds the student's one in-flight lock from the record to the
return (CHG-3): nothing else starts meanwhile, a second open case is refused by the same rule,
and the return releases it. The student's 学籍 status stays 在校 throughout — the seed shows
辍学 as the case's state (学生状态 on the dropout pages), not a status of 学籍.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError, DomainError, NotFound
from province_node.domain.approval import Approval

_NS = uuid5(NAMESPACE_URL, "xueji:province:dropout")
_RETURN_NS = uuid5(NAMESPACE_URL, "xueji:province:dropout-return")
#: What the student's one lock is called while a case holds it (`Student.in_flight`).
LOCK = "dropout"
#: DRP-3: a measure's fields and their Chinese names (the seed's columns).
MEASURE_FIELDS = {
    "unit": "处理单位",
    "person": "处理人",
    "measure": "具体措施",
    "time": "处理时间",
    "result": "处理结果",
}


class DropoutKind(StrEnum):
    """What the school records (DRP-1): the API's `kind`."""

    SUSPECTED = "suspected"
    DROPPED_OUT = "dropped_out"

    @property
    def label(self) -> str:
        return {DropoutKind.SUSPECTED: "疑似辍学", DropoutKind.DROPPED_OUT: "辍学"}[self]


class CaseState(StrEnum):
    """The case's state: the two kinds while open, `finished` once the student returned."""

    SUSPECTED = "suspected"
    DROPPED_OUT = "dropped_out"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        labels = {"suspected": "疑似辍学", "dropped_out": "辍学", "finished": "已办结（返校）"}
        return labels[self.value]


#: The return's state as the seed's column 返校申请 shows it.
RETURN_LABELS = {
    None: "未申请",
    "in_progress": "审核中",
    "approved": "审核通过",
    "rejected": "审核不通过",
    "revoked": "已撤销",
}


def parse_kind(raw: str | None) -> DropoutKind:
    try:
        return DropoutKind(raw or "")
    except ValueError:
        allowed = "suspected（疑似辍学）或 dropped_out（辍学）"
        raise ContractError("kind", "unknown_kind", f"学生状态应为 {allowed}：{raw}") from None


def check_day(day: date | None, field: str, label: str, today: date) -> date:
    """A case's dates are required and not in the future."""
    if day is None:
        raise ContractError(field, "missing_field", f"请填写{label}")
    if day > today:
        raise ContractError(field, "future_date", f"{label}不能晚于今天")
    return day


def check_note(note: str | None, field: str, label: str) -> str:
    text = (note or "").strip()
    if not text:
        raise ContractError(field, "missing_field", f"请填写{label}")
    return text


def check_measure(fields: dict, partial: bool = False) -> dict:
    """DRP-3: every field of a new measure; an edit names only what changes."""
    unknown = [k for k in fields if k not in MEASURE_FIELDS]
    if unknown:
        raise ContractError(unknown[0], "unknown_field", f"控辍保学措施没有字段 {unknown[0]}")
    checked = {}
    for name, label in MEASURE_FIELDS.items():
        if partial and name not in fields:
            continue
        value = str(fields.get(name) or "").strip()
        if not value:
            raise ContractError(name, "missing_field", f"请填写{label}")
        checked[name] = value
    if partial and not checked:
        raise ContractError("measure", "nothing_to_change", "请填写要修改的措施内容")
    return checked


class DropoutCase(Aggregate):
    """One student's dropout case, from its record to the student's return."""

    NOT_OPEN: ClassVar[str] = "该控辍保学记录已办结"

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, command_id)

    @event("Recorded")
    def __init__(
        self,
        command_id: str,
        kind: str,
        student_id: str,
        student_number: str,
        student_name: str,
        school_code: str,
        class_code: str,
        record_date: str,
        note: str,
        at: str,
        meta: dict,
    ) -> None:
        self.kind, self.state = kind, kind
        self.student_id, self.student_number = student_id, student_number
        self.student_name, self.school_code, self.class_code = student_name, school_code, class_code
        suspected = kind == DropoutKind.SUSPECTED
        self.suspected_date = record_date if suspected else None
        self.suspected_note = note if suspected else None
        self.dropout_date = None if suspected else record_date
        self.dropout_note = None if suspected else note
        self.recorded_at, self.recorded_by = at, meta.get("account")
        self.measures: list[dict] = []
        self.commands: list[str] = [command_id]
        self.return_id: str | None = None
        self.return_status: str | None = None
        self.returned: dict | None = None  # {date, class_code, grade, note, at}
        self.finished_at: str | None = None

    def seen(self, command_id: str) -> bool:
        """BUS-2: a command repeated under its id changes nothing."""
        return command_id in self.commands

    def _check_open(self) -> None:
        if self.state == CaseState.FINISHED:
            raise DomainError(self.NOT_OPEN, code="case_finished")

    # --- DRP-2 --------------------------------------------------------------------------

    def check_confirmable(self, day: date) -> None:
        self._check_open()
        if self.state != CaseState.SUSPECTED:
            raise DomainError("只有疑似辍学记录可以标记辍学", code="not_suspected")
        if self.suspected_date and day < date.fromisoformat(self.suspected_date):
            raise ContractError("date", "before_suspected", "辍学日期不能早于疑似辍学日期")

    @event("MarkedDroppedOut")
    def mark_dropped_out(self, dropout_date: str, note: str, at: str, meta: dict) -> None:
        self.state = CaseState.DROPPED_OUT.value
        self.dropout_date, self.dropout_note = dropout_date, note
        self.commands.append(meta["command_id"])

    # --- DRP-3 --------------------------------------------------------------------------

    @event("MeasureAdded")
    def add_measure(self, measure: dict, at: str, meta: dict) -> None:
        entry = {"n": len(self.measures) + 1, **measure}
        entry |= {"by_unit": meta.get("unit_code"), "by": meta.get("account"), "at": at}
        self.measures.append(entry | {"edits": []})
        self.commands.append(meta["command_id"])

    def measure(self, n: int) -> dict:
        if not 1 <= n <= len(self.measures):
            raise NotFound(f"该记录没有第 {n} 条措施", field="n")
        return self.measures[n - 1]

    @event("MeasureEdited")
    def edit_measure(self, n: int, changes: dict, at: str, meta: dict) -> None:
        entry = self.measures[n - 1]
        before = {k: entry[k] for k in changes}
        entry |= changes
        edit = {"before": before, "by": meta.get("account"), "by_unit": meta.get("unit_code")}
        entry["edits"] = [*entry["edits"], edit | {"at": at}]
        self.commands.append(meta["command_id"])

    # --- DRP-4 --------------------------------------------------------------------------

    def check_returnable(self) -> None:
        self._check_open()
        if self.return_status == "in_progress":
            raise DomainError("该学生的返校申请正在审核中", code="return_in_progress")

    @property
    def needs_approval(self) -> bool:
        """DRP-4: a dropped-out student's return is approved; a suspected one's is not."""
        return self.state == CaseState.DROPPED_OUT

    @event("ReturnApplied")
    def apply_return(self, return_id: str, at: str, meta: dict) -> None:
        self.return_id, self.return_status = return_id, "in_progress"
        self.commands.append(meta["command_id"])

    @event("ReturnEnded")
    def end_return(self, return_id: str, outcome: str, at: str, meta: dict) -> None:
        """The return was rejected or revoked: the case stays dropped out, open."""
        if self.return_id == return_id:
            self.return_status = outcome

    @event("Returned")
    def finish(self, returned: dict, return_id: str | None, at: str, meta: dict) -> None:
        """The student is back in class (`returned`: date, class, grade, note): finished."""
        self.state = CaseState.FINISHED.value
        self.returned, self.finished_at = dict(returned), at
        if return_id is not None:
            self.return_id, self.return_status = return_id, "approved"
        if meta.get("command_id") not in self.commands:
            self.commands.append(meta["command_id"])

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "state": self.state,
            "state_label": CaseState(self.state).label,
            "student_id": self.student_id,
            "student_number": self.student_number,
            "student_name": self.student_name,
            "school_code": self.school_code,
            "class_code": self.class_code,
            "suspected_date": self.suspected_date,
            "suspected_note": self.suspected_note,
            "dropout_date": self.dropout_date,
            "dropout_note": self.dropout_note,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
            "measures": [dict(m) for m in self.measures],
            "return_id": self.return_id,
            "return_status": self.return_status,
            "return_label": RETURN_LABELS.get(self.return_status, self.return_status),
            "returned": self.returned,
            "finished_at": self.finished_at,
        }


class DropoutReturn(Approval):
    """返校申请 of a dropped-out student (DRP-4), on the approval engine: approved, the case
    is finished and the student placed in `class_code`; a rejection ends the application (the
    case stays dropped out and the school may apply again)."""

    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "审核通过（已返校）",
        "rejected": "审核不通过",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该返校申请已办结，不能再审核"
    NOT_YOUR_STEP = "该返校申请当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _RETURN_NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        case_id: str,
        student_id: str,
        student_number: str,
        student_name: str,
        school_code: str,
        return_date: str,
        class_code: str,
        grade: int,
        grade_name: str,
        note: str,
        chain: list[dict],
        at: str,
        meta: dict,
    ) -> None:
        self.case_id, self.student_id = case_id, student_id
        self.student_number, self.student_name = student_number, student_name
        self.school_code, self.return_date, self.note = school_code, return_date, note
        self.class_code, self.grade, self.grade_name = class_code, grade, grade_name
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)

    @property
    def placement(self) -> dict:
        """Where the approved return puts the student (the case's `returned`)."""
        return {
            "date": self.return_date,
            "class_code": self.class_code,
            "grade": self.grade,
            "grade_name": self.grade_name,
            "note": self.note,
        }

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "case_id": self.case_id,
            "student_number": self.student_number,
            "student_name": self.student_name,
            "school_code": self.school_code,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            **self.placement,
            **self.process_view(),
        }
