"""`xueji bench transfer`: complete cross-province transfers per second through the node APIs.

A hub and three province nodes on one real nats-server, in one process over ASGI. N students
are registered in 44 and 37; then N transfers into 34 run concurrently, each: initiate → four
decisions (two provinces) → archive pull → completed. Also measured: how long after a
decision in province 34 the case shows in the pending list of the out-school in 44/37, and,
in the same run, raw nats-py request/reply latency.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import statistics
import time
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path

import httpx

from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings
from simulations.bench import raw
from simulations.demo import DEMO, DEMO_PASSWORD, school_code
from simulations.population import person
from simulations.registry import PopulationRegistry
from xueji.bus import Bus
from xueji.clock import SHANGHAI, FixedClock
from xueji.processes import free_port, start_nats, stop
from xueji.store import sqlite_url

PROVINCES = ["34", "37", "44"]
IN_SCHOOL = school_code("340104", 2)
OUT_SCHOOLS = {"44": school_code("440106", 2), "37": school_code("370102", 2)}
CONCURRENCY = 16
#: Transfers run one at a time first, to time decision → pending-list visibility.
PROBES = 50


def main(transfers: int, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = free_port()
    server = start_nats(port, work / "nats")
    try:
        figures = asyncio.run(_measure(transfers, work, f"nats://127.0.0.1:{port}"))
    finally:
        stop(server)
    _report(transfers, figures)


class Users:
    """Logged-in demo users of one service (tokens cached)."""

    def __init__(self, app) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node", timeout=60
        )
        self.tokens: dict[str, str] = {}
        self._login = asyncio.Lock()  # one session per account: log each user in once

    async def call(self, method: str, path: str, user: str, **kwargs) -> dict:
        async with self._login:
            if user not in self.tokens:
                login = await self.client.post(
                    "/api/v1/auth/login", json={"username": user, "password": DEMO_PASSWORD}
                )
                self.tokens[user] = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} as {user}: {response.text}")
        return response.json()


async def _measure(transfers: int, work: Path, url: str) -> dict:
    samples = await raw.request_reply_samples(url, 5_000)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    clock = FixedClock(datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))
    apps = {"hub": create_hub(_hub_settings(work, url), clock=clock, seed=DEMO)}
    for province in PROVINCES:
        apps[province] = create_node(_node_settings(work, url, province), clock=clock, seed=DEMO)
    registry = PopulationRegistry.seeded(list(OUT_SCHOOLS), transfers + PROBES)
    async with AsyncExitStack() as stack:
        registry_bus = Bus(url, "registry", on_connect=[registry.serve])
        registry_bus.start()
        stack.push_async_callback(registry_bus.close)
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        while not all(app.state.runtime.bus.connected for app in apps.values()):
            await asyncio.sleep(0.05)
        users = {name: Users(app) for name, app in apps.items()}
        students = await _register(users, transfers + PROBES)
        await _log_in_deciders(users)  # an argon2 login is not part of a decision's latency
        gate = asyncio.Semaphore(1)  # latency first, one at a time: nothing queues in front
        visible = [await _transfer(users, s, gate) for s in students[:PROBES]]
        started = time.perf_counter()
        gate = asyncio.Semaphore(CONCURRENCY)
        await asyncio.gather(*(_transfer(users, s, gate) for s in students[PROBES:]))
        elapsed = time.perf_counter() - started
    return {
        "transfers_per_s": transfers / elapsed,
        "seconds": elapsed,
        "visible": sorted(visible),
        "raw": samples,
    }


async def _register(users: dict[str, Users], count: int) -> list[tuple[str, str, str]]:
    """`count` enrolled students, alternating between 44 and 37: (province, number, name)."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> tuple[str, str, str]:
        province = "44" if index % 2 == 0 else "37"
        school = OUT_SCHOOLS[province]
        someone = person(province, index)
        body = {
            "entry": "non_primary",
            "id_type": "1",
            "id_number": someone.id_number,
            "name": someone.name,
            "school_code": school,
            "class_code": "2026201",
        }
        async with gate:
            node = users[province]
            made = await node.call(
                "POST", "/api/v1/registrations", f"{school}_registrar", json=body
            )
            path = f"/api/v1/registrations/{made['id']}"
            decision = {"approve": True, "opinion": "同意"}
            await node.call("POST", f"{path}/decisions", f"{school}_approver", json=decision)
            await node.call(
                "POST",
                "/api/v1/registrations/report",
                f"{school}_registrar",
                json={"ids": [made["id"]]},
            )
            county = school[1:7]
            done = await node.call(
                "POST", f"{path}/decisions", f"{county}_registrar", json=decision
            )
        return province, done["student_number"], someone.name

    students = await asyncio.gather(*(one(i) for i in range(count)))
    await _until_indexed(users["hub"], students)
    return students


