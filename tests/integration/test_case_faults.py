"""The archive pull survives faults exactly once (XPT-6, NFR-4, BUS-4): a node down when the
pull is requested, every hub notice delivered twice, NATS restarted mid-pull."""

from __future__ import annotations

from uuid import UUID

import pytest

from contracts import subjects
from tests.support.cases import TRANSFERS, approve_all, case_now, enrolled_student, initiate
from tests.support.mesh import Mesh
from tests.support.nats import NatsServer
from tests.support.people import REGISTRAR


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _approved_case(mesh: Mesh, sequence: int) -> tuple[str, dict]:
    number = await enrolled_student(mesh, "44", sequence)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    assert case["status"] == "approved"
    return number, case


async def _pull(mesh: Mesh, case: dict) -> None:
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text


def _completed(mesh: Mesh, case_id: str) -> bool:
    """Read on the hub itself: the nodes' APIs may answer 503 while NATS is away."""
    return mesh.runtime("hub").hub.board.get(UUID(case_id))["status"] == "completed"


async def _arrived_once(mesh: Mesh, number: str) -> None:
    """Exactly one record in the new province, with the history brought along once."""
    history = await mesh.get("34", f"/api/v1/students/{number}/history", as_=REGISTRAR["34"])
    types = [item["type"] for item in history.json()["items"]]
    assert types.count("TransferredIn") == 1 and types.count("Registered") == 1
    left = await mesh.get("44", f"/api/v1/students/{number}/history", as_=REGISTRAR["44"])
    assert [i["type"] for i in left.json()["items"]].count("TransferredOut") == 1


async def test_xpt6_out_node_down_when_pull_requested_completes_on_return(mesh: Mesh) -> None:
    number, case = await _approved_case(mesh, 801)
    await mesh.stop("44")
    await _pull(mesh, case)  # the hub accepts; the request waits in 44's durable consumer
    assert (await case_now(mesh, case["id"]))["status"] == "approved"
    await mesh.start("44")
    await mesh.wait_until(lambda: _completed(mesh, case["id"]), timeout=30)
    await _arrived_once(mesh, number)


async def test_xpt6_in_node_down_while_archive_travels(mesh: Mesh) -> None:
    number, case = await _approved_case(mesh, 802)
    await _pull(mesh, case)
    await mesh.stop("34")
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.board.get(UUID(case["id"]))["status"] == "approved")
    await mesh.start("34")
    await mesh.wait_until(lambda: _completed(mesh, case["id"]), timeout=30)
    await _arrived_once(mesh, number)


async def test_nfr4_every_hub_notice_delivered_twice_changes_nothing(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    number, case = await _approved_case(mesh, 803)
    await _pull(mesh, case)
    await mesh.wait_until(lambda: _completed(mesh, case["id"]))
    before = await case_now(mesh, case["id"])
    await mesh.wait_until(lambda: _stored_notices(nats_server, 4))
    republished = await _publish_again(nats_server)  # a second copy of each, new ids
    assert republished == 4  # opened, archive requested, archive delivered, completed
    await mesh.wait_until(lambda: _consumed(nats_server, republished), timeout=30)
    await _arrived_once(mesh, number)
    after = await case_now(mesh, case["id"])
    assert after == before


async def test_nfr4_nats_restart_mid_pull(mesh: Mesh, nats_server: NatsServer) -> None:
    number, case = await _approved_case(mesh, 804)
    await mesh.stop("44")
    await _pull(mesh, case)
    nats_server.stop()
    await mesh.start("44")  # comes up while NATS is down; connects when it returns
    nats_server.start()
    await mesh.wait_until(lambda: _completed(mesh, case["id"]), timeout=45)
    await _arrived_once(mesh, number)


async def _publish_again(nats_server: NatsServer) -> int:
    nc = await nats_server.connect()  # the test inspector: may read and republish
    try:
        js = nc.jetstream()
        info = await js.stream_info(subjects.HUB_OUT_STREAM)
        count = info.state.messages
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            original = await js.get_msg(subjects.HUB_OUT_STREAM, sequence)
            await js.publish(original.subject, original.data)
        return count
    finally:
        await nc.close()


async def _stored_notices(nats_server: NatsServer, count: int) -> bool:
    nc = await nats_server.connect()  # the test inspector: may read and republish
    try:
        info = await nc.jetstream().stream_info(subjects.HUB_OUT_STREAM)
        return info.state.messages == count
    finally:
        await nc.close()


async def _consumed(nats_server: NatsServer, republished: int) -> bool:
    nc = await nats_server.connect()  # the test inspector: may read and republish
    try:
        js = nc.jetstream()
        pending = 0
        for province in ("34", "44"):
            info = await js.consumer_info(
                subjects.HUB_OUT_STREAM, subjects.hub_out_durable(province)
            )
            pending += info.num_pending + info.num_ack_pending
        return pending == 0
    finally:
        await nc.close()
