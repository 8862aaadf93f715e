"""Issue 17 item 5: the streams on a JetStream cluster of three real nats-servers, declared
with three replicas and `sync_interval: always` (the production shape of `compose/`). The
server leading a province's stream is SIGKILLed between two batches of the province's
events: the province goes on publishing through the others, and the hub's durable reads
every acknowledged event once, in order — nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from nats.js.api import ConsumerConfig

from contracts import subjects
from tests.support.nats import PROVINCES, session_pki, users
from xueji import bus
from xueji.nats_config import Cluster, server_config, write_server_config
from xueji.processes import free_port, start_nats, stop

pytestmark = pytest.mark.faults

NAMES = ["n1", "n2", "n3"]
STREAM = subjects.province_stream("44")


@pytest.fixture
def cluster(tmp_path: Path):
    """Three servers, each with its own store, routed to each other; {name: (port, process)}."""
    pki = session_pki()
    ports = {name: (free_port(), free_port()) for name in NAMES}
    routes = [route for _, route in ports.values()]
    servers: dict = {}
    try:
        for name, (port, route) in ports.items():
            store = tmp_path / name
            config = server_config(port, store, pki.server(), users(PROVINCES),
                                   cluster=Cluster("xueji", name, route, routes))  # fmt: skip
            path = write_server_config(tmp_path / f"{name}.conf", config)
            servers[name] = (port, start_nats(port, store, config=path))
        yield servers
    finally:
        for _, process in servers.values():
            stop(process)


async def _until(check, timeout: float = 30.0):
    """`check()`'s first answer that does not raise (a cluster electing a leader)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _publish(js, sequence: int) -> None:
    """One event of 44, with the message id the outbox gives it (a retry is deduplicated)."""
    subject = subjects.province_event("44", "student", "registered")
    headers = {"Nats-Msg-Id": f"province-44:{sequence}"}
    await _until(lambda: js.publish(subject, str(sequence).encode(), headers=headers, timeout=2))


async def test_a_killed_stream_leader_loses_no_acknowledged_event(cluster) -> None:
    pki = session_pki()
    url = ",".join(f"nats://127.0.0.1:{port}" for port, _ in cluster.values())
    hub = await bus.connect(url, subjects.HUB_CLIENT, pki.client(subjects.HUB_CLIENT))
    province = await bus.connect(url, subjects.province_client("44"),
                                 pki.client(subjects.province_client("44")))  # fmt: skip
    try:
        await _until(lambda: bus.ensure_stream(hub, STREAM, [subjects.province_events("44")], 3))
        info = await hub.jetstream().stream_info(STREAM)
        assert info.config.num_replicas == 3 and len(info.cluster.replicas) == 2
        js = province.jetstream()
        for sequence in range(1, 11):
            await _publish(js, sequence)

        leader = (await hub.jetstream().stream_info(STREAM)).cluster.leader
        os.killpg(cluster[leader][1].pid, signal.SIGKILL)  # not stopped: killed
        cluster[leader][1].wait()
        for sequence in range(11, 21):
            await _publish(js, sequence)
        await _publish(js, 15)  # a retry of an acknowledged one: the duplicate window drops it

        async def new_leader():
            found = (await hub.jetstream().stream_info(STREAM)).cluster.leader
            assert found not in (None, leader)
            return found

        await _until(new_leader)
        consumer = ConsumerConfig(durable_name="hub", ack_policy="explicit")
        events = subjects.province_events("44")
        sub = await _until(lambda: hub.jetstream().pull_subscribe(
            events, durable="hub", stream=STREAM, config=consumer))  # fmt: skip
        read: list[int] = []
        while len(read) < 20:
            for msg in await _until(lambda: sub.fetch(20, timeout=2)):
                read.append(int(msg.data))
                await msg.ack()
        assert read == list(range(1, 21))
        assert (await hub.jetstream().stream_info(STREAM)).state.messages == 20
    finally:
        await province.close()
        await hub.close()
