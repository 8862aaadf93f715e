"""Issue 17 item 5: RPC handlers run concurrently with a bound (`xueji.bus.serve`), on a
real nats-server; commands stay idempotent (BUS-2) when their duplicates arrive at once."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import pytest
from pydantic import BaseModel

from contracts import subjects
from contracts.commands import ClaimIdentity
from contracts.envelope import Actor, Envelope
from tests.support.mesh import Mesh
from tests.support.nats import NatsServer
from tests.support.people import resident_id
from xueji.bus import RPC_CONCURRENCY, serve


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")


class Answer(BaseModel):
    said: str


async def test_issue17_slow_handler_does_not_hold_up_others(module_nats: NatsServer) -> None:
    release = asyncio.Event()

    async def handler(msg) -> Answer:
        said = msg.data.decode()
        if said == "slow":
            await release.wait()
        return Answer(said=said)

    server, client = await module_nats.connect(), await module_nats.connect()
    try:
        await serve(server, "test.rpc.slow", "test", handler)
        await server.flush()
        slow = asyncio.create_task(client.request("test.rpc.slow", b"slow", timeout=10))
        await asyncio.sleep(0.1)  # the slow one is being answered
        fast = await client.request("test.rpc.slow", b"fast", timeout=3)
        assert json.loads(fast.data) == {"said": "fast"}
        assert not slow.done()  # still waiting, yet the fast one was answered
        release.set()
        assert json.loads((await slow).data) == {"said": "slow"}
    finally:
        release.set()
        await client.close()
        await server.close()


@pytest.mark.parametrize("bound", [3, RPC_CONCURRENCY])
async def test_issue17_never_more_than_the_bound_at_once(
    module_nats: NatsServer, bound: int
) -> None:
    running, most = 0, 0

    async def handler(msg) -> Answer:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.2)
        running -= 1
        return Answer(said=msg.data.decode())

    subject = f"test.rpc.bound.{bound}"
    server, client = await module_nats.connect(), await module_nats.connect()
    try:
        await serve(server, subject, "test", handler, concurrency=bound)
        await server.flush()
        requests = [client.request(subject, str(i).encode(), timeout=20) for i in range(bound * 3)]
        replies = await asyncio.gather(*requests)
        assert sorted(int(json.loads(r.data)["said"]) for r in replies) == list(range(bound * 3))
        assert most == bound  # they did overlap, and never beyond the bound
    finally:
        await client.close()
        await server.close()


async def test_bus2_duplicates_answered_at_once_return_the_first_result(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    """The same claim (one command id) ten times at once, and a second registration of the
    same child: the hub stores one claim, every duplicate answers as the first did."""
    number = resident_id(sequence=61)
    envelope = Envelope(actor=Actor(account="t", unit_code="44", role="registrar"))
    claim = ClaimIdentity(
        envelope=envelope,
        province="44",
        registration_id=uuid4(),
        dedup_key=f"id:{number}",
        id_type="1",
        id_number=number,
        name="钱六",
        school_code="3440106002",
    )
    subject = subjects.hub_rpc("44", subjects.HUB_IDENTITY_CLAIM)
    data = claim.model_dump_json().encode()
    nc = await module_nats.connect(subjects.province_client("44"))
    try:
        replies = await asyncio.gather(*[nc.request(subject, data, timeout=10) for _ in range(10)])
        answers = [json.loads(r.data) for r in replies]
        assert all(a == answers[0] for a in answers) and answers[0]["outcome"] == "free"

        other = claim.model_copy(update={"registration_id": uuid4(), "envelope": Envelope(
            actor=envelope.actor, command_id=uuid4())})  # fmt: skip
        held = json.loads((await nc.request(subject, other.model_dump_json().encode(), 10)).data)
        assert held["outcome"] != "free"  # the first claim holds the identity
    finally:
        await nc.close()
    hub = mesh.runtime("hub").hub
    assert hub.identity(f"id:{number}") is not None
