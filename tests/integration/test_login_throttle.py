"""SEC-8 "logins throttled without letting anyone lock an account out" and no existence
oracle at login (issue 18 item 7): wrong passwords slow down the guesser — per account and
source address, per account, per address — with a wait that doubles; an unknown username
costs the same argon2 verification as a known one."""

from __future__ import annotations

import httpx
import pytest

from simulations.demo import DEMO_PASSWORD
from tests.support.mesh import Mesh
from tests.support.people import REGISTRAR
from xueji.access import passwords, service

OWNER = REGISTRAR["44"]


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # access rules do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _login(mesh: Mesh, source: str, username: str = OWNER, password: str = DEMO_PASSWORD):
    """A login from the address `source`."""
    transport = httpx.ASGITransport(app=mesh.apps["44"], client=(source, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        body = {"username": username, "password": password}
        return await client.post("/api/v1/auth/login", json=body)


def _throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    problem = response.json()
    assert problem["code"] == "login_throttled" and "秒后再试" in problem["detail"]
    return problem["retry_after"]


async def test_sec8_wrong_logins_slow_the_guesser_and_never_lock_the_owner_out(
    mesh: Mesh,
) -> None:
    guesser, owner = "10.0.0.66", "10.0.0.7"
    for _ in range(5):  # four free failures, then a wait
        assert (await _login(mesh, guesser, password="Wrong-123")).status_code == 401
    first = _throttled(await _login(mesh, guesser))  # not even the right password is checked
    assert (await _login(mesh, owner)).status_code == 200  # the owner is not locked out
    mesh.clock.advance(seconds=first)
    assert (await _login(mesh, guesser, password="Wrong-123")).status_code == 401
    second = _throttled(await _login(mesh, guesser, password="Wrong-123"))
    assert second == 2 * first  # the wait doubles with every further failure
    mesh.clock.advance(seconds=second)
    assert (await _login(mesh, guesser)).status_code == 200  # then the right password works


async def test_sec8_guessers_at_many_addresses_keep_the_owner_out_for_a_minute_at_most(
    mesh: Mesh,
) -> None:
    for n in range(20):  # each address guesses once, waiting its turn once the account waits
        wrong = await _login(mesh, f"10.1.0.{n}", password="Wrong-123")
        if wrong.status_code == 429:
            mesh.clock.advance(seconds=_throttled(wrong))
            wrong = await _login(mesh, f"10.1.0.{n}", password="Wrong-123")
        assert wrong.status_code == 401
    wait = _throttled(await _login(mesh, "10.0.0.7"))  # the account as such waits …
    assert 0 < wait <= 60  # … never longer than a minute
    mesh.clock.advance(seconds=wait)
    assert (await _login(mesh, "10.0.0.7")).status_code == 200


async def test_sec8_one_address_trying_many_accounts_is_slowed_down(mesh: Mesh) -> None:
    stuffer = "10.2.0.1"
    for n in range(31):  # thirty free failures
        wrong = await _login(mesh, stuffer, username=f"guess_{n}", password="Wrong-123")
        assert wrong.status_code == 401
    _throttled(await _login(mesh, stuffer))  # any account from that address waits
    assert (await _login(mesh, "10.2.0.2")).status_code == 200  # other addresses do not


async def test_sec8_an_unknown_username_costs_the_same_password_verification(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return passwords.verify_password(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    unknown = await _login(mesh, "10.3.0.1", username="nobody_registrar", password="Wrong-123")
    known = await _login(mesh, "10.3.0.1", password="Wrong-123")
    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()
    assert len(verified) == 2  # one argon2 verification each
    assert verified[0].startswith("$argon2") and verified[0] == passwords.unknown_user_hash()
    params = verified[0].split("$")[3]  # the same cost parameters as a real account's hash
    assert params == verified[1].split("$")[3]