async def _log_in_deciders(users: dict[str, Users]) -> None:
    deciders = [("34", f"{IN_SCHOOL}_approver"), ("34", "340104_registrar")]
    for province, school in OUT_SCHOOLS.items():
        deciders += [(province, f"{school}_approver"), (province, f"{school[1:7]}_registrar")]
    for province, user in deciders:
        await users[province].call("GET", "/api/v1/transfers/pending", user)


async def _until_indexed(hub: Users, students: list[tuple[str, str, str]]) -> None:
    """The national index knows each student once the node's event reached the hub."""
    runtime = hub.client._transport.app.state.runtime
    for _, number, _ in students:
        while await runtime.writer(runtime.hub.by_number, number) is None:
            await asyncio.sleep(0.05)


async def _transfer(users: dict[str, Users], student: tuple, gate: asyncio.Semaphore) -> float:
    """One complete transfer; returns the 34 → out-province pending-list visibility (s)."""
    province, number, name = student
    out_school = OUT_SCHOOLS[province]
    registrar = f"{IN_SCHOOL}_registrar"
    async with gate:
        body = {
            "student_name": name,
            "student_number": number,
            "target_class_code": "2026201",
            "reason": "随父母工作调动",
        }
        case = await users["34"].call("POST", "/api/v1/transfers", registrar, json=body)
        path = f"/api/v1/transfers/{case['id']}"
        decision = {"approve": True, "opinion": "同意"}
        await users["34"].call("POST", f"{path}/decisions", f"{IN_SCHOOL}_approver", json=decision)
        sent = time.perf_counter()
        await users["34"].call("POST", f"{path}/decisions", "340104_registrar", json=decision)
        visible = await _until_pending(users[province], f"{out_school}_approver", case["id"]) - sent
        await users[province].call(
            "POST", f"{path}/decisions", f"{out_school}_approver", json=decision
        )
        await users[province].call(
            "POST", f"{path}/decisions", f"{out_school[1:7]}_registrar", json=decision
        )
        await users["34"].call("POST", f"{path}/archive-pull", registrar)
    while (await users["34"].call("GET", path, registrar))["status"] != "completed":
        await asyncio.sleep(0.05)
    return visible


async def _until_pending(node: Users, user: str, case_id: str) -> float:
    while True:
        listed = await node.call("GET", "/api/v1/transfers/pending", user)
        if any(item["id"] == case_id for item in listed["items"]):
            return time.perf_counter()
        await asyncio.sleep(0.001)


def _hub_settings(work: Path, url: str) -> HubSettings:
    return HubSettings(
        db_url=sqlite_url(work / "hub.sqlite"),
        nats_url=url,
        provinces=PROVINCES,
        outbox_poll_seconds=0.05,
    )


def _node_settings(work: Path, url: str, province: str) -> NodeSettings:
    return NodeSettings(
        province=province,
        db_url=sqlite_url(work / f"prov{province}.sqlite"),
        nats_url=url,
        outbox_poll_seconds=0.05,
        blobs_dir=work / "blobs" / province,
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _report(transfers: int, f: dict) -> None:
    raw_p50, raw_p99 = _percentile(f["raw"], 0.5) * 1000, _percentile(f["raw"], 0.99) * 1000
    vis_p50, vis_p99 = _percentile(f["visible"], 0.5) * 1000, _percentile(f["visible"], 0.99) * 1000
    print(
        f"xueji bench transfer — {transfers} complete transfers (44/37 → 34), {CONCURRENCY} at once"
    )
    print(f"  raw nats-py request/reply         p50 {raw_p50:7.3f} ms   p99 {raw_p99:7.3f} ms")
    print(
        f"  decision in 34 → pending in 44/37 p50 {vis_p50:7.3f} ms   p99 {vis_p99:7.3f} ms"
        f"   ratio p50 {vis_p50 / raw_p50:.1f}× raw, p99 {vis_p99 / raw_p99:.1f}× raw"
    )
    print(
        f"  complete transfers                {f['transfers_per_s']:7.2f} /s"
        f"   ({f['seconds']:.1f} s; each: initiate, 4 decisions, pull, then completion)"
    )
    print(f"  mean visibility {statistics.mean(f['visible']) * 1000:.1f} ms")
