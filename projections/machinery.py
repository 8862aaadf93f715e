"""A view, the batch it is written in, and the projector that follows a notification log.

Reused from the libraries: the application's recorder (its events table, polled: SQLite has
no `subscribe`; read like `select_notifications` does, minus the ORM), its `mapper` (stored
event → domain event), and eventsourcing-sqlalchemy's
`SQLAlchemyTrackingRecorder` (tracking table, `max_tracking_id`, `wait`, and a transaction that
the view's Core statements join). Not reused: `eventsourcing.projection.ProjectionRunner`
(needs `subscribe`) and `Projection.process_event` (one transaction per event): a batch of
events and its tracking position commit together here, which is just as exactly-once and
is what makes a replay of millions of events affordable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder
from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, text

from projections.batch import Batch
from xueji.logs import get_logger

log = get_logger("projections")

Handler = Callable[[Batch, Any], None]


@dataclass
class View:
    """Tables plus one small handler function per domain event class it follows."""

    name: str
    metadata: MetaData
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, *event_classes: type) -> Callable[[Handler], Handler]:
        """Registers a handler: adding an event type to a view is one decorated function."""

        def register(handler: Handler) -> Handler:
            for cls in event_classes:
                self.handlers[get_topic(cls)] = handler
            return handler

        return register

    @property
    def topics(self) -> list[str]:
        return sorted(self.handlers)

    @property
    def signature(self) -> str:
        """Changes when a handler or a column is added: the stored view is then rebuilt."""
        columns = [f"{t.name}.{c.name}" for t in self.metadata.sorted_tables for c in t.columns]
        return hashlib.sha256(" ".join(self.topics + columns).encode()).hexdigest()[:16]

    def table(self, suffix: str) -> Table:
        return next(t for t in self.metadata.sorted_tables if t.name.endswith(f"_{suffix}"))


class Projector:
    """Follows `app`'s log for one view; position and rows commit in one transaction."""

    def __init__(self, app: Application, view: View, tracking: SQLAlchemyTrackingRecorder) -> None:
        self.app, self.view, self.tracking = app, view, tracking
        self.engine = tracking.datastore.engine
        self._signatures = Table(
            tracking.tracking_table_name.replace("_tracking", "_signatures"),
            MetaData(),
            Column("name", String(32), primary_key=True),
            Column("signature", String(16)),
        )
        self.position = 0
        #: Tests set this to fail between the view write and the commit (a crash there).
        self.fault: Callable[[], None] | None = None

    def create(self) -> None:
        """Creates the tables; a view stored with another signature is dropped first."""
        self._signatures.create(self.engine, checkfirst=True)
        with self.engine.begin() as connection:
            stored = connection.scalar(
                select(self._signatures.c.signature).where(
                    self._signatures.c.name == self.view.name
                )
            )
        if stored not in (None, self.view.signature):
            log.info("view_outdated", view=self.view.name)
            self.drop()
            return
        self.view.metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(
                delete(self._signatures).where(self._signatures.c.name == self.view.name)
            )
            connection.execute(
                insert(self._signatures),
                [{"name": self.view.name, "signature": self.view.signature}],
            )
        self.position = self.tracking.max_tracking_id(self.view.name) or 0

    def drop(self) -> None:
        """AUD-3: the view and its position go; `catch_up` builds it again from the log."""
        self.view.metadata.drop_all(self.engine)
        with self.tracking.transaction(commit=True) as session:
            record = self.tracking.tracking_record_cls
            session.query(record).filter_by(application_name=self.view.name).delete()
            session.execute(
                delete(self._signatures).where(self._signatures.c.name == self.view.name)
            )
        self.create()

    def lag(self) -> int:
        return (self.app.recorder.max_notification_id() or 0) - self.position

    def catch_up(self, batch_size: int = 1000) -> int:
        """Processes batches until the log's current end; returns how many events it read."""
        read = 0
        while True:
            count, done = self.run_once(batch_size)
            read += count
            if done:
                return read

    def run_once(self, batch_size: int = 1000) -> tuple[int, bool]:
        """One batch: (events read, reached the end of the log as it was)."""
        top = self.app.recorder.max_notification_id() or 0
        if top <= self.position:
            return 0, True
        notifications = self._select(self.position, top, batch_size)
        done = len(notifications) < batch_size
        # Past the last event of ours up to `top` nothing else is ours: skip to `top`.
        new_position = top if done else notifications[-1].id
        self._apply(notifications, new_position)
        self.position = new_position
        return len(notifications), done

    def _select(self, after: int, top: int, limit: int) -> list[Notification]:
        """`recorder.select_notifications(after, limit, top, topics)` without the ORM: the
        same rows, but building an ORM object per row was 40 % of a replay (profiled)."""
        table = self.app.recorder.events_record_cls.__table__
        statement = (
            select(text("id, originator_id, originator_version, topic, state"))
            .select_from(table)
            .where(table.c.id > after, table.c.id <= top, table.c.topic.in_(self.view.topics))
            .order_by(table.c.id)
            .limit(limit)
        )
        with self.app.recorder.datastore.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [
            Notification(
                id=i,
                originator_id=UUID(bytes=o) if isinstance(o, bytes) else o,  # SQLite: BLOB
                originator_version=v,
                topic=t,
                state=bytes(s),
            )
            for i, o, v, t, s in rows
        ]

    def _apply(self, notifications: list[Notification], position: int) -> None:
        with self.tracking.transaction(commit=True) as session:
            batch = Batch(session)
            self._handle(batch, notifications)
            batch.flush()
            if self.fault is not None:
                self.fault()
            self.tracking._insert_tracking(session, Tracking(self.view.name, position))  # noqa: SLF001 - joins our transaction

    def _handle(self, batch: Batch, notifications: list[Notification]) -> None:
        # Only the view's topics are selected: event types it has no handler for (new ones
        # from other features) never reach it; adding a handler changes `signature`, which
        # rebuilds the view at the next start so that their past events count too.
        mapper, handlers = self.app.mapper, self.view.handlers
        for notification in notifications:
            handlers[notification.topic](batch, mapper.to_domain_event(notification))
