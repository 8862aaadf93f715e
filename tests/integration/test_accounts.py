"""Accounts, sessions and security over HTTP, clock-driven: SEC-1 (one session per account),
SEC-2 (passwords, resets, no secrets in logs), SEC-3 (online users), SEC-4 (second-account
export confirmation), SYS-5 (inactive accounts). The login throttle: test_login_throttle.py."""

from __future__ import annotations

import pytest
import structlog

from simulations.demo import DEMO_PASSWORD
from tests.support.mesh import Mesh
from tests.support.people import REGISTRAR

SCHOOL = "3440106002"  # 天河区第一初级中学, county 440106, city 440100
OTHER_COUNTY_SCHOOL = "3440103002"  # 荔湾区第一初级中学, county 440103


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # access rules do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _login(mesh: Mesh, username: str, password: str = DEMO_PASSWORD):
    return await mesh.post(
        "44", "/api/v1/auth/login", json={"username": username, "password": password}
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_sec1_a_new_login_ends_the_previous_session(mesh: Mesh) -> None:
    first = (await _login(mesh, REGISTRAR["44"])).json()["access_token"]
    second = (await _login(mesh, REGISTRAR["44"])).json()["access_token"]
    ended = await mesh.get("44", "/api/v1/schools", headers=_bearer(first))
    assert ended.status_code == 401 and ended.json()["code"] == "session_replaced"
    assert (await mesh.get("44", "/api/v1/schools", headers=_bearer(second))).status_code == 200


async def test_sec1_no_token_or_unknown_token_is_401(mesh: Mesh) -> None:
    assert (await mesh.get("44", "/api/v1/schools")).status_code == 401
    unknown = await mesh.get("44", "/api/v1/schools", headers=_bearer("forged"))
    assert unknown.status_code == 401 and unknown.json()["code"] == "not_authenticated"


async def test_sec1_idle_session_expires_by_the_clock(mesh: Mesh) -> None:
    token = (await _login(mesh, REGISTRAR["44"])).json()["access_token"]
    mesh.clock.advance(hours=3)
    expired = await mesh.get("44", "/api/v1/schools", headers=_bearer(token))
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"


async def test_sec2_wrong_password_gives_no_hint(mesh: Mesh) -> None:
    wrong = await _login(mesh, REGISTRAR["44"], "Wrong-123")
    unknown = await _login(mesh, "nobody_registrar", "Wrong-123")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # the same answer, word for word
    assert wrong.json()["detail"] == "用户名或密码错误"


async def test_sec2_new_account_must_change_its_password_at_first_login(mesh: Mesh) -> None:
    body = {
        "username": "tianhe_clerk",
        "display_name": "天河区学籍员",
        "unit_code": SCHOOL,
        "role": "registrar",
        "password": "Start1234",
    }
    created = await mesh.post("44", "/api/v1/admin/accounts", as_="440106_sysadmin", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["unit_name"] == "天河区第一初级中学"
    taken = await mesh.post("44", "/api/v1/admin/accounts", as_="440106_sysadmin", json=body)
    assert taken.status_code == 409 and taken.json()["code"] == "username_taken"
    outside = await mesh.post(
        "44",
        "/api/v1/admin/accounts",
        as_="440103_sysadmin",
        json=body | {"username": "liwan_clerk"},
    )
    assert outside.status_code == 403

    login = (await _login(mesh, "tianhe_clerk", "Start1234")).json()
    assert login["must_change_password"] is True
    blocked = await mesh.get("44", "/api/v1/schools", headers=_bearer(login["access_token"]))
    assert blocked.json()["code"] == "password_change_required"


async def test_sec2_reset_by_superior_sysadmin_forces_a_password_change(mesh: Mesh) -> None:
    victim = (await _login(mesh, REGISTRAR["44"])).json()["access_token"]
    reset = await mesh.post(
        "44",
        f"/api/v1/admin/accounts/{REGISTRAR['44']}/password-reset",
        as_="440106_sysadmin",
        json={"new_password": "Temp1234"},
    )
    assert reset.status_code == 200
    assert (await mesh.get("44", "/api/v1/schools", headers=_bearer(victim))).status_code == 401

    login = (await _login(mesh, REGISTRAR["44"], "Temp1234")).json()
    assert login["must_change_password"] is True
    token = _bearer(login["access_token"])
    blocked = await mesh.get("44", "/api/v1/schools", headers=token)
    assert blocked.status_code == 403 and blocked.json()["code"] == "password_change_required"
    weak = await mesh.post(
        "44",
        "/api/v1/auth/password",
        headers=token,
        json={"old_password": "Temp1234", "new_password": "short"},
    )
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"
    changed = await mesh.post(
        "44",
        "/api/v1/auth/password",
        headers=token,
        json={"old_password": "Temp1234", "new_password": "Mine5678"},
    )
    assert changed.status_code == 200
    assert (await mesh.get("44", "/api/v1/schools", headers=token)).status_code == 200


@pytest.mark.parametrize(
    ("resetter", "code"),
    [
        ("440103_sysadmin", "outside_jurisdiction"),  # another county
        ("440106_registrar", "role_not_allowed"),  # not a sysadmin
        (f"{SCHOOL}_approver", "role_not_allowed"),
    ],
)
async def test_sec2_reset_outside_jurisdiction_or_role_changes_nothing(
    mesh: Mesh, resetter: str, code: str
) -> None:
    refused = await mesh.post(
        "44",
        f"/api/v1/admin/accounts/{REGISTRAR['44']}/password-reset",
        as_=resetter,
        json={"new_password": "Temp1234"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == code
    assert (await _login(mesh, REGISTRAR["44"])).status_code == 200  # old password still works


async def test_sec2_a_sysadmin_cannot_reset_its_own_level(mesh: Mesh) -> None:
    refused = await mesh.post(
        "44",
        "/api/v1/admin/accounts/440106_registrar/password-reset",
        as_="440106_sysadmin",
        json={"new_password": "Temp1234"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "outside_jurisdiction"


async def test_sec3_online_users_of_the_jurisdiction_and_force_offline(mesh: Mesh) -> None:
    mine = (await _login(mesh, f"{SCHOOL}_approver")).json()["access_token"]
    await _login(mesh, f"{OTHER_COUNTY_SCHOOL}_approver")
    online = await mesh.get("44", "/api/v1/admin/online-users", as_="440106_sysadmin")
    names = {u["username"] for u in online.json()["items"]}
    assert f"{SCHOOL}_approver" in names and f"{OTHER_COUNTY_SCHOOL}_approver" not in names

    forced = await mesh.post(
        "44", f"/api/v1/admin/online-users/{SCHOOL}_approver/force-offline", as_="440106_sysadmin"
    )
    assert forced.json() == {"forced_offline": 1}
    gone = await mesh.get("44", "/api/v1/schools", headers=_bearer(mine))
    assert gone.status_code == 401 and gone.json()["code"] == "forced_offline"
    outside = await mesh.post(
        "44",
        f"/api/v1/admin/online-users/{OTHER_COUNTY_SCHOOL}_approver/force-offline",
        as_="440106_sysadmin",
    )
    assert outside.status_code == 404
    everyone = await mesh.post(
        "44", "/api/v1/admin/online-users/force-offline", as_="440000_sysadmin"
    )
    assert everyone.json()["forced_offline"] >= 1
    assert (await mesh.get("44", "/api/v1/admin/online-users", as_="440000_sysadmin")).json()[
        "total"
    ] == 1  # only the caller is left


async def test_sys5_school_and_county_accounts_not_logged_in_for_a_week(mesh: Mesh) -> None:
    await _login(mesh, f"{SCHOOL}_approver")
    mesh.clock.advance(days=8)
    await _login(mesh, REGISTRAR["44"])
    listing = await mesh.get("44", "/api/v1/admin/accounts/inactive", as_="440106_sysadmin")
    names = {a["username"] for a in listing.json()["items"]}
    assert f"{SCHOOL}_approver" in names  # last seen 8 days ago
    assert REGISTRAR["44"] not in names  # logged in today
    assert "440106_registrar" in names  # never logged in, county level
    assert all(n.startswith(("3440106", "440106")) for n in names)  # its jurisdiction only
    assert not any(n.startswith("440100") for n in names)  # cities are not listed


async def test_sec4_export_needs_a_second_account_of_the_same_unit(mesh: Mesh) -> None:
    path = "/api/v1/auth/export-confirmations"

    async def confirm(username: str, password: str = DEMO_PASSWORD):
        return await mesh.post(
            "44",
            path,
            as_=REGISTRAR["44"],
            json={"username": username, "password": password, "purpose": "导出在校生名单"},
        )

    assert (await confirm(REGISTRAR["44"])).json()["code"] == "second_account_required"
    assert (await confirm(f"{OTHER_COUNTY_SCHOOL}_approver")).status_code == 403
    assert (await confirm(f"{SCHOOL}_approver", "Wrong-123")).status_code == 401
    confirmed = await confirm(f"{SCHOOL}_approver")
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_by"] == f"{SCHOOL}_approver"
    audit = mesh.runtime("44").node.recorder.select_notifications(
        start=1, limit=10_000, topics=["xueji.access.account:Account.ExportConfirmed"]
    )
    assert len(audit) == 1


async def test_sec2_no_password_or_token_in_logs(mesh: Mesh, caplog) -> None:
    with structlog.testing.capture_logs() as captured:
        token = (await _login(mesh, REGISTRAR["44"])).json()["access_token"]
        await mesh.post(
            "44",
            "/api/v1/auth/password",
            headers=_bearer(token),
            json={"old_password": DEMO_PASSWORD, "new_password": "Secret9876"},
        )
        await _login(mesh, REGISTRAR["44"], "Wrong-5555")
    events = [e["event"] for e in captured]
    assert {"login_succeeded", "password_changed", "login_failed"} <= set(events)
    logs = repr(captured) + caplog.text
    for secret in (DEMO_PASSWORD, "Secret9876", "Wrong-5555", token):
        assert secret not in logs


async def test_sec3_idle_expired_session_not_listed_online(mesh: Mesh) -> None:
    await _login(mesh, f"{SCHOOL}_approver")
    mesh.clock.advance(hours=1)
    await _login(mesh, REGISTRAR["44"])  # a later login: still within the idle limit
    mesh.clock.advance(hours=1, minutes=30)  # the approver has idled 2.5 h, the registrar 1.5 h
    online = await mesh.get("44", "/api/v1/admin/online-users", as_="440106_sysadmin")
    names = {u["username"] for u in online.json()["items"]}
    assert REGISTRAR["44"] in names and f"{SCHOOL}_approver" not in names
    gone = await mesh.post(
        "44", f"/api/v1/admin/online-users/{SCHOOL}_approver/force-offline", as_="440106_sysadmin"
    )
    assert gone.status_code == 404  # nobody to force offline: the session had already ended


async def test_sec4_export_confirmation_is_throttled(mesh: Mesh) -> None:
    """The confirmer's password is guessed no more freely than at login (the same throttle,
    SEC-8), and the guessing requester slows itself down, not the confirmer's own logins."""
    path, confirmer = "/api/v1/auth/export-confirmations", f"{SCHOOL}_approver"

    async def confirm(password: str):
        body = {"username": confirmer, "password": password, "purpose": "导出在校生名单"}
        return await mesh.post("44", path, as_=REGISTRAR["44"], json=body)

    for _ in range(4):
        assert (await confirm("Wrong-123")).status_code == 401
    assert (await confirm("Wrong-123")).status_code == 401
    throttled = await confirm(DEMO_PASSWORD)  # even the right password, while it waits
    assert (
        throttled.status_code == 429 and throttled.json()["code"] == "export_confirmation_throttled"
    )
    assert (await _login(mesh, confirmer)).status_code == 200  # no lock of the account
    mesh.clock.advance(seconds=throttled.json()["retry_after"])
    assert (await confirm(DEMO_PASSWORD)).status_code == 200
