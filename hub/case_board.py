"""The hub's read model of cross-province cases: pending lists, tracking, monitoring.

A table-backed view in the hub's own database (SQLite or PostgreSQL, the engine of its
event store), so its size costs disk, not memory: `hub_v_cases` (one row per case: the
columns the lists filter on and the case's API view, `case_view`, as JSON) and
`hub_v_case_units` (which units see which case, XPT-5). The writer thread (the hub has one)
puts a case after every save, so a decision is in the next list the moment it commits.

`hub_v_cases_position` holds the last notification id of the hub's log the board has seen,
written in the same transaction as each put: at start the hub puts again only the cases
changed after it (`NationalHub.catch_up_board`), and a crash between a save and its put
is mended there. Like every view it can be rebuilt from the log (AUD-3,
`NationalHub.rebuild_board`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from contracts.cases import CaseQuery
from hub.domain.case import CrossProvinceCase, action_of

#: Rows fetched at a time when a whole flow is read (monitoring, stalled pulls).
_STREAM = 500


def case_view(case: CrossProvinceCase) -> dict:
    """API.md's shape of a case (`GET /api/v1/transfers/{id}`)."""
    student = case.student
    return {
        "id": str(case.id),
        "flow": case.flow,
        "status": case.status,
        "step": case.step_name,
        "awaiting_unit": case.awaiting_unit,
        "student_number": student["student_number"],
        "student_name": student["name"],
        "sex": student.get("sex"),
        "id_number": student.get("id_number"),
        "from_province": case.out_side["province"],
        "from_school_code": case.out_side["school_code"],
        "from_school_name": case.out_side["school_name"],
        "from_grade": student["national_grade"],
        "to_province": case.in_side["province"],
        "to_school_code": case.in_side["school_code"],
        "to_school_name": case.in_side["school_name"],
        "target_grade": case.target_grade,
        "target_class_code": case.target_class_code,
        "grade_changed": case.grade_changed,
        "reason": case.reason,
        "proof": case.proof,
        "initiated_at": case.initiated_at.isoformat(),
        "approved_at": _iso(case.approved_at),
        "closed_at": _iso(case.closed_at),
        "steps": [_step(s) for s in case.steps],
        "overdue": [{**o, "at": _iso(o["at"])} for o in case.overdue],
        "pull_resends": getattr(case, "pull_resends", 0),  # the archive asked for again
        "history": [{**h, "at": _iso(h["at"])} for h in case.history],
        "version": case.version,
    }


