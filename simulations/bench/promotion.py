"""`xueji bench promotion`: the GRD-3 promotion job over a province of N students.

Seeds a province store (simulations/bench/seed.py, the short flow: 3 events per student) on
2026-11-22, opens the node's school-year ledger then, moves the clock to 2027-08-11 and runs
the real job (`PromotionService.run`: batches of 500 records, each batch's `Promoted` events
and the job's position in one transaction). Next to it, in the same run (NFR-2): a raw
sqlite3 scan of the same events table.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime
from pathlib import Path

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.promotions import PromotionService
from simulations.bench import raw
from simulations.bench.seed import seed
from xueji.clock import SHANGHAI, FixedClock
from xueji.store import Writer, sqlite_url, store_env


def main(students: int, work: Path) -> None:
    _report(asyncio.run(run(students, work)))


async def run(students: int, work: Path) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "prov44.sqlite"
    writer = Writer("bench-promotion")
    node = await writer(ProvinceNode, "44", store_env(sqlite_url(path)))
    await writer(seed, node, students, False)
    clock = FixedClock(datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI))
    promotions = PromotionService(node, writer, clock)
    await promotions.open_ledger()
    clock.set(datetime(2027, 8, 11, 0, 1, tzinfo=SHANGHAI))
    meta = CommandMeta.new("bench", "44", "sysadmin")
    started = time.perf_counter()
    result = await promotions.run(meta)
    seconds = time.perf_counter() - started
    again_started = time.perf_counter()
    again = await promotions.run(meta)  # run twice = once
    again_seconds = time.perf_counter() - again_started
    events = float(await writer(node.recorder.max_notification_id))
    writer.shutdown()
    node.close()
    return {
        "students": float(students),
        "records": float(result["records"]),
        "promoted": float(result["promoted"]),
        "stayed": float(result["stayed"]),
        "seconds": seconds,
        "records_per_s": result["records"] / seconds,
        "repeat_changed": float(again["promoted"] != result["promoted"]),
        "repeat_seconds": again_seconds,
        "log_events": events,
        "raw_scan_per_s": raw.sqlite_scan(path, "prov44_events"),
    }


def _report(f: dict[str, float]) -> None:
    print(f"promotion of {f['students']:,.0f} students ({f['log_events']:,.0f} events in the log)")
    print(f"  records walked: {f['records']:,.0f}; moved up {f['promoted']:,.0f}, "
          f"stayed {f['stayed']:,.0f}")  # fmt: skip
    print(f"  {f['seconds']:.1f} s = {f['records_per_s']:,.0f} records/s")
    print(f"  run again: {f['repeat_seconds']:.2f} s, changed nothing: {not f['repeat_changed']}")
    print(f"raw sqlite3 scan of the same table: {f['raw_scan_per_s']:,.0f} rows/s")
    print(f"ratio to raw scan: {f['records_per_s'] / f['raw_scan_per_s']:.4f}")
