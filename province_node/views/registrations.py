"""The `registrations` view: one row per registration, open or closed (REG lists, QRY-2).

A row holds what `Registration.summary()` shows, so `GET /registrations?status=` answers from
here for every status. The registrations still in progress (`open_rows`) are what the console's
list, the batch review and the REG-5 sweeps start from; the aggregate of each decides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table

from contracts.approval import decision
from projections.batch import Batch, Row
from projections.machinery import View
from province_node.domain.approval import Approval
from province_node.domain.registration import Registration as R
from province_node.domain.registration import RegistrationStatus as S

_TEXT = tuple(
    [
        "status",
        "dedup_status",
        "auth_status",
        "student_number",
        "holder_province",
        "school_code",
        "name",
        "id_type",
        "id_number",
        "auth_reason",
        "problem_record_id",
        "entry",
        "class_code",
        "submitted_at",
        "last_change_at",
    ]
)


def registrations_view(prefix: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_registrations",
        metadata,
        Column("id", String(36), primary_key=True),
        *[Column(name, String(200)) for name in _TEXT],
        Column("step", Integer, nullable=False),
        *[Column(name, JSON) for name in ("chain", "history", "warnings", "proof")],
        Column("version", Integer, nullable=False),
        Column("event_count", Integer, nullable=False),
    )
    Index(f"{table.name}_school_status_idx", table.c.school_code, table.c.status)
    view = View("registrations", metadata)
    _follow(view, table)
    return view


def summary(row: Row) -> Row:
    """The row in `Registration.summary()`'s shape."""
    out = {k: v for k, v in row.items() if k not in ("version", "event_count", "step")}
    out["step"] = row["chain"][row["step"]] if row["status"] == S.IN_REVIEW else None
    del out["submitted_at"], out["last_change_at"]
    return out


#: Events that only set fields: event → the changed fields.
_SETS: dict[type, Callable[[Any], Row]] = {
    R.ProofAttached: lambda e: {
        "proof": {"sha256": e.sha256, "content_type": e.content_type, "size": e.size}
    },
    R.DedupDeferred: lambda e: {"chain": list(e.chain)},
    R.Flagged: lambda e: {"warnings": list(e.warnings)},
    R.DedupRefused: lambda e: {
        "dedup_status": "conflict", "holder_province": e.holder_province, "status": S.REFUSED
    },
    R.Authenticated: lambda e: {"auth_status": e.outcome, "auth_reason": e.reason},
    R.RefusedByAuthentication: lambda e: {"status": S.REFUSED},
    R.ProblemRecordOpened: lambda e: {"problem_record_id": str(e.problem_record_id)},
    R.DedupPassed: lambda e: {"dedup_status": "passed"},
    R.ReviewStarted: lambda e: {"chain": list(e.chain), "step": 0, "status": S.IN_REVIEW},
    R.Resubmitted: lambda e: {"step": 0, "status": S.IN_REVIEW},
    Approval.Resubmitted: lambda e: {"step": 0, "status": S.IN_REVIEW},
    R.Deleted: lambda e: {"status": S.DELETED},
    R.Abandoned: lambda e: {"status": S.ABANDONED},
    R.NumberAssigned: lambda e: {"student_number": e.student_number},
    R.StudentCreated: lambda e: {"student_number": e.student_number, "status": S.REGISTERED},
}  # fmt: skip


def open_rows(
    connection: Any, table: Table, school_codes: list[str] | None, equal: dict[str, str]
) -> list[Row]:
    """The registrations still in progress (`RegistrationStatus.OPEN`), oldest first: of
    these schools (all when None), narrowed to rows whose columns equal `equal`."""
    statement = table.select().where(table.c.status.in_(S.OPEN))
    if school_codes is not None:
        statement = statement.where(table.c.school_code.in_(school_codes))
    for name, value in equal.items():
        statement = statement.where(table.c[name] == value)
    statement = statement.order_by(table.c.submitted_at, table.c.id)
    return [dict(r) for r in connection.execute(statement).mappings()]


def _follow(view: View, table: Table) -> None:
    view.on(R.Submitted)(functools.partial(_submitted, table))
    view.on(*_SETS)(functools.partial(_set, table))
    # The review's events are the engine's (older logs hold them under the registration's
    # name); rows of other businesses are not in this table and are passed over.
    view.on(R.Decided, Approval.Decided)(functools.partial(_decided, table))
    view.on(R.Reported, Approval.Reported)(functools.partial(_reported, table))


def _submitted(table: Table, batch: Batch, e: Any) -> None:
    row = {c.name: None for c in table.columns}
    row |= {k: getattr(e, k) for k in ("entry", "id_type", "id_number", "name")}
    row |= {k: getattr(e, k) for k in ("school_code", "class_code")}
    row |= {
        "id": str(e.originator_id),
        "status": S.SUBMITTED,
        "dedup_status": "pending",
        "auth_status": "pending",
        "step": 0,
        "chain": [],
        "history": [],
        "warnings": [],
        "event_count": 0,
        "submitted_at": e.timestamp.isoformat(),
    }
    batch.put(table, _changed(row, e))


def _set(table: Table, batch: Batch, e: Any) -> None:
    _update(batch, table, e, _SETS[type(e)](e))


def _decided(table: Table, batch: Batch, e: Any) -> None:
    """The engine's own transition rule (`Approval.after_decision`), applied to the row."""
    row = batch.get(table, str(e.originator_id))
    if row is None:
        return
    step = row["chain"][row["step"]]
    entry = decision(step["level"], step["unit_code"], e.meta, e.approve, e.opinion, e.at)
    status, next_step = R.after_decision(row["step"], len(row["chain"]), e.approve)
    changes = {"history": [*row["history"], entry], "status": status, "step": next_step}
    _update(batch, table, e, changes)


def _reported(table: Table, batch: Batch, e: Any) -> None:
    row = batch.get(table, str(e.originator_id))
    if row is not None:
        status, step = R.after_report(len(row["chain"]))
        _update(batch, table, e, {"status": status, "step": step})


def _update(batch: Batch, table: Table, e: Any, changes: Row) -> None:
    row = batch.get(table, str(e.originator_id))
    if row is not None:
        batch.put(table, _changed(row | changes, e))


def _changed(row: Row, e: Any) -> Row:
    row["version"] = e.originator_version
    row["event_count"] += 1
    row["last_change_at"] = e.timestamp.isoformat()
    return row
