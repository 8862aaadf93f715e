"""`xueji up` as a subprocess, the way `make up` runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from xueji.processes import free_port


def start_up(
    var: Path, provinces: list[str], node_port_prefix: int, hub_port: int | None = None
) -> subprocess.Popen:
    """Starts the whole mesh on free NATS/hub ports; nodes listen on <prefix><province>."""
    command = [
        sys.executable,
        "-m",
        "cli",
        "up",
        "--var",
        str(var),
        "--provinces",
        ",".join(provinces),
        "--nats-port",
        str(free_port()),
        "--hub-port",
        str(hub_port or free_port()),
        "--node-port-prefix",
        str(node_port_prefix),
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
