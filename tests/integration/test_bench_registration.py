"""The registration benchmark runs end to end on a small index (never a timed test)."""

from __future__ import annotations

from pathlib import Path

from simulations.bench.registration import run


def test_bench_registration_runs_small(tmp_path: Path) -> None:
    figures = run(identities=2000, rows=50, work=tmp_path)
    rates = ["raw_sqlite_bulk", "seeded_per_s", "raw_rr_per_s", "raw_rtt_ms", "import_rows_per_s"]
    assert all(figures[name] > 0 for name in rates), figures
    assert (figures["rows"], figures["done"]) == (50, 50)
