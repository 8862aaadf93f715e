"""`xueji bench chain`: what the hash chain (AUD-4) costs, A/B in one run.

Two province nodes on their own SQLite files, one with plain eventsourcing-sqlalchemy, one
with the chained recorders (xueji/chained_store.py). Registrations (submit, approve, report: three
transactions, six events) go to each in alternating rounds, so a busy neighbour on the
machine slows both alike. Then `verify-log` walks the chained store and `audit` reads it.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.schools import load_schools
from simulations.bench.outbox import TODAY, _register_and_approve, _valid
from simulations.demo import demo_schools
from xueji.audit import Query, investigate
from xueji.eventlog import open_recorder, read_log
from xueji.store import sqlite_url, store_env
from xueji.verify import verify_log

ROUNDS = 30


def main(events: int, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    urls = {kind: sqlite_url(work / f"{kind}.sqlite") for kind in ("plain", "chained")}
    nodes = {kind: ProvinceNode("44", _env(kind, url)) for kind, url in urls.items()}
    meta = CommandMeta.new("bench", "44", "registrar")
    for node in nodes.values():
        load_schools(node, demo_schools("44", TODAY), meta)
    spent = dict.fromkeys(nodes, 0.0)
    ratios = []  # per round: a neighbour's burst of load hits one round, not the median
    forms = [_valid(i) for i in range(events)]
    per_round = max(1, events // ROUNDS)
    for start in range(0, events, per_round):
        took = {}
        for kind, node in nodes.items():
            began = time.perf_counter()
            for valid in forms[start : start + per_round]:
                _register_and_approve(node, valid)
            took[kind] = time.perf_counter() - began
            spent[kind] += took[kind]
        ratios.append(took["chained"] / took["plain"])
    _report(events, spent, statistics.median(ratios), urls["chained"])


def _env(kind: str, url: str) -> dict[str, str]:
    env = store_env(url)
    if kind == "plain":
        env["PERSISTENCE_MODULE"] = "eventsourcing_sqlalchemy"
    return env


def _report(events: int, spent: dict[str, float], median: float, chained_url: str) -> None:
    plain, chained = events / spent["plain"], events / spent["chained"]
    began = time.perf_counter()
    verdict = verify_log(chained_url)
    walked = verdict.checked / (time.perf_counter() - began)
    began = time.perf_counter()
    _, recorder = open_recorder(chained_url)
    query = Query("unit", "3440106002")
    found = sum(1 for _ in investigate(lambda: read_log(recorder), query))
    audited = verdict.checked / (time.perf_counter() - began)
    print(f"xueji bench chain — {events} registrations (3 commits each) per store")
    print(f"  plain eventsourcing-sqlalchemy   {plain:>8,.0f} registrations/s")
    print(f"  hash-chained (chained_store)    {chained:>8,.0f} registrations/s")
    print(f"  chain cost, totals               {(plain / chained - 1) * 100:>8.1f} % per commit")
    print(f"  chain cost, median of rounds     {(median - 1) * 100:>8.1f} % per commit")
    print(f"  verify-log walk                  {walked:>8,.0f} events/s ({verdict.checked} events)")
    print(f"  audit unit (whole log read)      {audited:>8,.0f} events/s ({found} lines)")
