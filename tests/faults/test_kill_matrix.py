"""NFR-4, BUS-2…BUS-4, REG-5, XPT-6: faults that kill. Each service is a real process (as
`make up` starts it); one is restarted armed with a fault point (`XUEJI_KILL_AT`,
xueji/faults.py) and SIGKILLs itself there in the middle of a registration or a transfer
driven over the public HTTP API. It is started again unarmed, the users retry what failed,
and the end state must be the one without the crash: the student exists exactly once
nationally (hub index and provinces agree), the case completed by itself, no event twice.

The points and what each asserts: docs/faults.md.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from contracts import subjects
from tests.faults.flows import (
    HUB,
    IN,
    OUT,
    OUT_SCHOOL,
    People,
    approve,
    approve_case,
    assert_registered_once,
    assert_transferred_once,
    completed,
    enter,
    history,
    indexed,
    initiate,
    pull,
    records,
    register,
    transfer,
)
from tests.faults.points import REGISTRATION, TRANSFER
from tests.support.people import REGISTRAR, registration
from tests.support.processes import ProcessMesh

pytestmark = pytest.mark.faults


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{service}-{point}" for service, point in cases]


def _killed_at(mesh: ProcessMesh, service: str, point: str) -> None:
    """The armed process died at its point (once), and is back."""
    mesh.eventually(lambda: mesh.killed, timeout=60)
    assert mesh.killed == [(service, point)]


@pytest.mark.parametrize(("service", "point"), REGISTRATION, ids=_ids(REGISTRATION))
def test_nfr4_registration_killed_at(
    mesh: ProcessMesh, people: People, service: str, point: str
) -> None:
    child = people.next()
    mesh.arm(service, point)
    number = register(mesh, child)
    _killed_at(mesh, service, point)
    assert_registered_once(mesh, child, number)


@pytest.mark.parametrize(("service", "point"), TRANSFER, ids=_ids(TRANSFER))
def test_nfr4_transfer_killed_at(
    mesh: ProcessMesh, people: People, service: str, point: str
) -> None:
    child = people.next()
    number = register(mesh, child)
    mesh.arm(service, point)
    case = transfer(mesh, child, number)
    _killed_at(mesh, service, point)
    assert_transferred_once(mesh, child, number, completed(mesh, case["id"]))


def test_reg5_node_killed_between_claim_and_commit_entry_made_again(
    mesh: ProcessMesh, people: People
) -> None:
    """The registrar sees an error and enters the child again (a new command): the claim
    the hub holds for the entry never stored moves to the new one — not a duplicate."""
    child = people.next()
    mesh.arm(OUT, "node.register.after_claim")
    body = registration(OUT_SCHOOL, child.id_number, name=child.name)
    with pytest.raises(httpx.TransportError):
        mesh.call(OUT, "POST", "/api/v1/registrations", REGISTRAR[OUT], json=body)
    _killed_at(mesh, OUT, "node.register.after_claim")
    again = enter(mesh, child, action="entered again")
    number = approve(mesh, again["id"])
    indexed(mesh, child, OUT, number)
    assert_registered_once(mesh, child, number)


def test_nfr4_nats_server_killed_mid_archive_pull(mesh: ProcessMesh, people: People) -> None:
    """nats-server SIGKILLed right after the pull was accepted (the notice and the archive
    on their way), started again on its store: the transfer completes once."""
    child = people.next()
    number = register(mesh, child)
    case = initiate(mesh, child, number)
    approve_case(mesh, case["id"])
    pull(mesh, case["id"])
    mesh.kill_nats()
    at_kill = _positions(mesh)  # read from the hub's store: NATS is gone
    time.sleep(1.0)
    mesh.nats.start()
    assert_transferred_once(mesh, child, number, completed(mesh, case["id"], timeout=120))
    assert at_kill[IN] < _positions(mesh)[IN], "the transfer was over before the kill"


def _positions(mesh: ProcessMesh) -> dict[str, int]:
    """How far the hub has applied each province's stream (its /healthz, 503 or not)."""
    return mesh.call(HUB, "GET", "/healthz").json()["positions"]


