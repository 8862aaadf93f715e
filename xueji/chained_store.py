"""The hash-chaining recorders and their factory (`PERSISTENCE_MODULE`); see xueji/chain.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyApplicationRecorder,
    SQLAlchemyProcessRecorder,
)
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from xueji.chain import GENESIS, ChainedNotification, SeenTracking, chain_tables, link_hash
from xueji.persistence import BulkInsert


class _Chained:
    """Mixin over the library's application/process recorders (how and why: xueji/chain.py)."""

    datastore: Any
    events_table_name: str
    schema_name: str | None
    tables: list[Table]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = self.events_table_name.removesuffix("_events")
        self.chain, self.heads = chain_tables(prefix, self.schema_name)
        self.tables += [self.chain, self.heads]
        name = self.chain.fullname  # `[a-z0-9_]` app names (DESIGN §3): nothing to quote
        mark = "?" if self.datastore.engine.dialect.paramstyle == "qmark" else "%s"
        self._head_sql = f"SELECT hash FROM {name} ORDER BY notification_id DESC LIMIT 1"
        self._append_sql = f"INSERT INTO {name} (notification_id, hash) VALUES ({mark}, {mark})"

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        with self.transaction(commit=True) as session:  # type: ignore[attr-defined]
            if session.execute(select(self.chain.c.notification_id).limit(1)).first() is None:
                self._seal_existing(session)

    def _seal_existing(self, session: Session) -> None:
        """A store from before the chain existed gets its links once, at first start."""
        records = session.query(self.events_record_cls).order_by(self.events_record_cls.id)
        self._append_links(session, [(r.id, _stored(r)) for r in records])

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        ids = super()._insert_stored_events(session, stored_events, **kwargs)  # type: ignore[misc]
        if stored_events:
            self._append_links(session, list(zip(ids, stored_events, strict=True)))
        return ids

    def _append_links(self, session: Session, new: list[tuple[int, StoredEvent]]) -> None:
        if not new:
            return
        new.sort(key=lambda pair: pair[0])
        # Driver-level SQL: SQLAlchemy's statement pipeline cost 4x the chain's own work here.
        connection = session.connection()
        prev = bytes(connection.exec_driver_sql(self._head_sql).scalar() or GENESIS)
        rows = []
        for notification_id, e in new:
            prev = link_hash(prev, e.topic, e.originator_id, e.originator_version, e.state)
            rows.append((notification_id, prev))
        connection.exec_driver_sql(self._append_sql, rows)

    def _insert_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(session, stored_events, **kwargs)  # type: ignore[misc]
        tracking = kwargs.get("tracking")
        if isinstance(tracking, SeenTracking):
            self._record_head(session, tracking)

    def _record_head(self, session: Session, tracking: SeenTracking) -> None:
        values = {
            "sequence": tracking.notification_id,
            "notification_id": tracking.source_notification_id,
            "hash": tracking.chain_hash,
        }
        stream = self.heads.c.stream
        changed = session.execute(
            update(self.heads).where(stream == tracking.application_name).values(values)
        )
        if changed.rowcount == 0:
            session.execute(insert(self.heads).values(stream=tracking.application_name, **values))

    def select_notifications(self, *args: Any, **kwargs: Any) -> list[Notification]:
        """The library's notifications, each with its chain hash (one extra query per page)."""
        notifications = super().select_notifications(*args, **kwargs)  # type: ignore[misc]
        if not notifications:
            return notifications
        ids, hashes = [n.id for n in notifications], {}
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            for start in range(0, len(ids), 1000):  # bounded IN lists, whatever the page size
                chunk = self.chain.c.notification_id.in_(ids[start : start + 1000])
                rows = session.execute(select(self.chain).where(chunk))
                hashes.update({row.notification_id: row.hash.hex() for row in rows})
        return [_with_hash(n, hashes.get(n.id)) for n in notifications]

    def select_links(self, after: int, limit: int) -> list[tuple[Notification, bytes | None]]:
        """Events after notification `after` in log order, each with its stored link."""
        record = self.events_record_cls
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            query = (
                session.query(record, self.chain.c.hash)
                .outerjoin(self.chain, self.chain.c.notification_id == record.id)
                .filter(record.id > after)
                .order_by(record.id)
                .limit(limit)
            )
            return [(_notification(r), h) for r, h in query]

    def seen_heads(self) -> dict[str, dict]:
        """Per followed stream: the latest source position and chain hash recorded."""
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            rows = session.execute(select(self.heads)).mappings()
            return {row["stream"]: dict(row) for row in rows}


def _stored(record: Any) -> StoredEvent:
    state = bytes(record.state) if isinstance(record.state, memoryview) else record.state
    return StoredEvent(record.originator_id, record.originator_version, record.topic, state)


def _notification(record: Any) -> Notification:
    e = _stored(record)
    return Notification(e.originator_id, e.originator_version, e.topic, e.state, id=record.id)


def _with_hash(notification: Notification, chain_hash: str | None) -> ChainedNotification:
    fields = {k: getattr(notification, k) for k in Notification.__dataclass_fields__}
    return ChainedNotification(**fields, chain_hash=chain_hash)


class ChainedApplicationRecorder(_Chained, BulkInsert, SQLAlchemyApplicationRecorder):
    pass


class ChainedProcessRecorder(_Chained, BulkInsert, SQLAlchemyProcessRecorder):
    pass


class Factory(SQLAlchemyFactory):
    """eventsourcing-sqlalchemy with hash-chained event logs (`PERSISTENCE_MODULE`)."""

    application_recorder_class = ChainedApplicationRecorder
    process_recorder_class = ChainedProcessRecorder

    def close(self) -> None:
        """The library's factory keeps its engine's pool open on close; a service that stops
        gives its connections back (a PostgreSQL server counts them against its limit)."""
        self.datastore.engine.dispose()
        super().close()
