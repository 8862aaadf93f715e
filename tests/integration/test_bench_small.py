"""Every benchmark of `simulations/bench/` runs end to end at a small size in `make test`, so
none rots (issue 19). Never a timed test: only that each runs and prints its figures next to
the raw limit it measured in the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulations.bench import chain, outbox, query, replay, transfer


@pytest.mark.parametrize(
    ("bench", "args", "limit"),
    [
        (outbox.main, (200,), "raw"),
        (transfer.main, (4,), "raw"),
        (chain.main, (50,), "plain eventsourcing"),  # the A/B: the same store without chain
        (replay.main, (2_000,), "raw"),
        (query.main, (300, 2), "raw"),
    ],
    ids=["outbox", "transfer", "chain", "replay", "query"],
)
def test_bench_runs_small(bench, args, limit, tmp_path: Path, capsys) -> None:
    bench(*args, tmp_path)
    printed = capsys.readouterr().out
    assert limit in printed.lower(), printed
