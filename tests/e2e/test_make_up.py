"""NFR-1: `xueji up` (what `make up` runs) starts the real mesh and stops it cleanly."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import psutil

from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id
from tests.support.up import start_up
from xueji.processes import free_port

PROVINCES = ["34", "37", "44"]
NODE_PORT_PREFIX = 190  # 19034, 19037, 19044: away from a developer's own `make up`


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _demo_accounts(var: Path) -> list[dict]:
    """API.md: schools of two counties with registrar and approver, their counties' and
    cities' registrars, the province's registrar and sysadmin, and the ministry."""
    path = var / "demo-accounts.json"
    deadline = time.monotonic() + 10  # written right after the services are healthy
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    accounts = json.loads(path.read_text(encoding="utf-8"))
    keys = {"node", "username", "password", "unit_code", "unit_name", "level", "role"}
    assert all(set(a) == keys for a in accounts)
    have = {(a["unit_code"], a["role"]) for a in accounts}
    for province in PROVINCES:
        schools = {
            a["unit_code"]
            for a in accounts
            if a["level"] == "school" and a["unit_code"][1:3] == province
        }
        counties = {code[1:7] for code in schools}
        assert len(counties) >= 2
        for school in schools:
            assert {(school, "registrar"), (school, "approver")} <= have
        for county in counties:
            assert (county, "registrar") in have and (county[:4] + "00", "registrar") in have
        assert {(f"{province}0000", "registrar"), (f"{province}0000", "sysadmin")} <= have
    assert any(a["level"] == "ministry" for a in accounts)
    return accounts


def _auth(accounts: list[dict], url: str, username: str) -> dict[str, str]:
    account = next(a for a in accounts if a["username"] == username and a["node"] == url)
    response = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": account["password"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["must_change_password"] is False
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _processes_using(path: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(str(path) in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def test_nfr1_up_serves_healthz_within_30s_and_ctrl_c_leaves_no_orphans(tmp_path: Path) -> None:
    var = tmp_path / "var"
    hub_port = free_port()
    up = start_up(var, PROVINCES, NODE_PORT_PREFIX, hub_port)
    urls = [f"http://127.0.0.1:{hub_port}"] + [
        f"http://127.0.0.1:{NODE_PORT_PREFIX * 100 + int(p)}" for p in PROVINCES
    ]
    try:
        started = time.monotonic()
        while not all(_healthy(u) for u in urls):
            assert up.poll() is None, up.stdout.read().decode()
            assert time.monotonic() - started < 30, "mesh not healthy within 30 s"
            time.sleep(0.2)
        body = httpx.get(f"{urls[0]}/healthz").json()
        assert body["service"] == "hub" and body["nats"] == "connected"
        _check_pki(var)
        node = httpx.get(f"{urls[3]}/healthz").json()
        assert node == node | {"service": "province", "province": "44", "store": "ok"}
        accounts = _demo_accounts(var)
        assert all(a["password"] and a["node"] in urls for a in accounts)
        province = _auth(accounts, urls[3], "440000_registrar")
        schools = httpx.get(f"{urls[3]}/api/v1/schools", headers=province).json()["items"]
        assert len(schools) >= 12  # 2 cities x 2 counties x 3 schools at least
        code = schools[0]["school_code"]
        school = httpx.get(f"{urls[3]}/api/v1/schools/{code}", headers=province).json()
        assert school["classes"], "demo schools have classes"

        # The dedup flow across real processes: 44 registers, 37 is refused.
        id_number = resident_id(sequence=321)
        created = httpx.post(
            f"{urls[3]}/api/v1/registrations",
            json=registration(JUNIOR_SCHOOL["44"], id_number),
            headers=_auth(accounts, urls[3], REGISTRAR["44"]),
        )
        assert created.status_code == 201, created.text
        refused = httpx.post(
            f"{urls[2]}/api/v1/registrations",
            json=registration(JUNIOR_SCHOOL["37"], id_number),
            headers=_auth(accounts, urls[2], REGISTRAR["37"]),
        )
        assert refused.status_code == 409 and refused.json()["holder_province"] == "44"
        # SEC-7: `xueji up` keeps a key in var/ and the stores are encrypted with it.
        assert (var / "cipher.key").is_file()
        server = json.loads((var / "nats-server.conf").read_text(encoding="utf-8"))
        assert server["jetstream"]["cipher"] == "chachapoly"  # JetStream's own encryption
        stored = b"".join(p.read_bytes() for p in var.glob("prov44.sqlite*"))
        assert stored and id_number.encode() not in stored
    finally:
        up.send_signal(signal.SIGINT)
        try:
            code = up.wait(timeout=20)
        finally:
            if up.poll() is None:
                up.kill()
    assert code == 0
    assert _processes_using(var) == [], "orphan processes left behind"


def _check_pki(var: Path) -> None:
    """SEC-5: the CA and a certificate per nats-server and per service, under var/pki, and
    a nats-server that verifies client certificates and maps each to its user."""
    pki = var / "pki"
    names = ["ca", "nats-server", "hub", "registry", "preschool"]
    names += [f"prov{p}" for p in PROVINCES]
    assert all((pki / f"{name}.pem").exists() for name in names)
    config = json.loads((var / "nats-server.conf").read_text(encoding="utf-8"))
    assert config["tls"]["verify_and_map"] is True
    users = {u["user"] for u in config["authorization"]["users"]}
    assert users == {f"CN={name}" for name in names[2:]}
