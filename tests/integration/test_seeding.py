"""SEC-8 "no default credentials outside the local demo": a service started by `create_app`
with its production defaults loads no demo schools and no demo accounts; only the demo seed
that `xueji up` and the tests inject (`simulations.demo.DEMO`) brings them."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings
from simulations.demo import DEMO, DEMO_PASSWORD, demo_schools
from tests.support.mesh import NOW, TODAY
from tests.support.nats import NatsServer
from tests.support.people import REGISTRAR
from xueji.clock import FixedClock


async def _login(app: FastAPI, username: str) -> int:
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
