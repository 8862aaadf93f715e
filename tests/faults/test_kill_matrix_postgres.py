"""The fault matrix on PostgreSQL (NFR-4): every store of the mesh a PostgreSQL database
(encrypted, SEC-7); a registration and a transfer killed where a commit meets the bus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.flows import (
    HUB,
    IN,
    OUT,
    People,
    assert_registered_once,
    assert_transferred_once,
    completed,
    register,
    transfer,
)
from tests.support.postgres import fresh_database
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
