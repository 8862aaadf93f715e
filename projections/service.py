"""The views of one application, kept in their own database and written by their own thread.

Why a separate database by default (`var/prov44_views.sqlite`): SQLite allows one writer per
file, and the node already has one (DESIGN §3). With the views in the events' file, every
batch of view rows — and a whole rebuild — would queue behind registrations and block them.
In their own file the projector is the one writer, reads of the log go on beside the node's
writes (WAL), and a rebuild never stops the node. Only the view rows and their position must
share a transaction, and they do. On PostgreSQL the views may share the node's database
(`views_url` = the store URL): tables are prefixed, and nothing else is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.application import Application
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder
from sqlalchemy import Connection, event
from sqlalchemy.exc import SAWarning

from projections.machinery import Projector, View
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("projections")
T = TypeVar("T")


def views_url(store_url: str) -> str:
    """Default views database: next to a SQLite store, the same database on PostgreSQL."""
    if store_url.startswith("sqlite") and store_url.endswith(".sqlite"):
        return store_url.removesuffix(".sqlite") + "_views.sqlite"
    return store_url


class Views:
    def __init__(self, app: Application, url: str, views: list[View]) -> None:
        self.app = app
        datastore = SQLAlchemyDatastore(url=url.replace("postgresql://", "postgresql+psycopg://"))
        datastore.init_sqlite_wal_mode()
        with warnings.catch_warnings():  # the library names every tracking class alike
            warnings.simplefilter("ignore", SAWarning)
            self.tracking = SQLAlchemyTrackingRecorder(
                datastore, tracking_table_name=f"{app.name}_views_tracking"
            )
        self.tracking.create_table()
        self.engine = datastore.engine
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_reading_pragmas)
        self.projectors = {v.name: Projector(app, v, self.tracking) for v in views}
        for projector in self.projectors.values():
            projector.create()
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA optimize")  # cheap; ANALYZEs what needs it
        self.writer = Writer(f"views-{app.name}")
        self._wake = asyncio.Event()

    def view(self, name: str) -> View:
        return self.projectors[name].view

    # --- following the log -------------------------------------------------------------------

    async def run(self, poll_seconds: float = 0.2) -> None:
        while True:
            busy = False
            for projector in self.projectors.values():
                try:
                    read, done = await self.writer(projector.run_once)
                    busy = busy or not done
                except Exception:  # noqa: BLE001 - a store hiccup: the batch rolled back, retry
                    log.warning("projector_failed", view=projector.view.name, exc_info=True)
            if not busy:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)

    async def caught_up(self, timeout: float = 2.0) -> bool:
        """Read-your-writes: waits until every view has what the log held when called."""
        top = await asyncio.to_thread(self.app.recorder.max_notification_id) or 0
        deadline = time.monotonic() + timeout
        while any(p.position < top for p in self.projectors.values()):
            if time.monotonic() > deadline:
                return False
            self._wake.set()
            await asyncio.sleep(0.005)
        return True

    def lags(self) -> dict[str, dict[str, int]]:
        """Per view: its position and how many notifications of the log it has not seen."""
        top = self.app.recorder.max_notification_id() or 0
        return {
            name: {"position": p.position, "lag": top - p.position}
            for name, p in self.projectors.items()
        }

    # --- AUD-3 and reads ---------------------------------------------------------------------

    def rebuild(self, name: str, batch_size: int = 5000) -> int:
        """Drops the view and builds it again from the whole log; returns events read."""
        projector = self.projectors[name]
        projector.drop()
        events = projector.catch_up(batch_size)
        with self.engine.begin() as connection:
            # Fresh statistics, or SQLite sorts the whole table for a page (planner, measured).
            connection.exec_driver_sql("ANALYZE")
        return events

    async def read(self, query: Callable[..., T], *args: Any) -> T:
        """Runs `query(connection, *args)` on a reading thread (WAL: beside the writer)."""
        return await asyncio.to_thread(self.read_now, query, *args)

    def read_now(self, query: Callable[..., T], *args: Any) -> T:
        connection: Connection
        with self.engine.connect() as connection:
            return query(connection, *args)

    def close(self) -> None:
        self.writer.shutdown()
        self.engine.dispose()


def _sqlite_reading_pragmas(connection: Any, _: Any) -> None:
    """Whole-table scans (a count under custom conditions) read a memory map, not copies."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA mmap_size = 1073741824")
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.close()
