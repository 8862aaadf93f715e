"""`xueji bench registration`: Excel import rows/s against a national index of M identities.

Seeds the hub's national identity index (REG-5) with M `NationalIdentity` aggregates of
other provinces, starts a real nats-server, the hub and the population-registry stand-in as
their own processes (`xueji hub`, `xueji registry`, as `xueji up` runs them) and province
node 44 in this process, then uploads an N-row Excel (REG-4) to a primary school of 44 and
times it from upload to done: every row is authenticated (registry round trip), claimed on
the hub (dedup round trip) and stored. Reports it next to raw limits measured in the same run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import httpx
import nats
from fastapi import FastAPI
from nats.errors import NoRespondersError

import xueji
from contracts import subjects
from contracts.ids import IdGroup, mod11_2_check_char
from contracts.meta import CommandMeta
from contracts.regions import children
from hub.application import NationalHub
from hub.domain.identity import NationalIdentity
from province_node.bootstrap import create_app as create_node
from province_node.excel.templates import build_template
from province_node.settings import NodeSettings
from simulations.bench import raw
from simulations.demo import DEMO, DEMO_PASSWORD, school_code
from simulations.excel import filled
from simulations.population import person
from xueji.clock import SHANGHAI, FixedClock
from xueji.processes import free_port, spawn_service, start_nats, stop, wait_healthy
from xueji.store import sqlite_url, store_env

NOW = datetime(2026, 11, 22, 10, tzinfo=SHANGHAI)
SCHOOL = school_code("440106", 1)  # a primary school of 44 with class 2026101
SEED_BATCH = 2_000
SEED_PROVINCES = ("34", "37")  # the index holds other provinces' students: no collision
_NS = uuid5(NAMESPACE_URL, "xueji:bench:registration")


def main(identities: int, rows: int, work: Path) -> None:
    _report(identities, rows, run(identities, rows, work))


def run(identities: int, rows: int, work: Path) -> dict[str, float]:
    """The figures of one run (rates in /s, RTT in ms, counts of rows)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures = {"raw_sqlite_bulk": raw.sqlite_bulk_inserts(work / "raw.sqlite", max(rows, 100_000))}
    figures["seeded_per_s"] = seed_identities(work / "hub.sqlite", identities)
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    nats_server = start_nats(port, work / "nats", work / "nats.log")
    services: list[subprocess.Popen] = []
    try:
        figures |= asyncio.run(_raw_request_reply(url))
        hub_port = free_port()
        env = _service_env(url, work)
        services.append(
            spawn_service(
                ["registry", "--provinces", "44", "--people", str(rows)], env, work / "registry.log"
            )
        )
        services.append(spawn_service(["hub", "--port", str(hub_port)], env, work / "hub.log"))
        wait_healthy(f"http://127.0.0.1:{hub_port}/healthz", services[1])
        figures |= asyncio.run(_measure(rows, work, url, services[0]))
    finally:
        for service in services:
            stop(service)
        stop(nats_server)
    return figures


