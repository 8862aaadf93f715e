"""Named fault points (NFR-4): places where a test may make a process die for real.

`fault_point("node.register.after_claim")` does nothing unless the process was started with
`XUEJI_KILL_AT=<name>[,<name>…]`; a name may say on which pass to die, `<name>:<n>` (the
n-th time the process reaches the point; default the first). At that pass the process
SIGKILLs itself — a crash, not a shutdown: no `finally`, no lifespan exit, no flush of
anything but what is already on disk. Before dying it writes one line to stderr,
`XUEJI_KILLED_AT <name>`, for the test (and the operator) to see where it stopped.

Production never sets the variable; a point not armed costs one dict look-up. The points
and what each simulates are listed in docs/faults.md.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from functools import cache

ENV_VAR = "XUEJI_KILL_AT"
#: The line written to stderr just before the kill.
MARK = "XUEJI_KILLED_AT"

_passes: Counter[str] = Counter()
_lock = threading.Lock()


@cache
def armed() -> dict[str, int]:
    """{point: the pass that kills} from `XUEJI_KILL_AT` (read once per process)."""
    points: dict[str, int] = {}
    for item in os.environ.get(ENV_VAR, "").split(","):
        name, _, nth = item.strip().partition(":")
        if name:
            points[name] = int(nth) if nth else 1
    return points


def fault_point(name: str) -> None:
    """Dies here (SIGKILL) if this point is armed and this is its pass; else nothing."""
    points = armed()
    if name not in points:
        return
    with _lock:  # points are reached from the event loop and the writer thread
        _passes[name] += 1
        due = _passes[name] == points[name]
    if due:
        os.write(2, f"{MARK} {name}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
