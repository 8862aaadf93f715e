"""The fault matrix's mesh: real processes, started once per module, revived per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.flows import IN, OUT, People
from tests.support.processes import ProcessMesh


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessMesh]:
    mesh = ProcessMesh(tmp_path_factory.mktemp("faults") / "var", [IN, OUT])
    try:
        mesh.start_all()
        yield mesh
    finally:
        mesh.stop_all()


@pytest.fixture
def mesh(processes: ProcessMesh) -> Iterator[ProcessMesh]:
    """The module's mesh, every service unarmed and up again after the test."""
    processes.killed.clear()
    try:
        yield processes
    finally:
        processes.disarm()


@pytest.fixture(scope="module")
def people() -> People:
    return People()