def _service_env(url: str, work: Path) -> dict[str, str]:
    """The hub's and the registry's XUEJI_* settings; they run this checkout's code."""
    root = str(Path(xueji.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "XUEJI_NATS_URL": url,
        "XUEJI_VAR_DIR": str(work),
        "XUEJI_DB_URL": sqlite_url(work / "hub.sqlite"),  # the seeded index
        "XUEJI_PROVINCES": "44",
    }


# --- the national index ----------------------------------------------------------------------


def seed_identities(path: Path, count: int) -> float:
    """Saves `count` claimed identities, SEED_BATCH per transaction; returns identities/s."""
    hub = NationalHub(store_env(sqlite_url(path)))
    regions = [
        c.code for p in SEED_PROVINCES for city in children(f"{p}0000") for c in children(city.code)
    ]
    meta = CommandMeta.new("bench", SEED_PROVINCES[0], "registrar").as_dict()
    started = time.perf_counter()
    for first in range(0, count, SEED_BATCH):
        batch = [_identity(i, regions, meta) for i in range(first, min(first + SEED_BATCH, count))]
        hub.save(*batch)
        if (first + len(batch)) % 100_000 == 0:
            rate = (first + len(batch)) / (time.perf_counter() - started)
            print(f"  seeded {first + len(batch):>9,} identities ({rate:,.0f} /s)", flush=True)
    elapsed = time.perf_counter() - started
    hub.close()
    return count / elapsed if count else 0.0


def _identity(index: int, regions: list[str], meta: dict) -> NationalIdentity:
    """The index-th distinct valid resident of another province, held by some registration."""
    region = regions[index % len(regions)]
    rest = index // len(regions)
    born = date(2010, 1, 1) + timedelta(days=rest % 3650)
    body = f"{region}{born:%Y%m%d}{rest // 3650 % 1000:03d}"
    number = body + mod11_2_check_char(body)
    return NationalIdentity(
        dedup_key=f"id:{number}",
        province=region[:2],
        registration_id=str(uuid5(_NS, number)),
        id_type="1",
        id_number=number,
        name="测试学生",
        sex="1" if int(body[-1]) % 2 else "2",
        birth_date=born,
        school_code=school_code(region, 1),
        meta=meta,
    )


# --- the import ------------------------------------------------------------------------------


async def _raw_request_reply(url: str) -> dict[str, float]:
    rate, rtt_ms = await raw.request_reply(url, 5_000)
    return {"raw_rr_per_s": rate, "raw_rtt_ms": rtt_ms}


async def _measure(rows: int, work: Path, url: str, registry: subprocess.Popen) -> dict[str, float]:
    await _until_registry_answers(url, registry)
    node_app = create_node(
        NodeSettings(
            province="44", db_url=sqlite_url(work / "prov44.sqlite"), nats_url=url, var_dir=work
        ),
        clock=FixedClock(NOW),
        seed=DEMO,
    )
    async with node_app.router.lifespan_context(node_app):
        await _until_connected(node_app)
        return await _import(node_app, _excel(rows))


async def _until_registry_answers(url: str, registry: subprocess.Popen) -> None:
    """The registry process has no HTTP: up once it answers a request (here with an error)."""
    nc = await nats.connect(url)
    try:
        deadline = time.monotonic() + 60
        while True:
            if registry.poll() is not None:
                raise RuntimeError(f"the registry exited with {registry.returncode}")
            try:
                await nc.request(subjects.POP_AUTHENTICATE_BATCH, b"{}", timeout=1)
                return
            except (NoRespondersError, TimeoutError):
                if time.monotonic() > deadline:
                    raise TimeoutError("the registry did not answer on NATS") from None
                await asyncio.sleep(0.1)
    finally:
        await nc.close()


async def _until_connected(*apps: FastAPI) -> None:
    deadline = time.monotonic() + 30
    while not all(app.state.runtime.bus.connected for app in apps):
        if time.monotonic() > deadline:
            raise TimeoutError("services did not connect to NATS")
        await asyncio.sleep(0.05)


def _excel(rows: int) -> bytes:
    people = (person("44", index) for index in range(rows))
    cells = [
        {
            "姓名": p.name,
            "身份证件类型": "1-居民身份证",
            "身份证件号": p.id_number,
            "民族": "01-汉族",
            "班号": "2026101",
        }
        for p in people
    ]
    return filled(build_template(IdGroup.RESIDENT, "primary"), cells)


async def _import(node_app: FastAPI, data: bytes) -> dict[str, float]:
    """Uploads the file as the school registrar; times it from upload to done."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's lines, not the node's
    transport = httpx.ASGITransport(app=node_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"username": f"{SCHOOL}_registrar", "password": DEMO_PASSWORD},
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/registrations/import",
            files={"file": ("新生.xlsx", data)},
            data={"entry": "primary", "id_group": "resident"},
        )
        response.raise_for_status()
        record = await _until_done(client, response.json())
        elapsed = time.perf_counter() - started
    return {
        "import_rows_per_s": record["rows"] / elapsed,
        "import_seconds": elapsed,
        "rows": record["rows"],
        "done": record["done"],
        "passed": record["passed"],
        "failed": record["failed"],
    }


async def _until_done(client: httpx.AsyncClient, record: dict) -> dict:
    while record["result"] == "待处理":
        await asyncio.sleep(0.2)
        response = await client.get(f"/api/v1/registrations/imports/{record['file_id']}")
        response.raise_for_status()
        record = response.json()
    return record


def _report(identities: int, rows: int, f: dict[str, float]) -> None:
    bulk, rate = f["raw_sqlite_bulk"], f["import_rows_per_s"]
    print(f"xueji bench registration — {rows:,} rows, {identities:,} identities in the index")
    print("  (hub and registry in their own processes, node 44 in this one)")
    print(f"  raw SQLite bulk insert (1 txn)    {bulk:>10,.0f} rows/s")
    print(
        f"  index seeded ({SEED_BATCH:,}/txn)        {f['seeded_per_s']:>10,.0f} /s"
        f"   ratio {f['seeded_per_s'] / bulk:.3f}"
    )
    print(
        f"  raw NATS request/reply            {f['raw_rr_per_s']:>10,.0f} /s"
        f"   (p50 {f['raw_rtt_ms']:.3f} ms)"
    )
    print(
        f"  import (upload → done)            {rate:>10,.0f} rows/s"
        f"   ratio {rate / bulk:.4f} of bulk, {rate / f['raw_rr_per_s']:.3f} of request/reply"
    )
    print(
        f"  rows {f['rows']:.0f}: done {f['done']:.0f}, passed {f['passed']:.0f},"
        f" failed {f['failed']:.0f}, {f['import_seconds']:.1f} s"
    )
