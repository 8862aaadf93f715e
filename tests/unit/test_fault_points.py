"""NFR-4: a fault point does nothing unless armed, and then kills its process for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from xueji.faults import ENV_VAR, MARK

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
