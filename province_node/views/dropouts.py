"""The `dropouts` view (控辍保学管理 / 控辍保学查询, DRP-5): one row per dropout case.

A row keeps what the lists filter and show — state, student, school, class and grade name
(年级名称, from the class code: it does not change with promotion), the two dates, the return
and how many measures — and follows the case's events; the finished cases stay (the query
includes them, the in-progress list does not).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, or_, select

from contracts.codes import ClassCode
from projections.batch import Batch, Row
from projections.machinery import View
from province_node.domain.dropout import CaseState, DropoutCase

COLUMNS = (
    "state",
    "kind",
    "student_number",
    "student_name",
    "school_code",
    "class_code",
    "grade_name",
    "record_date",  # the case's first date (疑似辍学日期, or 辍学日期 when recorded so)
    "suspected_date",
    "dropout_date",
    "return_status",
    "return_date",
    "return_class_code",
    "recorded_at",
    "recorded_by",
    "finished_at",
)
OPEN_STATES = (CaseState.SUSPECTED.value, CaseState.DROPPED_OUT.value)


def dropouts_view(prefix: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_dropouts",
        metadata,
        Column("id", String(36), primary_key=True),
        *[Column(name, String(60)) for name in COLUMNS],
        Column("suspected_note", String(500)),
        Column("dropout_note", String(500)),
        Column("measures", Integer, nullable=False),
    )
    Index(f"{table.name}_school_idx", table.c.school_code, table.c.state)
    Index(f"{table.name}_date_idx", table.c.record_date)
    view = View("dropouts", metadata)
    _Handlers(view, table)
    return view


def grade_name(class_code: str) -> str:
    return ClassCode.parse(class_code).grade_name


class _Handlers:
    def __init__(self, view: View, table: Table) -> None:
        self.table = table
        view.on(DropoutCase.Recorded)(self.recorded)
        view.on(DropoutCase.MarkedDroppedOut)(self.marked)
        view.on(DropoutCase.MeasureAdded)(self.measure_added)
        view.on(DropoutCase.ReturnApplied)(self.return_applied)
        view.on(DropoutCase.ReturnEnded)(self.return_ended)
        view.on(DropoutCase.Returned)(self.returned)

    def recorded(self, batch: Batch, e: Any) -> None:
        suspected = e.kind == CaseState.SUSPECTED.value
        row = {c: None for c in COLUMNS} | {
            "id": str(e.originator_id),
            "state": e.kind,
            "kind": e.kind,
            "student_number": e.student_number,
            "student_name": e.student_name,
            "school_code": e.school_code,
            "class_code": e.class_code,
            "grade_name": grade_name(e.class_code),
            "record_date": e.record_date,
            "suspected_date": e.record_date if suspected else None,
            "dropout_date": None if suspected else e.record_date,
            "suspected_note": e.note if suspected else None,
            "dropout_note": None if suspected else e.note,
            "recorded_at": e.at,
            "recorded_by": e.meta.get("account"),
            "measures": 0,
        }
        batch.put(self.table, row)

    def marked(self, batch: Batch, e: Any) -> None:
        changes = {"state": CaseState.DROPPED_OUT.value, "dropout_date": e.dropout_date}
        self._change(batch, e, **changes, dropout_note=e.note)

    def measure_added(self, batch: Batch, e: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            batch.put(self.table, row | {"measures": row["measures"] + 1})

    def return_applied(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, return_status="in_progress")

    def return_ended(self, batch: Batch, e: Any) -> None:
        self._change(batch, e, return_status=e.outcome)

    def returned(self, batch: Batch, e: Any) -> None:
        status = "approved" if e.return_id else None
        self._change(batch, e, state=CaseState.FINISHED.value, return_status=status,
                     return_date=e.returned["date"], return_class_code=e.returned["class_code"],
                     finished_at=e.at)  # fmt: skip

    def _row(self, batch: Batch, e: Any) -> Row | None:
        return batch.get(self.table, str(e.originator_id))

    def _change(self, batch: Batch, e: Any, **changes: Any) -> None:
        row = self._row(batch, e)
        if row is not None:
            batch.put(self.table, row | changes)


def find(connection: Any, table: Table, filters: dict, schools: list[str] | None,
         limit: int, offset: int = 0) -> dict:  # fmt: skip
    """Cases matching `filters` (state: one state, or `open` for both open ones; school,
    grade name, class, name, number, record-date range) in `schools` (None: the whole
    province), newest record date first."""
    statement = table.select()
    if schools is not None:
        statement = statement.where(table.c.school_code.in_(schools))
    state = filters.get("state")
    if state == "open":
        statement = statement.where(table.c.state.in_(OPEN_STATES))
    elif state:
        statement = statement.where(table.c.state == state)
    for name in ("school_code", "class_code", "grade_name", "student_number", "return_status"):
        if filters.get(name):
            statement = statement.where(table.c[name] == filters[name])
    if filters.get("name"):
        statement = statement.where(table.c.student_name.contains(filters["name"]))
    if filters.get("date_from") or filters.get("date_to"):
        start, end = filters.get("date_from"), filters.get("date_to")
        statement = statement.where(_in_range(table, start, end))
    counted = statement.with_only_columns(table.c.id).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    order = (table.c.record_date.desc(), table.c.recorded_at.desc(), table.c.id)
    page = statement.order_by(*order).limit(limit).offset(offset)
    items = [dict(r) for r in connection.execute(page).mappings()]
    return {"items": items, "total": total}


def _in_range(table: Table, start: str | None, end: str | None) -> Any:
    """A case whose 疑似辍学日期 or 辍学日期 falls in the range (the seed's lists show both)."""
    matches = []
    for column in (table.c.suspected_date, table.c.dropout_date):
        test = column.is_not(None)
        if start:
            test &= column >= start
        if end:
            test &= column <= end
        matches.append(test)
    return or_(*matches)


def flag_groups(connection: Any, table: Table, schools: list[str] | None) -> list[dict]:
    """QRY-6 `by=flags`: students with an open case, dropped out and suspected (the statistics'
    dropout count; a case's student is 在校, the count says how many of them are not in class)."""
    found = counts(connection, table, schools)
    return [
        {"key": "dropout", "count": found[CaseState.DROPPED_OUT.value]},
        {"key": "dropout_suspected", "count": found[CaseState.SUSPECTED.value]},
    ]


def counts(connection: Any, table: Table, schools: list[str] | None) -> dict:
    """Open cases by state in `schools` (statistics: dropout counts)."""
    statement = select(table.c.state, func.count()).group_by(table.c.state)
    if schools is not None:
        statement = statement.where(table.c.school_code.in_(schools))
    found = dict(connection.execute(statement).all())
    return {state.value: found.get(state.value, 0) for state in CaseState}