def case_tables(schema: str | None = None) -> tuple[Table, Table, Table]:
    """The board's tables: cases, the units that see them, the position in the log."""
    metadata = MetaData(schema=schema)
    cases = Table(
        "hub_v_cases",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("seq", Integer, nullable=False),  # first put first: the lists' order as before
        Column("flow", String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("step", String(64)),
        Column("awaiting_unit", String(20)),
        Column("student_number", String(32), nullable=False),
        Column("student_name", String(200), nullable=False),
        Column("id_number", String(40)),
        Column("from_province", String(2), nullable=False),
        Column("to_province", String(2), nullable=False),
        Column("initiated_day", String(10), nullable=False),
        Column("is_open", Boolean, nullable=False),
        Column("pull_resends", Integer, nullable=False),
        Column("view", JSON, nullable=False),
        Index("hub_v_cases_awaiting", "flow", "awaiting_unit"),
        Index("hub_v_cases_student", "student_number", "is_open"),
        Index("hub_v_cases_day", "flow", "initiated_day"),
        Index("hub_v_cases_seq", "seq"),
    )
    units = Table(
        "hub_v_case_units",
        metadata,
        Column("case_id", String(36), primary_key=True),
        Column("unit_code", String(20), primary_key=True),
        Index("hub_v_case_units_unit", "unit_code"),
    )
    position = Table(
        "hub_v_cases_position",
        metadata,
        Column("id", Integer, primary_key=True),  # one row, id 1
        Column("notification_id", Integer, nullable=False),
    )
    return cases, units, position


class CaseBoard:
    """The cases' read model in `datastore` (the hub's event store; an in-memory SQLite one
    when the hub has none, as in unit tests); `log_max` says how far the hub's log goes."""

    def __init__(
        self,
        datastore: SQLAlchemyDatastore | None,
        log_max: Callable[[], int | None],
        schema: str | None = None,
    ) -> None:
        if datastore is None or datastore.engine is None:
            datastore = SQLAlchemyDatastore(url="sqlite:///:memory:")
        self._datastore, self._log_max = datastore, log_max
        self._cases, self._units, self._position = case_tables(schema)
        self._cases.metadata.create_all(datastore.engine, checkfirst=True)

    # --- writes (the writer thread) -------------------------------------------------------

    def put(self, case: CrossProvinceCase) -> None:
        self.put_all([case])

    def put_all(self, cases: Iterable[CrossProvinceCase], advance: bool = True) -> None:
        """Shows `cases` as they are now, in one transaction; with `advance`, the position
        moves to the end of the hub's log (everything saved so far is on the board)."""
        with self._transaction(commit=True) as session:
            for case in cases:
                self._upsert(session, case)
            if advance:
                self._set_position(session, self._log_max() or 0)

    def clear(self) -> None:
        """Every row gone and the position back to the log's start (a rebuild follows)."""
        with self._transaction(commit=True) as session:
            session.execute(delete(self._units))
            session.execute(delete(self._cases))
            self._set_position(session, 0)

    def position(self) -> int:
        """The last notification id of the hub's log the board has seen (0: none)."""
        with self._transaction(commit=False) as session:
            found = session.execute(select(self._position.c.notification_id)).scalar()
        return found or 0

    def _upsert(self, session: Any, case: CrossProvinceCase) -> None:
        view = case_view(case)
        case_id = view["id"]
        row = {
            "flow": view["flow"],
            "status": view["status"],
            "step": view["step"],
            "awaiting_unit": view["awaiting_unit"],
            "student_number": view["student_number"],
            "student_name": view["student_name"],
            "id_number": view["id_number"],
            "from_province": view["from_province"],
            "to_province": view["to_province"],
            "initiated_day": view["initiated_at"][:10],
            "is_open": case.is_open(),
            "pull_resends": view["pull_resends"] or 0,
            "view": view,
        }
        cases, units = self._cases, self._units
        changed = session.execute(update(cases).where(cases.c.id == case_id).values(row))
        if changed.rowcount == 0:
            last = session.execute(select(func.max(cases.c.seq))).scalar() or 0
            session.execute(insert(cases).values(id=case_id, seq=last + 1, **row))
        wanted = set(case.in_side["units"]) | set(case.out_side["units"])
        held = set(
            session.execute(select(units.c.unit_code).where(units.c.case_id == case_id)).scalars()
        )
        if held - wanted:
            session.execute(
                delete(units).where(
                    units.c.case_id == case_id, units.c.unit_code.in_(held - wanted)
                )
            )
        if wanted - held:
            session.execute(
                insert(units), [{"case_id": case_id, "unit_code": u} for u in wanted - held]
            )

    def _set_position(self, session: Any, notification_id: int) -> None:
        position = self._position
        changed = session.execute(
            update(position).where(position.c.id == 1).values(notification_id=notification_id)
        )
        if changed.rowcount == 0:
            session.execute(insert(position).values(id=1, notification_id=notification_id))

    # --- reads ----------------------------------------------------------------------------

    def open_case_of(self, student_number: str) -> UUID | None:
        """XPT-2: one case at a time per student (business in flight)."""
        cases = self._cases
        found = self._scalar(
            select(cases.c.id)
            .where(cases.c.student_number == student_number, cases.c.is_open.is_(True))
            .order_by(cases.c.seq.desc())
            .limit(1)
        )
        return UUID(found) if found is not None else None

    def open_ids(self) -> list[UUID]:
        cases = self._cases
        query = select(cases.c.id).where(cases.c.is_open.is_(True)).order_by(cases.c.seq)
        with self._transaction(commit=False) as session:
            return [UUID(i) for i in session.execute(query).scalars()]

    def get(self, case_id: UUID) -> dict | None:
        return self._scalar(select(self._cases.c.view).where(self._cases.c.id == str(case_id)))

    def sees(self, case_id: UUID, unit_code: str) -> bool:
        """XPT-5: a unit sees a case when its jurisdiction covers either school."""
        if unit_code == "000000":
            return True
        units = self._units
        query = select(units.c.case_id).where(
            units.c.case_id == str(case_id), units.c.unit_code == unit_code
        )
        return self._scalar(query) is not None

    def pending(self, unit_code: str, role: str, query: CaseQuery) -> list[dict]:
        """XPT-3: the cases awaiting what this unit's role can do, on either side, each
        with its `action` (`decide`, or `archive_pull` for the in-school's registrar)."""
        cases = self._cases
        selected = select(cases.c.view).where(
            cases.c.flow == query.flow, cases.c.awaiting_unit == unit_code
        )
        found = []
        for view in self._views(selected.order_by(cases.c.seq)):
            action = action_of(view["step"], role)
            if action is not None and _fits(view, query):
                found.append({**view, "action": action})
        return found

    def search(self, unit_code: str, query: CaseQuery) -> list[dict]:
        """XPT-5: the flow's cases this unit sees that fit the filters."""
        cases, units = self._cases, self._units
        selected = select(cases.c.view).where(cases.c.flow == query.flow, *self._filters(query))
        if unit_code != "000000":
            selected = selected.join(units, units.c.case_id == cases.c.id).where(
                units.c.unit_code == unit_code
            )
        return [v for v in self._views(selected.order_by(cases.c.seq)) if _fits(v, query)]

    def monitoring(self, province: str | None, flow: str) -> list[dict]:
        """XPT-10: per deciding unit, pending and overdue steps and average decision time."""
        rows: dict[str, dict] = defaultdict(
            lambda: {"pending": 0, "overdue": 0, "decided": 0, "decision_hours": 0.0}
        )
        cases = self._cases
        selected = select(cases.c.view).where(cases.c.flow == flow).order_by(cases.c.seq)
        for view in self._views(selected):
            for step in view["steps"]:
                if province and step["province"] != province:
                    continue
                row = rows[step["unit_code"]]
                row.update(unit_name=step["unit_name"], province=step["province"])
                _count_step(row, step, view)
            for overdue in view["overdue"]:
                if not province or overdue["province"] == province:
                    rows[overdue["unit_code"]]["overdue"] += 1
        return [_monitor_row(code, row) for code, row in sorted(rows.items())]

    def stalled_pulls(self, province: str | None) -> list[dict]:
        """Issue 17 item 6, the alarm: cases whose archive was asked for again and has not
        arrived (`pull_resends`), of either side's province when one is given."""
        keys = ("id", "flow", "student_number", "from_province", "to_province", "pull_resends")
        cases = self._cases
        selected = select(cases.c.view).where(
            cases.c.status == "approved", cases.c.pull_resends > 0
        )
        if province:
            selected = selected.where(
                or_(cases.c.from_province == province, cases.c.to_province == province)
            )
        return [
            {k: v[k] for k in keys}
            for v in self._views(selected.order_by(cases.c.seq))
            if v["status"] == "approved"
            and v["pull_resends"]
            and (not province or province in (v["from_province"], v["to_province"]))
        ]

    def _filters(self, q: CaseQuery) -> list:
        """`_fits` in SQL where it is plain (it stays the final check: same answers)."""
        c = self._cases.c
        filters = [
            (q.name, lambda: c.student_name.contains(q.name, autoescape=True)),
            (q.student_number, lambda: c.student_number == q.student_number),
            (q.id_number, lambda: c.id_number == q.id_number),
            (q.from_province, lambda: c.from_province == q.from_province),
            (q.to_province, lambda: c.to_province == q.to_province),
            (q.status, lambda: c.status == q.status),
            (q.date_from, lambda: c.initiated_day >= q.date_from.isoformat()),
            (q.date_to, lambda: c.initiated_day <= q.date_to.isoformat()),
        ]
        return [clause() for given, clause in filters if given]

    def _views(self, query: Any) -> Iterator[dict]:
        """The selected views, fetched a few hundred rows at a time."""
        with self._transaction(commit=False) as session:
            result = session.execute(query, execution_options={"yield_per": _STREAM})
            yield from result.scalars()

    def _scalar(self, query: Any) -> Any:
        with self._transaction(commit=False) as session:
            return session.execute(query).scalar()

    def _transaction(self, commit: bool) -> Any:
        """The event store's own transaction (its locks; the log's reads join it)."""
        return self._datastore.transaction(commit=commit)


def _count_step(row: dict, step: dict, view: dict) -> None:
    if step["decided_at"] is not None:
        hours = (
            datetime.fromisoformat(step["decided_at"]) - datetime.fromisoformat(step["started_at"])
        ).total_seconds() / 3600
        row["decided"] += 1
        row["decision_hours"] += hours
    elif step["started_at"] is not None and view["status"] == "in_progress":
        row["pending"] += 1


def _monitor_row(unit_code: str, row: dict) -> dict:
    decided = row["decided"]
    return {
        "unit_code": unit_code,
        "unit_name": row.get("unit_name"),
        "province": row.get("province"),
        "pending": row["pending"],
        "overdue": row["overdue"],
        "decided": decided,
        "average_decision_hours": round(row["decision_hours"] / decided, 2) if decided else None,
    }


def _fits(view: dict, q: CaseQuery) -> bool:
    day = view["initiated_at"][:10]
    checks = [
        (q.name, lambda: q.name in view["student_name"]),
        (q.student_number, lambda: view["student_number"] == q.student_number),
        (q.id_number, lambda: view["id_number"] == q.id_number),
        (q.from_province, lambda: view["from_province"] == q.from_province),
        (q.to_province, lambda: view["to_province"] == q.to_province),
        (q.status, lambda: view["status"] == q.status),
        (q.date_from, lambda: day >= q.date_from.isoformat()),
        (q.date_to, lambda: day <= q.date_to.isoformat()),
    ]
    return all(check() for given, check in checks if given)


def _step(step: dict) -> dict:
    return {
        **step,
        "started_at": _iso(step["started_at"]),
        "decided_at": _iso(step["decided_at"]),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
