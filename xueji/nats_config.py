"""The nats-server configuration of a federation (SEC-5): TLS with client certificates, each
mapped to a user whose permissions are its `contracts.subjects.grants`.

`verify_and_map`: the server accepts only clients whose certificate its CA signed, and the
certificate's subject (`CN=<client>`) names the user; a certificate no user is named after
is refused too. The file is JSON, which nats-server's configuration format accepts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from contracts.subjects import Grants, clients, grants
from xueji.pki import TlsFiles, client_subject

#: A TLS handshake that takes longer than this fails (seconds).
TLS_TIMEOUT_SECONDS = 2


def user(client: str, grants: Grants) -> dict:
    """One NATS user and its subjects. No `allow_responses`: it would let a client answer
    on any reply subject a requester chose, e.g. another province's."""
    return {
        "user": client_subject(client),
        "permissions": {
            # an empty allow list would allow everything: deny all instead
            "publish": {"allow": list(grants.publish)} if grants.publish else {"deny": [">"]},
            "subscribe": {"allow": list(grants.subscribe)},
        },
    }


def federation_users(provinces: list[str]) -> list[dict]:
    """A user for every client of the federation: the hub, each node, the registries."""
    return [user(client, grants(client, provinces)) for client in clients(provinces)]


@dataclass(frozen=True)
class Cluster:
    """This server's place in a JetStream cluster: its name, its route port, every route."""

    name: str
    server_name: str
    port: int
    routes: list[int]


def server_config(
    port: int,
    store_dir: Path,
    tls: TlsFiles,
    users: list[dict],
    jetstream_key: str | None = None,
    cluster: Cluster | None = None,
) -> dict:
    """`jetstream_key`: JetStream encrypts what it stores with it (SEC-7, the server's own
    at-rest encryption). With `cluster` the server is one of a JetStream cluster (streams
    declared with replicas, issue 17 item 5) and writes every message to disk before it
    acknowledges it (`sync_interval: always`): a server killed loses nothing acked."""
    jetstream: dict = {"store_dir": str(store_dir)}
    if jetstream_key:
        jetstream |= {"cipher": "chachapoly", "key": jetstream_key}
    extra: dict = {}
    if cluster is not None:
        jetstream["sync_interval"] = "always"
        extra = {
            "server_name": cluster.server_name,
            "cluster": {
                "name": cluster.name,
                "host": "127.0.0.1",
                "port": cluster.port,
                "routes": [f"nats://127.0.0.1:{p}" for p in cluster.routes],
            },
        }
    return {
        "host": "127.0.0.1",
        "port": port,
        **extra,
        "jetstream": jetstream,
        "tls": {
            "cert_file": str(tls.cert),
            "key_file": str(tls.key),
            "ca_file": str(tls.ca),
            "verify_and_map": True,
            "timeout": TLS_TIMEOUT_SECONDS,
        },
        "authorization": {"users": users},
    }


def write_server_config(path: Path, config: dict) -> Path:
    """Owner-only: the file may hold the JetStream key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(config, indent=2))
    return path
