"""NFR-4: a fault point does nothing unless armed, and then kills its process for real."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.faults.points import REGISTRATION, TRANSFER
from xueji.faults import ENV_VAR, MARK

ROOT = Path(__file__).parents[2]

PROGRAM = """
from xueji.faults import fault_point
for n in range(1, 4):
    print("pass", n, flush=True)
    fault_point("test.loop")
fault_point("test.after")
print("done", flush=True)
"""


def _run(kill_at: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if kill_at is not None:
        env[ENV_VAR] = kill_at
    return subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=30
    )


def test_nfr4_fault_point_not_armed_does_nothing() -> None:
    run = _run(None)
    assert run.returncode == 0 and run.stdout.endswith("done\n")
    assert _run("other.point").returncode == 0


def test_nfr4_fault_point_armed_sigkills_on_its_pass() -> None:
    first = _run("test.loop")
    assert first.returncode == -signal.SIGKILL
    assert first.stdout == "pass 1\n" and f"{MARK} test.loop" in first.stderr
    third = _run("nothing.here, test.loop:3")
    assert third.returncode == -signal.SIGKILL and third.stdout.count("pass") == 3
    after = _run("test.loop:4,test.after")  # the loop never reaches pass 4
    assert after.returncode == -signal.SIGKILL and f"{MARK} test.after" in after.stderr


def test_nfr4_every_fault_point_is_armed_by_a_test_and_documented() -> None:
    """The matrix has at least 20 distinct points (issue 17 item 7); every point it arms
    and every point the code names literally is listed in docs/faults.md, and each of the
    latter is armed by some test (a point nothing kills at is dead weight)."""
    armed = {point.partition(":")[0] for _, point in REGISTRATION + TRANSFER}
    assert len(armed) >= 20, sorted(armed)
    code = _text(ROOT / package for package in ("hub", "province_node", "xueji"))
    literal = set(re.findall(r'fault_point\("([a-z_.]+)"\)', code))
    tests = _text([ROOT / "tests" / "faults"])
    assert literal and [p for p in sorted(literal) if f'"{p}' not in tests] == []
    listed = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    assert [p for p in sorted(armed | literal) if f"`{p}`" not in listed] == []


def _text(folders) -> str:
    return "".join(
        path.read_text(encoding="utf-8") for folder in folders for path in folder.rglob("*.py")
    )
