"""`xueji up`: a real nats-server, the hub and province nodes as processes, stopped cleanly.

Each service is its own process on its own SQLite file under `var/` (one writer per
database), encrypted with `var/cipher.key` (SEC-7). Ctrl-C (or SIGTERM) stops the services
first, then nats-server: no orphans.

SEC-5: the first run creates a local PKI under `var/pki/` (a CA, the server's certificate,
one client certificate per service) and later runs keep it; nats-server accepts only TLS
clients with a certificate of that CA and maps each to its user and permissions
(`var/nats-server.conf`, from `xueji/nats_config.py`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from contracts import subjects
from simulations.demo import DEMO_PASSWORD, demo_accounts_listing
from xueji.cipher import KEY_FILE_NAME, ensure_key_file, jetstream_key, read_ring
from xueji.nats_config import federation_users, server_config, write_server_config
from xueji.pki import LocalPki, tls_env
from xueji.processes import port_open, spawn_service, start_nats, stop

HEALTH_TIMEOUT_SECONDS = 30


def run_mesh(var: Path, provinces: list[str], nats_port: int, ports: dict[str, int]) -> int:
    """Runs until Ctrl-C; `ports` maps `hub` and each province code to its HTTP port."""
    var = var.resolve()
    (var / "logs").mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    ring = _cipher_key(var)
    nats_key = jetstream_key(ring) if ring else None  # SEC-7: the streams encrypted too
    pki = LocalPki(var / "pki").ensure(["nats-server"], subjects.clients(provinces))
    config = _nats_config(var, nats_port, pki, provinces, nats_key)
    nats = start_nats(nats_port, var / "nats", var / "logs" / "nats.log", config)
    services: dict[str, subprocess.Popen] = {}
    try:
        common = {
            **os.environ,
            "XUEJI_NATS_URL": f"nats://127.0.0.1:{nats_port}",
            "XUEJI_VAR_DIR": str(var),
            "XUEJI_PROVINCES": ",".join(provinces),
        }

        def env(client: str) -> dict[str, str]:  # each service presents its own certificate
            return common | tls_env(pki.client(client))

        busy = [f"{name}:{port}" for name, port in ports.items() if port_open(port)]
        if busy:
            print(f"端口已被占用 / ports in use: {', '.join(busy)}", file=sys.stderr)
            return 1
        codes = ",".join(provinces)
        services["registry"] = spawn_service(
            ["registry", "--provinces", codes],
            env(subjects.REGISTRY_CLIENT),
            var / "logs" / "registry.log",
        )
        services["preschool"] = spawn_service(
            ["preschool", "--provinces", codes],
            env(subjects.PRESCHOOL_CLIENT),
            var / "logs" / "preschool.log",
        )
        services["hub"] = spawn_service(
            ["hub", "--port", str(ports["hub"]), "--demo-data"],
            env(subjects.HUB_CLIENT),
            var / "logs" / "hub.log",
        )
        for p in provinces:
            services[p] = spawn_service(
                ["node", "--province", p, "--port", str(ports[p]), "--demo-data"],
                env(subjects.province_client(p)),
                var / "logs" / f"prov{p}.log",
            )
        if not _wait_healthy(ports, services):
            return 1
        _write_demo_accounts(var, ports)
        _print_welcome(ports, var)
        while all(s.poll() is None for s in services.values()):
            time.sleep(0.5)
        print("a service stopped unexpectedly; see var/logs/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping …")
        return 0
    finally:
        for process in services.values():
            stop(process)
        stop(nats)


def _cipher_key(var: Path) -> str | None:
    """SEC-7: the mesh's stores are encrypted with `var/cipher.key` (created once; every
    service and `xueji audit`/`rebuild` find it beside the SQLite stores). Stores from before
    encryption stay plain until `make clean`."""
    key = var / KEY_FILE_NAME
    if not key.exists() and any(var.glob("*.sqlite")):
        print(
            f"stores under {var} predate encryption at rest: they stay unencrypted "
            "(make clean, then make up, to start encrypted)",
            file=sys.stderr,
        )
        return None
    return read_ring(None, ensure_key_file(key))


def _nats_config(
    var: Path, port: int, pki: LocalPki, provinces: list[str], key: str | None
) -> Path:
    """TLS with client certificates; each client's user may use only its own subjects."""
    config = server_config(port, var / "nats", pki.server(), federation_users(provinces), key)
    return write_server_config(var / "nats-server.conf", config)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _wait_healthy(ports: dict[str, int], services: dict[str, subprocess.Popen]) -> bool:
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    waiting = dict(ports)
    while waiting and time.monotonic() < deadline:
        for name, port in list(waiting.items()):
            if services[name].poll() is not None:
                print(f"{name} exited during start-up; see var/logs/", file=sys.stderr)
                return False
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    del waiting[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if waiting:
        print(f"not healthy after {HEALTH_TIMEOUT_SECONDS}s: {', '.join(waiting)}", file=sys.stderr)
    return not waiting


def _write_demo_accounts(var: Path, ports: dict[str, int]) -> None:
    """API.md: every demo account, with the service it logs in at."""
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    accounts = demo_accounts_listing(urls, date.today())
    text = json.dumps(accounts, ensure_ascii=False, indent=2)
    staging = var / "demo-accounts.json.tmp"
    staging.write_text(text, encoding="utf-8")
    staging.replace(var / "demo-accounts.json")  # readers never see half a file


def _print_welcome(ports: dict[str, int], var: Path) -> None:
    print("xueji 学籍 mesh is up (Ctrl-C stops everything):")
    for name, port in ports.items():
        label = "hub 中央" if name == "hub" else f"province {name}"
        print(f"  {label:<14} http://127.0.0.1:{port}  (API docs: /docs)")
    print(f"  stores and logs under {var}")
    print(f"  demo accounts (password {DEMO_PASSWORD}): {var / 'demo-accounts.json'}")
