"""SEC-2 / SEC-8: a fresh deployment has no account; `xueji create-sysadmin` creates the
first sysadmin with a one-time password, printed once, that must be changed at first login."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from typer.testing import CliRunner

from cli.app import app as cli
from hub.bootstrap import create_app as create_hub
from hub.settings import HubSettings
from province_node.bootstrap import create_app as create_node
from province_node.settings import NodeSettings
from tests.support.mesh import NOW
from tests.support.nats import NatsServer
from xueji.clock import FixedClock


def _create(*args: str):
    return CliRunner().invoke(cli, ["create-sysadmin", *args])


async def _first_login(app: FastAPI, username: str, password: str) -> None:
    """The one-time password logs in, but nothing is allowed before it is changed; the new
    password then works and the one-time one no longer does."""
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://service") as client:

            async def login(secret: str):
                body = {"username": username, "password": secret}
                return await client.post("/api/v1/auth/login", json=body)

            first = await login(password)
            assert first.status_code == 200, first.text
            assert first.json()["must_change_password"] is True
            assert first.json()["role"] == "sysadmin"
            auth = {"Authorization": f"Bearer {first.json()['access_token']}"}
            refused = await client.get("/api/v1/admin/online-users", headers=auth)
            assert refused.status_code == 403
            assert refused.json()["code"] == "password_change_required"
            change = {"old_password": password, "new_password": "Shengjiao2026x"}
            changed = await client.post("/api/v1/auth/password", json=change, headers=auth)
            assert changed.status_code == 200, changed.text
            allowed = await client.get("/api/v1/admin/online-users", headers=auth)
            assert allowed.status_code == 200
            assert (await login(password)).status_code == 401
            again = await login("Shengjiao2026x")
            assert again.status_code == 200 and again.json()["must_change_password"] is False


async def test_sec8_the_first_sysadmin_gets_a_one_time_password_that_must_be_changed(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    store = tmp_path / "prov44.sqlite"
    url = f"sqlite:///{store}"
    created = _create("--province", "44", "--url", url)
    assert created.exit_code == 0, created.output
    password = created.output.strip().splitlines()[-1]
    assert len(password) == 16 and created.output.count(password) == 1  # shown once
    assert password.encode() not in store.read_bytes()  # only its argon2 hash is stored
    settings = NodeSettings(
        province="44", db_url=url, nats_url=nats_server.url, blobs_dir=tmp_path / "blobs"
    )
    await _first_login(create_node(settings, clock=FixedClock(NOW)), "440000_sysadmin", password)

    # Only on a fresh deployment: later accounts are opened by a sysadmin.
    again = _create("--province", "44", "--url", url, "--username", "second_admin")
    assert again.exit_code == 1 and "已有 1 个账号" in again.output
    # Two random passwords are not the same.
    other = _create("--province", "44", "--url", f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert other.output.strip().splitlines()[-1] != password


async def test_sec8_the_hub_first_sysadmin_is_the_ministry_s(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    created = _create("--hub", "--url", url)
    assert created.exit_code == 0, created.output
    password = created.output.strip().splitlines()[-1]
    settings = HubSettings(db_url=url, nats_url=nats_server.url)
    await _first_login(create_hub(settings, clock=FixedClock(NOW)), "moe_sysadmin", password)
    assert _create("--url", url).exit_code != 0  # neither --hub nor --province
