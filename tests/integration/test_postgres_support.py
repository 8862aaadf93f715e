"""The test PostgreSQL (embedded, or XUEJI_TEST_PG_URL) works with eventsourcing-sqlalchemy."""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

import psutil
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from tests.support.postgres import fresh_database, postgres_server


class prov44(Application[UUID]):  # lower-case on purpose: its events table is "prov44_events"
    pass


def _live_processes_under(path: Path) -> list[int]:
    return [
        proc.pid
        for proc in psutil.process_iter(["cmdline", "status"])
        if proc.info["status"] != psutil.STATUS_ZOMBIE
        and any(str(path) in arg for arg in proc.info["cmdline"] or [])
    ]


@pytest.mark.postgres
def test_postgres_server_stores_and_notifies_events(tmp_path: Path) -> None:
    started = time.perf_counter()
    with postgres_server(tmp_path) as server_url:
        print(f"postgres ready in {time.perf_counter() - started:.2f}s")
        url = fresh_database(server_url, "prov44_support")
        app = prov44(env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": url})
        try:
            aggregate = Aggregate()
            app.save(aggregate)

            copy = app.repository.get(aggregate.id)
            assert (copy.id, copy.version) == (aggregate.id, 1)

            notifications = app.recorder.select_notifications(start=1, limit=10)
            assert [(n.originator_id, n.originator_version) for n in notifications] == [
                (aggregate.id, 1)
            ]
        finally:
            app.close()

    assert _live_processes_under(tmp_path) == []
