"""REG-5 claims that never leak, with real processes: node 44 SIGKILLed between the hub's
claim and its commit — of one entry, and of an Excel import's chunk — leaves claims on the
hub that nothing on the node stands for. Another province cannot register those children
(the claim leaked) until the reconciliation, run on demand after the grace period (the API
and `xueji reconcile claims`), releases them, once; then 34 registers one, and 44 the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from simulations.demo import DEMO_PASSWORD
from simulations.excel import filled
from simulations.population import Person
from tests.faults.flows import HUB, IN, IN_SCHOOL, OUT, OUT_SCHOOL, People, approve, enter, indexed
from tests.support.people import REGISTRAR, registration
from tests.support.processes import ProcessMesh, ok

pytestmark = pytest.mark.faults

GRACE = 3.0
RUN = "/api/v1/reconciliations/claims"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessMesh]:
    """This module's mesh: a short grace period, the reconciliation on demand only."""
    env = {"XUEJI_CLAIM_GRACE_SECONDS": str(GRACE), "XUEJI_CLAIM_RECONCILE_SECONDS": "3600"}
    mesh = ProcessMesh(tmp_path_factory.mktemp("claims") / "var", [IN, OUT], env=env)
    try:
        mesh.start_all()
        yield mesh
    finally:
        mesh.stop_all()


@pytest.fixture(scope="module")
def people() -> People:
    return People(start=500)


def _killed_at(mesh: ProcessMesh, point: str) -> None:
    mesh.eventually(lambda: mesh.killed, timeout=60)
    assert mesh.killed == [(OUT, point)]


def _in_34(mesh: ProcessMesh, child: Person) -> httpx.Response:
    """34's registrar enters the same child (a new command each time)."""
    body = registration(IN_SCHOOL, child.id_number, name=child.name)
    return ok(mesh.call(IN, "POST", "/api/v1/registrations", REGISTRAR[IN], json=body), 201, 409)


def _leaked(mesh: ProcessMesh, child: Person) -> None:
    refused = mesh.eventually(lambda: _in_34(mesh, child))
    assert refused.status_code == 409 and refused.json()["holder_province"] == OUT


def test_reg5_node_killed_between_claim_and_commit_orphan_released(
    mesh: ProcessMesh, people: People
) -> None:
    child = people.next()
    mesh.arm(OUT, "node.register.after_claim")
    body = registration(OUT_SCHOOL, child.id_number, name=child.name)
    with pytest.raises(httpx.TransportError):
        mesh.call(OUT, "POST", "/api/v1/registrations", REGISTRAR[OUT], json=body)
    _killed_at(mesh, "node.register.after_claim")
    _leaked(mesh, child)

    time.sleep(GRACE)
    response = ok(mesh.call(HUB, "POST", RUN, "moe_sysadmin", json={"province": OUT}))
    (run,) = response.json()["runs"]
    print("reconciliation after a kill at node.register.after_claim:", run)
    assert (run["answered"], run["released"], run["conflicts"]) == (True, 1, 0)
    again = ok(mesh.call(HUB, "POST", RUN, "moe_sysadmin", json={"province": OUT}))
    assert again.json()["runs"][0]["released"] == 0  # exactly once

    assert _in_34(mesh, child).status_code == 201  # another province: nothing leaked


def test_reg5_node_killed_mid_import_orphans_released_by_reconciliation(
    mesh: ProcessMesh, people: People
) -> None:
    children = [people.next() for _ in range(3)]
    template = ok(
        mesh.call(OUT, "GET", "/api/v1/registrations/templates/resident", REGISTRAR[OUT],
                  params={"entry": "non_primary"})
    ).content  # fmt: skip
    rows = [
        {"姓名": c.name, "身份证件类型": "1-居民身份证", "身份证件号": c.id_number,
         "民族": "01-汉族", "班号": "2026201"}
        for c in children
    ]  # fmt: skip
    mesh.arm(OUT, "node.import.after_claim")
    with pytest.raises(httpx.TransportError):
        mesh.call(OUT, "POST", "/api/v1/registrations/import", REGISTRAR[OUT],
                  files={"file": ("新生.xlsx", filled(template, rows))},
                  data={"entry": "non_primary", "id_group": "resident"})  # fmt: skip
    _killed_at(mesh, "node.import.after_claim")
    _leaked(mesh, children[0])

    time.sleep(GRACE)
    env = os.environ | {"XUEJI_PASSWORD": DEMO_PASSWORD}
    command = [sys.executable, "-m", "cli", "reconcile", "claims", "--province", OUT,
               "--hub", mesh.url(HUB), "--json"]  # fmt: skip
    first = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    (run,) = json.loads(first.stdout)["runs"]
    print("reconciliation after a kill at node.import.after_claim:", run)
    assert (run["answered"], run["released"], run["conflicts"]) == (True, 3, 0)
    second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and json.loads(second.stdout)["runs"][0]["released"] == 0

    assert _in_34(mesh, children[0]).status_code == 201  # another province
    for child in children[1:]:  # and 44 itself, as new entries
        number = approve(mesh, enter(mesh, child, action="after reconciliation")["id"])
        indexed(mesh, child, OUT, number)
