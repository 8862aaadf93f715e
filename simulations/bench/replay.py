"""`xueji bench replay`: rebuild every view of a province from a log of ≥ 1,000,000 events.

Seeds a province store (simulations/bench/seed.py: 11 events per student, the registration
flow's), drops and rebuilds every view of the node (AUD-3) timing the whole, then scans the
same events table raw with sqlite3 in the same run (NFR-2) and prints the ratio.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

from province_node.application import ProvinceNode
from province_node.views.node import node_views
from simulations.bench import raw
from simulations.bench.seed import seed
from xueji.store import sqlite_url, store_env

EVENTS_PER_STUDENT = 11


def main(events: int, work: Path) -> None:
    _report(run(events, work))


def run(events: int, work: Path) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    node = ProvinceNode("44", store_env(sqlite_url(work / "prov44.sqlite")))
    started = time.perf_counter()
    seed(node, math.ceil(events / EVENTS_PER_STUDENT))
    figures = {"seeded_per_s": 0.0, "log_events": float(node.recorder.max_notification_id())}
    figures["seeded_per_s"] = figures["log_events"] / (time.perf_counter() - started)
    views = node_views(node, sqlite_url(work / "prov44_views.sqlite"))
    started = time.perf_counter()
    for name in views.projectors:
        view_started = time.perf_counter()
        figures[f"events_{name}"] = views.rebuild(name)
        figures[f"seconds_{name}"] = time.perf_counter() - view_started
    figures["replay_seconds"] = time.perf_counter() - started
    figures["replay_per_s"] = figures["log_events"] / figures["replay_seconds"]
    views.close()
    node.close()
    figures["raw_scan_per_s"] = raw.sqlite_scan(work / "prov44.sqlite", "prov44_events")
    figures["raw_decode_per_s"] = raw.sqlite_scan(
        work / "prov44.sqlite", "prov44_events", decode=True
    )
    return figures


def _report(f: dict[str, float]) -> None:
    print(f"log: {f['log_events']:,.0f} events (seeded at {f['seeded_per_s']:,.0f} events/s)")
    for key in (k for k in f if k.startswith("events_")):
        name = key.removeprefix("events_")
        print(f"  view {name}: {f[key]:,.0f} of its events in {f[f'seconds_{name}']:.1f} s")
    print(f"rebuild of every view: {f['replay_seconds']:.1f} s = {f['replay_per_s']:,.0f} events/s")
    print(f"raw sqlite3 scan of the same table: {f['raw_scan_per_s']:,.0f} rows/s")
    print(f"raw scan + json.loads of each state: {f['raw_decode_per_s']:,.0f} rows/s")
    print(f"ratio to raw scan: {f['replay_per_s'] / f['raw_scan_per_s']:.3f}")
    print(f"ratio to raw scan + decode: {f['replay_per_s'] / f['raw_decode_per_s']:.3f}")
