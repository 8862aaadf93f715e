"""The `pending` view (待办): one row per approval process, and what it awaits from whom.

Every business on the approval engine (`province_node.domain.approval`) lands here, so every
pending list — each business's `GET …/pending`, the console's 待办 panel, the counts of
`GET /api/v1/pending/summary` — reads one table. A row says which unit must act (`unit_code`),
at which level (`level`: the one decider rule turns it into roles) and how (`action`:
`decide`, or the school registrar's `report`); a closed process keeps its row with no unit.
The transitions are the engine's own (`Approval.after_decision`, `after_report`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table

from contracts.approval import StepLevel, deciding_roles
from contracts.codes import Stage
from projections.batch import Batch, Row
from projections.machinery import View
from province_node.domain.admission import Admission
from province_node.domain.approval import Approval
from province_node.domain.deletion import StudentDeletion
from province_node.domain.dropout import DropoutReturn
from province_node.domain.graduation import Graduation, GraduationKind
from province_node.domain.key_data_change import KeyDataChange
from province_node.domain.problem import ProblemAction
from province_node.domain.registration import Registration as R
from province_node.domain.status_change import ChangeType, StudentApplication

#: business key → its process class (the class's statuses and transition settings apply).
PROCESSES: dict[str, type[Approval]] = {
    "registration": R,
    "deletion": StudentDeletion,
    "status_change": StudentApplication,  # 学籍异动审核
    "in_province_transfer": StudentApplication,  # 省内转学核办
    "key_data_change": KeyDataChange,  # 关键数据变更审核
    "graduation": Graduation,  # 毕业审核 (GRD-1)
    "dropout_return": DropoutReturn,  # 控辍保学返校审核 (DRP-4)
    "admission": Admission,  # 招生审核 (ADM-2)
    "problem_action": ProblemAction,  # 问题学籍审核 (PRB-3)
}

#: Events that end a registration without a decision of the chain (refused, deleted …).
_REGISTRATION_ENDS = (R.DedupRefused, R.RefusedByAuthentication, R.Deleted, R.Abandoned)


def pending_view(prefix: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_pending",
        metadata,
        Column("id", String(36), primary_key=True),
        *[Column(n, String(40)) for n in ("business", "school_code", "status", "level")],
        Column("unit_code", String(20)),
        Column("action", String(20)),
        Column("title", String(100)),
        Column("since", String(40)),
        Column("waiting", Boolean, nullable=False),  # prerequisites unmet (REG-6: auth pending)
        Column("step", Integer, nullable=False),
        Column("chain", JSON),
    )
    Index(f"{table.name}_unit_idx", table.c.unit_code, table.c.business)
    view = View("pending", metadata)
    _Handlers(view, table)
    return view


def awaits(row: Row, unit_code: str, role: str) -> str | None:
    """What this process awaits from the caller: the row's action, if the caller is the
    awaited unit in a role that may do it."""
    if row["unit_code"] != unit_code or row["waiting"]:
        return None
    if row["action"] == "report":
        return "report" if role == "registrar" else None
    return "decide" if role in deciding_roles(StepLevel(row["level"])) else None


class _Handlers:
    def __init__(self, view: View, table: Table) -> None:
        self.table = table
        view.on(R.Submitted)(self.registration_submitted)
        view.on(R.ReviewStarted)(self.chain_started)
        view.on(R.Authenticated)(self.authenticated)
        view.on(*_REGISTRATION_ENDS, R.StudentCreated)(self.ended)
        view.on(StudentDeletion.Applied)(self.deletion_applied)
        view.on(StudentApplication.Applied)(self.application_applied)
        view.on(KeyDataChange.Applied)(self.key_data_change_applied)
        view.on(Graduation.Applied)(self.graduation_applied)
        view.on(DropoutReturn.Applied)(self.dropout_return_applied)
        view.on(Admission.Admitted)(self.admitted)
        view.on(ProblemAction.Applied)(self.problem_action_applied)
        view.on(R.Decided, Approval.Decided)(self.decided)
        view.on(R.Reported, Approval.Reported)(self.reported)
        view.on(R.Resubmitted, Approval.Resubmitted)(self.resubmitted)
        view.on(Approval.Revoked)(self.ended)
        view.on(Approval.Escalated)(self.escalated)

    # --- how each business opens --------------------------------------------------------

    def registration_submitted(self, batch: Batch, e: Any) -> None:
        self._open(batch, e, "registration", e.school_code, e.name, [], "submitted", None)

    def deletion_applied(self, batch: Batch, e: Any) -> None:
        status = StudentDeletion.IN_PROGRESS
        self._open(batch, e, "deletion", e.school_code, e.student_number, e.chain, status, e.at)

    def application_applied(self, batch: Batch, e: Any) -> None:
        business = "in_province_transfer" if e.type == "transfer" else "status_change"
        title = f"{ChangeType(e.type).label}：{e.student_name}（{e.student_number}）"
        status = StudentApplication.IN_PROGRESS
        self._open(batch, e, business, e.school_code, title, e.chain, status, e.at)

    def key_data_change_applied(self, batch: Batch, e: Any) -> None:
        title = f"关键数据变更：{e.student_name}（{e.student_number}）"
        status = KeyDataChange.IN_PROGRESS
        self._open(batch, e, "key_data_change", e.school_code, title, e.chain, status, e.at)

    def graduation_applied(self, batch: Batch, e: Any) -> None:
        kind = GraduationKind(e.kind).status.value
        title = f"{Stage(e.stage).label}{kind}：{len(e.students)}名学生"
        status = Graduation.IN_PROGRESS
        self._open(batch, e, "graduation", e.school_code, title, e.chain, status, e.at)

    def dropout_return_applied(self, batch: Batch, e: Any) -> None:
        title = f"辍学返校：{e.student_name}（{e.student_number}）"
        status = DropoutReturn.IN_PROGRESS
        self._open(batch, e, "dropout_return", e.school_code, title, e.chain, status, e.at)

    def admitted(self, batch: Batch, e: Any) -> None:
        """ADM-2: the admission's chain starts when the school admits (录取)."""
        status = Admission.IN_PROGRESS
        title = f"{Stage(e.stage).label}招生录取：{e.student_name}（{e.student_number}）"
        self._open(batch, e, "admission", e.school_code, title, e.chain, status, e.at)

    def problem_action_applied(self, batch: Batch, e: Any) -> None:
        label = {"corroborate": "佐证", "delete": "删除"}.get(e.action, e.action)
        title = f"问题学籍{label}：{e.student_name}（{e.student_number}）"
        status = ProblemAction.IN_PROGRESS
        self._open(batch, e, "problem_action", e.school_code, title, e.chain, status, e.at)

    def _open(self, batch: Batch, e: Any, business: str, school: str, title: str, chain: list,
              status: str, since: str | None) -> None:  # fmt: skip
        row = {"id": str(e.originator_id), "business": business, "school_code": school}
        row |= {"title": title, "chain": list(chain), "step": 0, "status": status}
        batch.put(self.table, _awaited(row | {"since": since, "waiting": False}))

    # --- the engine's events, for every business ----------------------------------------

    def chain_started(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, chain=list(e.chain), step=0, status=R.IN_PROGRESS)

    def authenticated(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, waiting=e.outcome == "pending")

    def decided(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            process = PROCESSES[row["business"]]
            status, step = process.after_decision(row["step"], len(row["chain"]), e.approve)
            since = e.at if step != row["step"] else row["since"]
            self._change(batch, e, status=status, step=step, since=since)

    def reported(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            status, step = PROCESSES[row["business"]].after_report(len(row["chain"]))
            self._change(batch, e, status=status, step=step, since=getattr(e, "at", None))

    def resubmitted(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            status = PROCESSES[row["business"]].IN_PROGRESS
            self._change(batch, e, status=status, step=0, since=getattr(e, "at", None))

    def escalated(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            self._change(batch, e, chain=[*row["chain"][: row["step"]], e.province_step])

    def ended(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status="closed")

    def _row(self, batch: Batch, e: Any) -> Row | None:
        return batch.get(self.table, str(e.originator_id))

    def _change(self, batch: Batch, e: Any, **changes: Any) -> None:
        row = self._row(batch, e)
        if row is not None:  # another business's process, or one opened before this view
            batch.put(self.table, _awaited(row | changes))


def _awaited(row: Row) -> Row:
    """Who must act now and how, from the process's status, chain and step."""
    process = PROCESSES[row["business"]]
    row |= {"unit_code": None, "level": None, "action": None}
    if row["status"] == process.IN_PROGRESS and row["chain"]:
        step = row["chain"][row["step"]]
        row |= {"unit_code": step["unit_code"], "level": step["level"], "action": "decide"}
    elif row["status"] == process.SCHOOL_APPROVED:
        row |= {"unit_code": row["school_code"], "level": "school", "action": "report"}
    return row


def awaiting_unit(connection: Any, table: Table, unit_code: str) -> list[Row]:
    """The open processes whose current step (or report) is this unit's, oldest first."""
    statement = (
        table.select().where(table.c.unit_code == unit_code).order_by(table.c.since, table.c.id)
    )
    return [dict(r) for r in connection.execute(statement).mappings()]
