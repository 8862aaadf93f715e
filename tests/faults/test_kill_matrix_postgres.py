"""The fault matrix on PostgreSQL (NFR-4): every store of the mesh a PostgreSQL database
(encrypted, SEC-7); a registration and a transfer killed where a commit meets the bus."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from contracts import subjects
from tests.faults.flows import (
    HUB,
    IN,
    OUT,
    People,
    approve_case,
    assert_registered_once,
    assert_transferred_once,
    completed,
    initiate,
    pull,
    register,
    timed_messages,
    transfer,
)
from tests.support.postgres import crash_restart, fresh_database
from tests.support.processes import ProcessMesh

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

POINTS = [
    (OUT, "node.register.after_claim"),
    (OUT, "node.notice.archive_requested.stored"),
    (HUB, "hub.applied.student.transferred_out"),
    (IN, "node.transfer_in.stored"),
]


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[ProcessMesh]:
    urls = {s: fresh_database(postgres_url, f"faults_{s}") for s in (HUB, IN, OUT)}
    mesh = ProcessMesh(tmp_path_factory.mktemp("faults-pg") / "var", [IN, OUT], urls)
    try:
        mesh.start_all()
        yield mesh
    finally:
        mesh.stop_all()


@pytest.fixture(scope="module")
def people() -> People:
    return People(start=500)


@pytest.mark.parametrize(("service", "point"), POINTS, ids=[f"{s}-{p}" for s, p in POINTS])
def test_nfr4_postgresql_killed_at(
    mesh: ProcessMesh, people: People, service: str, point: str
) -> None:
    child = people.next()
    if point.startswith("node.register"):
        mesh.arm(service, point)
    number = register(mesh, child)
    if not point.startswith("node.register"):
        mesh.arm(service, point)
        case = transfer(mesh, child, number)
    mesh.eventually(lambda: mesh.killed, timeout=60)
    assert mesh.killed == [(service, point)]
    if point.startswith("node.register"):
        assert_registered_once(mesh, child, number)
    else:
        assert_transferred_once(mesh, child, number, completed(mesh, case["id"]))


def test_nfr4_postgresql_crashed_and_restarted_mid_case(
    mesh: ProcessMesh, people: People, postgres_url: str
) -> None:
    """PostgreSQL, holding every store, stopped as a crash stops it right after the pull
    was accepted, and started again: the services' stores come back by themselves and
    the transfer completes once."""
    child = people.next()
    number = register(mesh, child)
    case = initiate(mesh, child, number)
    approve_case(mesh, case["id"])
    pull(mesh, case["id"])
    crashed = datetime.now(UTC)
    crash_restart(postgres_url)
    assert_transferred_once(mesh, child, number, completed(mesh, case["id"], timeout=120))
    arrived = [
        at
        for subject, body, at in timed_messages(mesh, subjects.province_stream(IN))
        if subject.endswith("transferred_in") and body.get("student_number") == number
    ]
    assert arrived[0] > crashed, "the transfer was over before the crash"
