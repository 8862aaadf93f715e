"""`xueji bench query`: p95 of the students query endpoints on a province of 200,000 students.

Seeds the store (3 events per student: submitted, student created, `Student.Registered`),
builds the views, starts the real node app (its lifespan, demo accounts; no NATS needed for
queries) and sends each query shape `requests` times over ASGI as a province and a county
registrar. The raw limit: the same page + count SQL run directly with sqlite3, same run.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

import httpx

from province_node.application import ProvinceNode
from province_node.bootstrap import create_app
from province_node.settings import NodeSettings
from province_node.views.node import node_views
from simulations.bench import raw
from simulations.bench.seed import seed
from simulations.demo import DEMO, DEMO_PASSWORD
from xueji.processes import free_port, start_nats, stop
from xueji.store import sqlite_url, store_env

PROVINCE, COUNTY = "440000_registrar", "440106_registrar"
#: (name, user, path, params): the shapes a registrar uses most.
SHAPES = [
    ("list, province, page 1", PROVINCE, "/api/v1/students", {}),
    ("list, county", COUNTY, "/api/v1/students", {}),
    ("list, name contains", PROVINCE, "/api/v1/students", {"name": "王芳"}),
    ("list, 2 custom conditions", PROVINCE, "/api/v1/students",
     {"cond": ["ethnicity:eq:02", "sex:eq:1"]}),
    ("list, sorted by birth date, page 50", PROVINCE, "/api/v1/students",
     {"sort": "-birth_date", "page": 50}),
    ("list, one grade of a school", COUNTY, "/api/v1/students",
     {"school_code": "3440106002", "grade": "初中2025级"}),
    ("info (QRY-2), county", COUNTY, "/api/v1/students/info", {}),
    ("statistics by region", PROVINCE, "/api/v1/statistics/students", {"by": "region"}),
]  # fmt: skip
RAW_SQL = [
    "SELECT * FROM prov44_v_students WHERE status IN ('在校') "
    "ORDER BY student_number, student_id LIMIT 20",
    "SELECT count(*) FROM prov44_v_students WHERE status IN ('在校')",
]


def main(students: int, requests: int, work: Path) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    figures = run(students, requests, work)
    for name, value in figures.items():
        print(f"{name}: {value:,.1f}")


def run(students: int, requests: int, work: Path) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    store, views_store = work / "prov44.sqlite", work / "prov44_views.sqlite"
    node = ProvinceNode("44", store_env(sqlite_url(store)))
    figures = {"students": float(students), "log_events": float(seed(node, students, full=False))}
    views = node_views(node, sqlite_url(views_store))
    started = time.perf_counter()
    for name in views.projectors:
        views.rebuild(name)
    figures["views_built_s"] = time.perf_counter() - started
    views.close()
    node.close()
    port = free_port()
    nats = start_nats(port, work / "nats")
    try:
        settings = NodeSettings(
            province="44", db_url=sqlite_url(store), nats_url=f"nats://127.0.0.1:{port}"
        )
        figures |= asyncio.run(_measure(settings, requests))
    finally:
        stop(nats)
    figures["raw_sqlite_page_and_count_p95_ms"] = raw.sqlite_query_p95(views_store, RAW_SQL, 50)
    return figures


async def _measure(settings: NodeSettings, requests: int) -> dict[str, float]:
    app = create_app(settings, seed=DEMO)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            tokens = {u: await _login(client, u) for u in (PROVINCE, COUNTY)}
            every: list[float] = []
            figures = {}
            for name, user, path, params in SHAPES:
                headers = {"Authorization": f"Bearer {tokens[user]}"}
                samples = await _time(client, path, params, headers, requests)
                figures[f"{name}: p95 ms"] = _p95(samples)
                every += samples
            figures["all shapes: p50 ms"] = sorted(every)[len(every) // 2]
            figures["all shapes: p95 ms"] = _p95(every)
    return figures


async def _login(client: httpx.AsyncClient, username: str) -> str:
    body = {"username": username, "password": DEMO_PASSWORD}
    response = await client.post("/api/v1/auth/login", json=body)
    response.raise_for_status()
    return response.json()["access_token"]


async def _time(client, path: str, params: dict, headers: dict, count: int) -> list[float]:
    samples = []
    for index in range(count + 3):  # three warm-ups
        started = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        if index >= 3:
            samples.append(elapsed)
    return samples


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]
