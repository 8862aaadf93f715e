"""The `admissions` view (ADM-1…ADM-3 lists, QRY-3 省内招生升学查询): one row per listed student.

A row keeps what the lists filter and show — the student, the school it graduated from and
when, the admitting school, the year and stage, the status — and follows the engine's events
with the engine's own transition rule. What awaits a bureau's decision is the `pending` view's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, or_, select

from projections.batch import Batch
from projections.machinery import View
from province_node.domain.admission import Admission as A
from province_node.domain.approval import Approval

COLUMNS = (
    "year",
    "stage",
    "status",
    "student_id",
    "student_number",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "school_code",  # the admitting school
    "graduating_school_code",
    "graduating_region",  # 招生来源: the graduating school's county
    "graduation_date",
    "class_code",
    "listed_at",
    "listed_by",
    "admitted_at",
    "pulled_at",
    "assigned_at",
)
#: QRY-3's filters that match a column exactly.
_EXACT = ("year", "stage", "status", "school_code", "student_number", "id_number",
          "graduating_school_code", "graduating_region")  # fmt: skip


def admissions_view(prefix: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_admissions",
        metadata,
        Column("id", String(36), primary_key=True),
        *[Column(name, String(40)) for name in COLUMNS],
        Column("step", Integer, nullable=False),
        Column("chain_length", Integer, nullable=False),
    )
    Index(f"{table.name}_school_idx", table.c.school_code, table.c.status)
    Index(f"{table.name}_from_idx", table.c.graduating_school_code, table.c.status)
    Index(f"{table.name}_student_idx", table.c.student_number, table.c.status)
    view = View("admissions", metadata)
    _Handlers(view, table)
    return view


class _Handlers:
    def __init__(self, view: View, table: Table) -> None:
        self.table = table
        view.on(A.Listed)(self.listed)
        view.on(A.Admitted)(self.admitted)
        view.on(Approval.Decided)(self.decided)
        view.on(Approval.Revoked)(self.revoked)
        view.on(A.ArchivePulled)(self.pulled)
        view.on(A.ClassAssigned)(self.assigned)
        view.on(A.Cancelled)(self.cancelled)
        view.on(A.RolledBack)(self.rolled_back)

    def listed(self, batch: Batch, e: Any) -> None:
        student, graduating = e.student, e.graduating
        row = {
            "id": str(e.originator_id),
            "year": str(e.year),
            "stage": e.stage,
            "status": A.LISTED,
            "student_id": student["id"],
            **{k: student.get(k) for k in ("student_number", "name", "sex", "birth_date")},
            "id_number": student.get("id_number"),
            "school_code": e.school_code,
            "graduating_school_code": graduating["school_code"],
            "graduating_region": graduating.get("region_code"),
            "graduation_date": graduating.get("date"),
            "class_code": e.class_code,
            "listed_at": e.at,
            "listed_by": (e.meta or {}).get("unit_code"),
            "admitted_at": None,
            "pulled_at": None,
            "assigned_at": None,
            "step": 0,
            "chain_length": 0,
        }
        batch.put(self.table, row)

    def admitted(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.IN_PROGRESS, admitted_at=e.at, step=0,
                     chain_length=len(e.chain))  # fmt: skip

    def decided(self, batch: Batch, e: Any) -> None:
        row = batch.get(self.table, str(e.originator_id))
        if row is not None:  # another business's decision has no row here
            status, step = A.after_decision(row["step"], row["chain_length"], e.approve)
            self._change(batch, e, status=status, step=step)

    def revoked(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.REVOKED)

    def pulled(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.PULLED, pulled_at=e.at)

    def assigned(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.DONE, class_code=e.class_code, assigned_at=e.at)

    def cancelled(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.CANCELLED)

    def rolled_back(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, status=A.ROLLED_BACK)

    def _change(self, batch: Batch, e: Any, **changes: Any) -> None:
        row = batch.get(self.table, str(e.originator_id))
        if row is not None:
            batch.put(self.table, row | changes)


def admissions(connection: Any, table: Table, filters: dict, schools: list[str] | None,
               limit: int, offset: int = 0) -> dict:  # fmt: skip
    """The lists and QRY-3: by year, stage, status, admitting or graduating school, source
    region, name or number; a school or bureau sees the rows of its admitting or graduating
    schools. Newest first."""
    statement = select(*[table.c[c] for c in ("id", *COLUMNS)])
    if schools is not None:
        statement = statement.where(
            or_(table.c.school_code.in_(schools), table.c.graduating_school_code.in_(schools))
        )
    for name in _EXACT:
        if filters.get(name):
            statement = statement.where(table.c[name] == str(filters[name]))
    if filters.get("statuses"):
        statement = statement.where(table.c.status.in_(filters["statuses"]))
    if filters.get("name"):
        statement = statement.where(table.c.name.contains(filters["name"]))
    if filters.get("graduation_year"):
        year = str(filters["graduation_year"])
        statement = statement.where(
            table.c.graduation_date.between(f"{year}-01-01", f"{year}-12-31")
        )
    counted = statement.with_only_columns(table.c.id).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    page = statement.order_by(table.c.listed_at.desc(), table.c.id).limit(limit).offset(offset)
    return {"items": [dict(r) for r in connection.execute(page).mappings()], "total": total}


def open_admissions(connection: Any, table: Table, numbers: list[str]) -> dict[str, list[dict]]:
    """These students' admissions not yet pulled, by student number: a list names a student
    once per school, and another school's pull cancels them [004 Q95]."""
    found: dict[str, list[dict]] = {}
    for start in range(0, len(numbers), 500):
        statement = select(table.c.id, table.c.student_number, table.c.school_code).where(
            table.c.student_number.in_(numbers[start : start + 500]),
            table.c.status.in_(sorted(A.OPEN)),
        )
        for row in connection.execute(statement).mappings():
            found.setdefault(row["student_number"], []).append(dict(row))
    return found
