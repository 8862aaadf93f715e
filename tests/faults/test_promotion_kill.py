"""GRD-3: the promotion job SIGKILLed mid-run finishes exactly once when run again.

The store is seeded (600 students, 2026-11-22) and its ledger opened in school year 2026; the
job then runs in its own process with the business clock past Aug 10 2027, 50 records a
batch, and dies (SIGKILL, `xueji.faults`) at a named point in its third batch — before the
batch's commit, or after it. A second run finishes; every student who should move has
exactly one `Promoted` event, nobody has two, and the job's counts add up.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from province_node.application import ProvinceNode
from province_node.domain.promotion import SchoolYearLedger
from simulations.bench.seed import seed
from xueji.faults import ENV_VAR, MARK
from xueji.store import sqlite_url, store_env

STUDENTS, BATCH = 600, 50


def _seeded(path: Path) -> str:
    url = sqlite_url(path)
    node = ProvinceNode("44", store_env(url))
    seed(node, STUDENTS, full=False)
    node.save(SchoolYearLedger(province="44", school_year=2026))
    node.close()
    return url


def _run(url: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ | ({ENV_VAR: kill_at} if kill_at else {})
    command = [sys.executable, "-m", "tests.faults.promotion_run", url, str(BATCH)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def _promoted(path: Path) -> Counter:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT originator_id FROM prov44_events WHERE topic LIKE '%Student.Promoted'"
        )
        return Counter(r[0] for r in rows)


@pytest.mark.parametrize(
    "point", ["node.promotion.before_batch_commit", "node.promotion.after_batch_commit"]
)
def test_grd3_promotion_killed_mid_run_finishes_exactly_once(tmp_path, point) -> None:
    path = tmp_path / "prov44.sqlite"
    url = _seeded(path)
    killed = _run(url, f"{point}:3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert f"{MARK} {point}" in killed.stderr
    stored = _promoted(path)
    assert stored and max(stored.values()) == 1  # some batches landed, each once
    finished = _run(url)
    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert (result["status"], result["records"]) == ("finished", STUDENTS)
    promoted = _promoted(path)
    assert max(promoted.values()) == 1  # nobody twice
    assert len(promoted) == result["promoted"] and 0 < result["promoted"] < STUDENTS
    again = _run(url)
    assert json.loads(again.stdout.strip().splitlines()[-1]) == result  # run twice = once
    assert _promoted(path) == promoted
    assert datetime.fromisoformat(result["finished_at"]).year == 2027
