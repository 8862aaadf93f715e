"""The `applications` view (CHG-1…CHG-4 queries 异动查询 / 转学查询): one row per application.

A row keeps what the query screens filter and show — type, student, the two schools, the
change date, status — and follows the engine's events for its status, with the engine's own
transition rule (`Approval.after_decision`). What awaits whom is the `pending` view's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, or_, select

from projections.batch import Batch, Row
from projections.machinery import View
from province_node.domain.approval import Approval
from province_node.domain.key_data_change import CONTROLLABLE, KeyDataChange
from province_node.domain.status_change import ChangeType
from province_node.domain.status_change import StudentApplication as A

COLUMNS = (
    "type",
    "type_label",
    "status",
    "student_number",
    "student_name",
    "school_code",
    "from_school_code",
    "change_date",
    "reason",
    "status_before",
    "status_after",
    "class_before",
    "class_after",
    "applied_at",
    "applied_by",
    "closed_at",
)


def applications_view(prefix: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_applications",
        metadata,
        Column("id", String(36), primary_key=True),
        *[Column(name, String(500 if name == "reason" else 40)) for name in COLUMNS],
        Column("step", Integer, nullable=False),
        Column("chain_length", Integer, nullable=False),
    )
    Index(f"{table.name}_school_idx", table.c.school_code, table.c.applied_at)
    Index(f"{table.name}_from_idx", table.c.from_school_code, table.c.applied_at)
    view = View("applications", metadata)
    _Handlers(view, table)
    return view


class _Handlers:
    def __init__(self, view: View, table: Table) -> None:
        self.table = table
        view.on(A.Applied)(self.applied)
        view.on(KeyDataChange.Applied)(self.key_data_change_applied)
        view.on(Approval.Decided)(self.decided)
        view.on(Approval.Resubmitted)(self.resubmitted)
        view.on(Approval.Revoked)(self.revoked)
        view.on(Approval.Escalated)(self.escalated)

    def applied(self, batch: Batch, e: Any) -> None:
        row = {
            "id": str(e.originator_id),
            "type": e.type,
            "type_label": ChangeType(e.type).label,
            "status": A.IN_PROGRESS,
            "student_number": e.student_number,
            "student_name": e.student_name,
            "school_code": e.school_code,
            "from_school_code": e.before["school_code"],
            "change_date": e.change_date,
            "reason": e.reason,
            "status_before": e.before["status"],
            "status_after": e.after["status"],
            "class_before": e.before["class_code"],
            "class_after": e.after["class_code"],
            "applied_at": e.at,
            "applied_by": e.meta.get("account"),
            "closed_at": None,
            "step": 0,
            "chain_length": len(e.chain),
        }
        batch.put(self.table, row)

    def key_data_change_applied(self, batch: Batch, e: Any) -> None:
        fields = "、".join(CONTROLLABLE[f] for f in e.changes)
        row = {c: None for c in COLUMNS} | {
            "id": str(e.originator_id),
            "type": "key_data_change",
            "type_label": f"关键数据变更（{fields}）",
            "status": KeyDataChange.IN_PROGRESS,
            "student_number": e.student_number,
            "student_name": e.student_name,
            "school_code": e.school_code,
            "from_school_code": e.school_code,
            "reason": e.reason,
            "applied_at": e.at,
            "applied_by": e.meta.get("account"),
            "step": 0,
            "chain_length": len(e.chain),
        }
        batch.put(self.table, row)

    def decided(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            process = KeyDataChange if row["type"] == "key_data_change" else A
            status, step = process.after_decision(row["step"], row["chain_length"], e.approve)
            closed = e.at if status in (A.APPROVED, A.REJECTED) else None
            batch.put(self.table, row | {"status": status, "step": step, "closed_at": closed})

    def resubmitted(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            batch.put(self.table, row | {"status": A.IN_PROGRESS, "step": 0})

    def revoked(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            batch.put(self.table, row | {"status": A.REVOKED, "closed_at": e.at})

    def escalated(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:  # the chain now ends at the province, at the current step
            batch.put(self.table, row | {"chain_length": row["step"] + 1})

    def _row(self, batch: Batch, e: Any) -> Row | None:
        return batch.get(self.table, str(e.originator_id))


def find(connection: Any, table: Table, filters: dict, schools: list[str] | None,
         limit: int, offset: int = 0) -> dict:  # fmt: skip
    """Applications matching `filters` whose applying or original school is in `schools`
    (None: the whole province), newest first."""
    statement = table.select()
    if schools is not None:
        statement = statement.where(
            or_(table.c.school_code.in_(schools), table.c.from_school_code.in_(schools))
        )
    for name in ("status", "student_number"):
        if filters.get(name):
            statement = statement.where(table.c[name] == filters[name])
    if filters.get("types"):
        statement = statement.where(table.c.type.in_(filters["types"]))
    if filters.get("school_code"):
        code = filters["school_code"]
        statement = statement.where(
            or_(table.c.school_code == code, table.c.from_school_code == code)
        )
    if filters.get("name"):
        statement = statement.where(table.c.student_name.contains(filters["name"]))
    if filters.get("date_from"):
        statement = statement.where(table.c.change_date >= filters["date_from"])
    if filters.get("date_to"):
        statement = statement.where(table.c.change_date <= filters["date_to"])
    counted = statement.with_only_columns(table.c.id).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    page = statement.order_by(table.c.applied_at.desc(), table.c.id).limit(limit).offset(offset)
    items = [dict(r) for r in connection.execute(page).mappings()]
    return {"items": items, "total": total}