def test_nfr4_duplicate_delayed_and_reordered_notices_change_nothing(
    mesh: ProcessMesh, people: People
) -> None:
    """After a transfer completed, every notice of its case comes again — each twice, in
    reverse order, `case_opened` last (a late notice for a closed case): the records,
    their histories and the hub's index stay as they were."""
    child = people.next()
    number = register(mesh, child)
    case = transfer(mesh, child, number)

    def of_case() -> list[tuple[str, bytes]]:
        return [(s, d) for s, d in _hub_out(mesh) if json.loads(d).get("case_id") == case["id"]]

    mesh.eventually(lambda: len(of_case()) == 4)  # the hub published case_completed too
    mesh.eventually(lambda: _notices_consumed(mesh))  # and both nodes applied every notice
    before = {p: (records(mesh, p, child), history(mesh, p, number)) for p in (IN, OUT)}
    notices = of_case()
    assert [s.rsplit(".", 1)[-1] for s, _ in notices] == [
        "case_opened",
        "archive_requested",
        "archive_delivered",
        "case_completed",
    ]
    again = [n for n in reversed(notices) for _ in range(2)]  # reordered, each twice
    _publish(mesh, again)
    mesh.eventually(lambda: _notices_consumed(mesh))
    after = {p: (records(mesh, p, child), history(mesh, p, number)) for p in (IN, OUT)}
    assert after == before
    assert_transferred_once(mesh, child, number, completed(mesh, case["id"]))


def test_nfr4_poison_messages_block_nothing(mesh: ProcessMesh, people: People) -> None:
    """Garbage on 44's event stream and in 44's notices: the hub records the one as
    rejected and goes on, the node drops the other; the next registration and transfer
    go through as if nothing had happened."""
    poison = [
        (subjects.hub_out(OUT, "case_opened"), b"\x00not json"),
        (subjects.hub_out(OUT, "archive_requested"), b'{"notice": "archive_requested"}'),
        ("xueji.evt.44.student.registered", b'{"version": 1, "garbage": true}'),
        ("xueji.evt.44.student.transferred_out", b"\xff\xfe"),
    ]
    _publish(mesh, poison)
    child = people.next()
    number = register(mesh, child)
    assert_registered_once(mesh, child, number)
    case = transfer(mesh, child, number)
    assert_transferred_once(mesh, child, number, case)
    mesh.eventually(lambda: _notices_consumed(mesh))


# --- the inspector's view of the bus -----------------------------------------------------------


def _hub_out(mesh: ProcessMesh) -> list[tuple[str, bytes]]:
    async def read() -> list[tuple[str, bytes]]:
        nc = await mesh.nats.connect()
        try:
            js = nc.jetstream()
            info = await js.stream_info(subjects.HUB_OUT_STREAM)
            found = []
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(subjects.HUB_OUT_STREAM, sequence)
                found.append((msg.subject, msg.data))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def _publish(mesh: ProcessMesh, messages: list[tuple[str, bytes]]) -> None:
    """Published as the test inspector, each a new stream message (no `Nats-Msg-Id`)."""

    async def send() -> None:
        nc = await mesh.nats.connect()
        try:
            js = nc.jetstream()
            for subject, data in messages:
                await js.publish(subject, data)
        finally:
            await nc.close()

    asyncio.run(send())


def _notices_consumed(mesh: ProcessMesh) -> bool:
    async def pending() -> int:
        nc = await mesh.nats.connect()
        try:
            js = nc.jetstream()
            total = 0
            for province in mesh.provinces:
                info = await js.consumer_info(
                    subjects.HUB_OUT_STREAM, subjects.hub_out_durable(province)
                )
                total += info.num_pending + info.num_ack_pending
            return total
        finally:
            await nc.close()

    return asyncio.run(pending()) == 0
