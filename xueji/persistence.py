"""`eventsourcing_sqlalchemy` with a cheaper write on SQLite: one DB-API `executemany`.

The library adds one ORM object per stored event and lets the unit of work flush them (and
SQLAlchemy's RETURNING path then runs one statement per row on SQLite); for an import chunk
(about 1,400 events in one transaction) that was most of the node's commit (py-spy,
docs/benchmarks.md). Here the same rows go in with one `executemany` in the same session
and transaction. Everything else (reads, tracking, snapshots, tables, PostgreSQL) is the
library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyApplicationRecorder,
    SQLAlchemyProcessRecorder,
)
from sqlalchemy.orm import Session


class BulkInsert:
    """Replaces the ORM insert of `SQLAlchemyApplicationRecorder` (and its subclasses) on
    SQLite; other databases keep the library's."""

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        connection = session.connection()
        if connection.dialect.name != "sqlite" or not stored_events:
            return super()._insert_stored_events(session, stored_events, **kwargs)
        table = self.events_record_cls.__table__
        to_db = table.c.originator_id.type.bind_processor(connection.dialect) or (lambda v: v)
        rows = [
            (to_db(e.originator_id), e.originator_version, e.topic, e.state) for e in stored_events
        ]
        before = connection.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0
        connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" (originator_id, originator_version, topic, state)'
            " VALUES (?, ?, ?, ?)",
            rows,
        )
        # One writer holds SQLite's write lock for the whole transaction, so the new rows
        # took the next ids in order; checked rather than assumed.
        last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar()
        if last != before + len(rows):
            raise IntegrityError(f"notification ids not consecutive: {before}, {last}")
        return list(range(before + 1, last + 1))


class BulkApplicationRecorder(BulkInsert, SQLAlchemyApplicationRecorder):
    pass


class BulkProcessRecorder(BulkInsert, SQLAlchemyProcessRecorder):
    pass


class Factory(SQLAlchemyFactory):
    """Selected by `PERSISTENCE_MODULE=xueji.persistence:Factory` (see `xueji.store`)."""

    application_recorder_class = BulkApplicationRecorder
    process_recorder_class = BulkProcessRecorder
