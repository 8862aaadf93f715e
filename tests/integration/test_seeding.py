"""SEC-8 "no default credentials outside the local demo": a service started by `create_app`
with its production defaults loads no demo schools and no demo accounts; only the demo seed
that `xueji up` and the tests inject (`simulations.demo.DEMO`) brings them."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from contracts.subjects import province_client
from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings
from simulations.demo import DEMO, DEMO_PASSWORD, demo_schools
from tests.support.mesh import NOW, TODAY
from tests.support.nats import NatsServer
from tests.support.people import REGISTRAR
from tests.support.postgres import fresh_database
from xueji.cipher import PlaintextStoreRefused, new_key
from xueji.clock import FixedClock
from xueji.pki import tls_env
from xueji.processes import free_port, spawn_service, stop, wait_healthy
from xueji.seeding import DemoDataRefused


async def _login(app: FastAPI, username: str = REGISTRAR["44"]) -> int:
    """Starts the app's lifespan, tries a demo login, returns its status."""
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://service") as client:
            body = {"username": username, "password": DEMO_PASSWORD}
            return (await client.post("/api/v1/auth/login", json=body)).status_code


def _node(tmp_path: Path, nats_server: NatsServer) -> NodeSettings:
    return NodeSettings(
        province="44",
        db_url=f"sqlite:///{tmp_path / 'prov44.sqlite'}",
        **nats_server.client_settings("prov44"),
        blobs_dir=tmp_path / "blobs",
    )


async def test_sec8_a_node_without_a_seed_has_no_demo_schools_or_accounts(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    app = create_node(_node(tmp_path, nats_server), clock=FixedClock(NOW))
    assert await _login(app, REGISTRAR["44"]) == 401
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert await runtime.writer(runtime.node.schools) == []


async def test_sec8_the_hub_without_a_seed_has_no_demo_accounts(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    settings = HubSettings(db_url=db_url, **nats_server.client_settings("hub"))
    assert await _login(create_hub(settings, clock=FixedClock(NOW)), "moe_registrar") == 401


async def test_sec8_only_the_injected_demo_seed_brings_the_demo_data(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    app = create_node(_node(tmp_path, nats_server), clock=FixedClock(NOW), seed=DEMO)
    assert await _login(app, REGISTRAR["44"]) == 200
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert len(await runtime.writer(runtime.node.schools)) == len(demo_schools("44", TODAY))


def test_sec8_xueji_node_started_by_hand_loads_no_demo_data(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    """`xueji node` (what a deployment runs) as a real process: no demo account unless
    `--demo-data` is given, which only `xueji up` does."""
    port = free_port()
    env = {**os.environ, "XUEJI_VAR_DIR": str(tmp_path), "XUEJI_NATS_URL": nats_server.url}
    env |= tls_env(nats_server.tls(province_client("44")))  # SEC-5: its own certificate
    env.pop("XUEJI_DEMO_DATA", None)
    args = ["node", "--province", "44", "--port", str(port)]
    process = spawn_service(args, env, tmp_path / "node.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        body = {"username": REGISTRAR["44"], "password": DEMO_PASSWORD}
        response = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/login", json=body)
        assert response.status_code == 401
    finally:
        stop(process)


KEY = new_key()


async def _start(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


def _pg_node(url: str, nats_url: str, tmp_path: Path, allow: bool = False) -> NodeSettings:
    return NodeSettings(
        province="44",
        db_url=url,
        nats_url=nats_url,
        blobs_dir=tmp_path / "blobs",
        allow_demo_on_postgresql=allow,
        cipher_key=KEY,
    )


@pytest.mark.postgres
async def test_sec8_a_postgresql_service_refuses_to_start_with_demo_accounts(
    tmp_path: Path, nats_server: NatsServer, postgres_url: str
) -> None:
    node_url = fresh_database(postgres_url, "sec8_demo_prov44")
    clock = FixedClock(NOW)
    # The demo seed on a production (PostgreSQL) store: refused before anything is loaded.
    with pytest.raises(DemoDataRefused, match="演示账号"):
        await _start(create_node(_pg_node(node_url, nats_server.url, tmp_path), clock, seed=DEMO))
    assert await _login(create_node(_pg_node(node_url, nats_server.url, tmp_path), clock)) == 401
    # Demo accounts already in the store (here let in on purpose): refused at the next start.
    allowed = _pg_node(node_url, nats_server.url, tmp_path, allow=True)
    assert await _login(create_node(allowed, clock, seed=DEMO), REGISTRAR["44"]) == 200
    with pytest.raises(DemoDataRefused, match="库中已有演示账号"):
        await _start(create_node(_pg_node(node_url, nats_server.url, tmp_path), clock))
    # The hub likewise.
    hub_url = fresh_database(postgres_url, "sec8_demo_hub")
    hub = HubSettings(db_url=hub_url, nats_url=nats_server.url, cipher_key=KEY)
    with pytest.raises(DemoDataRefused):
        await _start(create_hub(hub, clock=clock, seed=DEMO))
    assert await _login(create_hub(hub, clock=clock), "moe_registrar") == 401


@pytest.mark.postgres
async def test_sec7_a_postgresql_service_refuses_to_start_without_a_cipher_key(
    tmp_path: Path, nats_server: NatsServer, postgres_url: str
) -> None:
    url = fresh_database(postgres_url, "sec7_plain_prov44")
    plain = _pg_node(url, nats_server.url, tmp_path).model_copy(update={"cipher_key": None})
    with pytest.raises(PlaintextStoreRefused, match="加密"):
        await _start(create_node(plain, FixedClock(NOW)))
    hub = HubSettings(
        db_url=fresh_database(postgres_url, "sec7_plain_hub"), nats_url=nats_server.url
    )
    with pytest.raises(PlaintextStoreRefused):
        await _start(create_hub(hub, clock=FixedClock(NOW)))
