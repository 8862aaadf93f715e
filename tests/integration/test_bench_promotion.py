"""The promotion benchmark runs (small), so its figures in docs/benchmarks.md stay reproducible."""

from __future__ import annotations

from simulations.bench.promotion import run


async def test_grd3_bench_promotion_walks_every_record_once(tmp_path) -> None:
    figures = await run(300, tmp_path / "bench")
    assert figures["records"] == 300
    assert 0 < figures["promoted"] < 300 and figures["stayed"] > 0  # graduating grades stay
    assert figures["repeat_changed"] == 0  # run twice = once
