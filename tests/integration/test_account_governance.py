"""Account governance on the real mesh (issue 18 item 8): SYS-5 freezing by a superior
sysadmin and by the sweep of unused accounts, the account list of a jurisdiction; SEC-2
password expiry at login, the absolute session lifetime, the ministry's reset of a
province-level account from the hub over the bus (`[004 Q111]`), and the consoles' pages.

Each test opens its own accounts (never a demo one, which the sweep and the expiry leave
alone) and puts the clock back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest

from contracts import subjects
from contracts.accounts import ResetProvinceAccountPassword
from contracts.envelope import Actor, Envelope
from simulations.demo import DEMO_PASSWORD
from tests.support.console import console_session
from tests.support.mesh import Mesh
from tests.support.nats import NatsServer

TEMPORARY, OWN, NEWER = "Temp1234", "Mine5678", "Later9012"


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _login(mesh: Mesh, username: str, password: str = OWN, service: str = "44"):
    return await mesh.post(
        service, "/api/v1/auth/login", json={"username": username, "password": password}
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _open_account(mesh: Mesh, unit_code: str, role: str = "registrar") -> str:
    """A new account of `unit_code`, opened by the province's sysadmin, its first-login
    password change done; its username."""
    username = f"gov_{uuid4().hex[:10]}"
    opened = await mesh.post(
        "44",
        "/api/v1/admin/accounts",
        as_="440000_sysadmin",
        json={
            "username": username,
            "display_name": "测试账号",
            "unit_code": unit_code,
            "role": role,
            "password": TEMPORARY,
        },
    )
    assert opened.status_code == 201, opened.text
    first = (await _login(mesh, username, TEMPORARY)).json()
    changed = await mesh.post(
        "44",
        "/api/v1/auth/password",
        headers=_bearer(first["access_token"]),
        json={"old_password": TEMPORARY, "new_password": OWN},
    )
    assert changed.status_code == 200, changed.text
    return username


@asynccontextmanager
async def _clock_kept(mesh: Mesh) -> AsyncIterator[None]:
    start = mesh.clock.now()
    try:
        yield
    finally:
        mesh.clock.set(start)


async def test_sys5_a_superior_sysadmin_freezes_and_unfreezes_an_account(mesh: Mesh) -> None:
    username = await _open_account(mesh, "440106")  # a county registrar
    token = (await _login(mesh, username)).json()["access_token"]
    path = f"/api/v1/admin/accounts/{username}"
    for who, code in [
        ("440106_sysadmin", "outside_jurisdiction"),  # its own unit is not its superior
        ("440103_sysadmin", "outside_jurisdiction"),  # another county
        ("440100_registrar", "role_not_allowed"),  # not a sysadmin
    ]:
        refused = await mesh.post("44", f"{path}/freeze", as_=who, json={"reason": "长期未用"})
        assert refused.status_code == 403 and refused.json()["code"] == code, (who, refused.text)
    assert (await mesh.get("44", "/api/v1/schools", headers=_bearer(token))).status_code == 200

    frozen = await mesh.post("44", f"{path}/freeze", as_="440100_sysadmin", json={"reason": "调离"})
    assert frozen.status_code == 200 and frozen.json()["frozen"] is True
    again = await mesh.post("44", f"{path}/freeze", as_="440100_sysadmin")  # idempotent
    assert again.status_code == 200 and again.json()["frozen"] is True
    ended = await mesh.get("44", "/api/v1/schools", headers=_bearer(token))
    assert ended.status_code == 401 and ended.json()["code"] == "account_frozen"
    refused_login = await _login(mesh, username)
    assert refused_login.status_code == 403 and refused_login.json()["code"] == "account_frozen"
    assert "冻结" in refused_login.json()["detail"] and "上级" in refused_login.json()["detail"]

    own_unit = await mesh.post("44", f"{path}/unfreeze", as_="440106_sysadmin")
    assert own_unit.status_code == 403
    unfrozen = await mesh.post("44", f"{path}/unfreeze", as_="440000_sysadmin")
    assert unfrozen.status_code == 200 and unfrozen.json()["frozen"] is False
    assert (await _login(mesh, username)).status_code == 200
    missing = await mesh.post(
        "44", "/api/v1/admin/accounts/gov_nobody/freeze", as_="440000_sysadmin"
    )
    assert missing.status_code == 404


async def test_sys5_the_sweep_freezes_accounts_unused_longer_than_the_period(mesh: Mesh) -> None:
    # the sweeps run beside the node's other periodic work, and on the hub
    running = {task.get_name() for task in asyncio.all_tasks()}
    assert {"freeze_unused_accounts", "hub-accounts"} <= running
    unused = await _open_account(mesh, "440106")  # logged in only at its opening
    used = await _open_account(mesh, "440103")
    never = f"gov_{uuid4().hex[:10]}"  # opened, never logged in: counts from its creation
    opened = await mesh.post(
        "44",
        "/api/v1/admin/accounts",
        as_="440000_sysadmin",
        json={"username": never, "display_name": "未登录", "unit_code": "440100",
              "role": "approver", "password": TEMPORARY},
    )  # fmt: skip
    assert opened.status_code == 201
    node, hub = mesh.runtime("44").access, mesh.runtime("hub").access
    meta = {"account": "system", "unit_code": "44"}
    async with _clock_kept(mesh):
        mesh.clock.advance(days=60)
        assert (await _login(mesh, used)).status_code == 200
        assert not set(await node.freeze_unused(meta)) & {unused, used, never}  # 60 days: not yet
        mesh.clock.advance(days=31)  # 91 days since the opening, 31 since `used` logged in
        frozen = set(await node.freeze_unused(meta))
        assert {unused, never} <= frozen and used not in frozen
        assert all(name.startswith("gov_") for name in frozen)  # demo accounts: never
        assert await hub.freeze_unused(meta) == []  # the ministry's accounts: never
        refused = await _login(mesh, unused)
        assert refused.status_code == 403 and refused.json()["code"] == "account_frozen"
        assert (await _login(mesh, used)).status_code == 200
        assert (await _login(mesh, "440106_registrar", DEMO_PASSWORD)).status_code == 200
        assert (await _login(mesh, "moe_sysadmin", DEMO_PASSWORD, "hub")).status_code == 200
        # a superior unit's sysadmin unfreezes it; the sweep does not refreeze it at once
        back = await mesh.post("44", f"/api/v1/admin/accounts/{unused}/unfreeze",
                               as_="440100_sysadmin")  # fmt: skip
        assert back.status_code == 200
        assert (await _login(mesh, unused)).status_code == 200
        assert unused not in await node.freeze_unused(meta)


async def test_sec2_password_expiry_is_shown_at_login_and_enforced(mesh: Mesh) -> None:
    username = await _open_account(mesh, "440106")
    fresh = (await _login(mesh, username)).json()
    assert fresh["password_expired"] is False and fresh["password_days_left"] == 180
    demo = (await _login(mesh, "440103_registrar", DEMO_PASSWORD)).json()
    assert demo["password_expired"] is False and demo["password_days_left"] is None
    async with _clock_kept(mesh):
        mesh.clock.advance(days=170)
        assert (await _login(mesh, username)).json()["password_days_left"] == 10
        mesh.clock.advance(days=11)
        expired = (await _login(mesh, username)).json()
        assert expired["password_expired"] is True and expired["password_days_left"] == 0
        assert expired["must_change_password"] is True
        token = _bearer(expired["access_token"])
        blocked = await mesh.get("44", "/api/v1/schools", headers=token)
        assert blocked.status_code == 403 and blocked.json()["code"] == "password_expired"
        assert "密码已过期" in blocked.json()["detail"]
        changed = await mesh.post(
            "44", "/api/v1/auth/password", headers=token,
            json={"old_password": OWN, "new_password": NEWER},
        )  # fmt: skip
        assert changed.status_code == 200
        assert (await mesh.get("44", "/api/v1/schools", headers=token)).status_code == 200
        again = (await _login(mesh, username, NEWER)).json()
        assert again["password_expired"] is False and again["password_days_left"] == 180


async def test_sec2_a_session_ends_after_its_lifetime_even_if_active(mesh: Mesh) -> None:
    username = await _open_account(mesh, "440106")
    token = _bearer((await _login(mesh, username)).json()["access_token"])
    async with _clock_kept(mesh):
        for _ in range(12):  # active every hour: the idle limit (2 h) never ends it
            mesh.clock.advance(hours=1)
            assert (await mesh.get("44", "/api/v1/schools", headers=token)).status_code == 200
        mesh.clock.advance(minutes=5)
        ended = await mesh.get("44", "/api/v1/schools", headers=token)
        assert ended.status_code == 401 and ended.json()["code"] == "session_lifetime_exceeded"
        # the mesh's clients log in again, as after an idle expiry
        assert (await mesh.get("44", "/api/v1/schools", as_="440106_sysadmin")).status_code == 200


async def test_sys5_every_account_of_the_jurisdiction_with_last_login_and_password_age(
    mesh: Mesh,
) -> None:
    username = await _open_account(mesh, "440106")
    await _login(mesh, username)
    listed = await mesh.get(
        "44", "/api/v1/admin/accounts", as_="440106_sysadmin", params={"page_size": 200}
    )
    assert listed.status_code == 200, listed.text
    found = listed.json()
    assert found["total"] == len(found["items"]) and found["page"] == 1
    mine = next(a for a in found["items"] if a["username"] == username)
    assert mine["last_login_at"] and mine["frozen"] is False and mine["password_age_days"] == 0
    assert mine["governed"] is False  # its own unit's account: the county cannot freeze it
    assert all(a["unit_code"].startswith(("440106", "3440106")) for a in found["items"])
    page = await mesh.get("44", "/api/v1/admin/accounts", as_="440106_sysadmin",
                          params={"page_size": 2, "page": 2})  # fmt: skip
    assert len(page.json()["items"]) == 2 and page.json()["total"] == found["total"]
    unbounded = await mesh.get("44", "/api/v1/admin/accounts", as_="440106_sysadmin",
                               params={"page_size": 100000})  # fmt: skip
    assert unbounded.status_code == 422
    refused = await mesh.get("44", "/api/v1/admin/accounts", as_="440106_registrar")
    assert refused.status_code == 403
    province = (await mesh.get("44", "/api/v1/admin/accounts", as_="440000_sysadmin")).json()
    assert province["total"] > found["total"]
    hub = await mesh.get("hub", "/api/v1/admin/accounts", as_="moe_sysadmin")
    assert {a["level"] for a in hub.json()["items"]} == {"ministry"}
    weekly = await mesh.get("44", "/api/v1/admin/accounts/inactive", as_="440106_sysadmin",
                            params={"days": 7})  # fmt: skip
    assert username not in {a["username"] for a in weekly.json()["items"]}


async def test_sec2_the_ministry_resets_a_province_account_from_the_hub(mesh: Mesh) -> None:
    username = await _open_account(mesh, "440000", "sysadmin")
    token = _bearer((await _login(mesh, username)).json()["access_token"])
    path = f"/api/v1/admin/provinces/44/accounts/{username}/password-reset"
    weak = await mesh.post("hub", path, as_="moe_sysadmin", json={"new_password": "short"})
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"
    registrar = await mesh.post("hub", path, as_="moe_registrar", json={"new_password": NEWER})
    assert registrar.status_code == 403
    county = await _open_account(mesh, "440106")  # not of the province level itself
    below = await mesh.post(
        "hub",
        f"/api/v1/admin/provinces/44/accounts/{county}/password-reset",
        as_="moe_sysadmin",
        json={"new_password": NEWER},
    )
    assert below.status_code == 404 and "省级" in below.json()["detail"]
    assert (await _login(mesh, county)).status_code == 200  # unchanged
    unknown = await mesh.post(
        "hub",
        f"/api/v1/admin/provinces/99/accounts/{username}/password-reset",
        as_="moe_sysadmin",
        json={"new_password": NEWER},
    )
    assert unknown.status_code == 404

    reset = await mesh.post("hub", path, as_="moe_sysadmin", json={"new_password": NEWER})
    assert reset.status_code == 200, reset.text
    assert reset.json()["must_change_password"] is True and reset.json()["unit_code"] == "440000"
    ended = await mesh.get("44", "/api/v1/schools", headers=token)
    assert ended.status_code == 401  # its session ended
    assert (await _login(mesh, username, OWN)).status_code == 401  # the old password is gone
    after = (await _login(mesh, username, NEWER)).json()
    assert after["must_change_password"] is True
    blocked = await mesh.get("44", "/api/v1/schools", headers=_bearer(after["access_token"]))
    assert blocked.json()["code"] == "password_change_required"
    # recorded as the ministry's reset in the account's history
    account = await mesh.runtime("44").writer(mesh.runtime("44").access._account, username)
    assert account.must_change_password is True


async def test_sec5_only_the_hub_may_ask_a_node_to_reset_an_account(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc).lower())

    nc = await module_nats.connect(subjects.province_client("34"), error_cb=on_error)
    try:
        subject = subjects.prov_account_password_reset("44")
        actor = Actor(account="moe_sysadmin", unit_code="000000", role="sysadmin")
        forged = ResetProvinceAccountPassword(
            envelope=Envelope(actor=actor),
            province="44",
            username="440000_sysadmin",
            password_hash="$argon2id$v=19$m=65536,t=3,p=4$forged",
        )
        await nc.publish(subject, forged.model_dump_json().encode())
        expected = f'permissions violation for publish to "{subject}"'
        for _ in range(100):
            if any(expected in e for e in errors):
                break
            await asyncio.sleep(0.02)
        assert any(expected in e for e in errors), errors
    finally:
        await nc.close()
    assert (await _login(mesh, "440000_sysadmin", DEMO_PASSWORD)).status_code == 200


async def test_sys5_console_pages_list_freeze_unfreeze_and_reset(mesh: Mesh) -> None:
    username = await _open_account(mesh, "440106")
    async with console_session(mesh, "440100_sysadmin") as console:
        page = await console.get("/admin/accounts", params={"page": 1})
        assert page.status_code == 200 and "账号管理" in page.text and "冻结" in page.text
        frozen = await console.post(f"/admin/accounts/{username}/freeze", data={"page": "1"})
        assert frozen.status_code == 200 and f"已冻结账号 {username}" in frozen.text
        assert (await _login(mesh, username)).json()["code"] == "account_frozen"
        back = await console.post(f"/admin/accounts/{username}/unfreeze", data={"page": "1"})
        assert f"已解冻账号 {username}" in back.text
        weekly = await console.get("/admin/accounts/inactive")
        assert weekly.status_code == 200 and "未登录账号" in weekly.text
    async with console_session(mesh, "440106_sysadmin") as console:  # its own unit's account
        refused = await console.post(f"/admin/accounts/{username}/freeze", data={"page": "1"})
        assert refused.status_code == 403 and "上级单位" in refused.text
    province_account = await _open_account(mesh, "440000")
    async with console_session(mesh, "moe_sysadmin", "hub") as console:
        form = await console.get("/admin/province-accounts")
        assert form.status_code == 200 and "省级账号重置" in form.text
        done = await console.post(
            "/admin/province-accounts",
            data={"province": "44", "username": province_account,
                  "new_password": NEWER, "confirm_password": NEWER},
        )  # fmt: skip
        assert done.status_code == 200 and "下次登录须先修改密码" in done.text
        assert "账号管理" in (await console.get("/admin/accounts")).text
    assert (await _login(mesh, province_account, NEWER)).json()["must_change_password"] is True
