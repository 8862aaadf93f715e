"""XPT-1 end to end on the real mesh (`xueji up`, separate processes, real HTTP ports): the
[002 §18] transfer decided by the demo accounts of `var/demo-accounts.json`."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulations.demo import school_code
from simulations.population import person
from tests.support.up import start_up

PORT_PREFIX = 192  # 19234 / 19244: away from `make up` and the other e2e tests
OUT_SCHOOL, IN_SCHOOL = school_code("440106", 2), school_code("340104", 2)


class Users:
    def __init__(self, var: Path) -> None:
        self.accounts = {
            (a["node"], a["username"]): a
            for a in json.loads((var / "demo-accounts.json").read_text(encoding="utf-8"))
        }

    def call(self, province: str, method: str, path: str, user: str, **kwargs) -> httpx.Response:
        node = f"http://127.0.0.1:{PORT_PREFIX * 100 + int(province)}"
        account = self.accounts[(node, user)]
        login = httpx.post(
            f"{node}/api/v1/auth/login",
            json={"username": user, "password": account["password"]},
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        return httpx.request(method, f"{node}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Users]:
    var = tmp_path_factory.mktemp("transfer") / "var"
    up = start_up(var, ["34", "44"], PORT_PREFIX)
    try:
        deadline = time.monotonic() + 40
        while not (var / "demo-accounts.json").exists():
            assert up.poll() is None and time.monotonic() < deadline, "mesh did not come up"
            time.sleep(0.2)
        yield Users(var)
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=20)
        except subprocess.TimeoutExpired:
            up.kill()


def _registered(users: Users) -> tuple[str, str]:
    child = person("44", 23)  # known to the population registry
    body = {
        "entry": "non_primary",
        "id_type": "1",
        "id_number": child.id_number,
        "name": child.name,
        "school_code": OUT_SCHOOL,
        "class_code": "2026201",
    }
    made = users.call("44", "POST", "/api/v1/registrations", f"{OUT_SCHOOL}_registrar", json=body)
    assert made.status_code == 201, made.text
    path = f"/api/v1/registrations/{made.json()['id']}"
    approve = {"approve": True, "opinion": "同意"}
    users.call("44", "POST", f"{path}/decisions", f"{OUT_SCHOOL}_approver", json=approve)
    users.call(
        "44",
        "POST",
        "/api/v1/registrations/report",
        f"{OUT_SCHOOL}_registrar",
        json={"ids": [made.json()["id"]]},
    )
    done = users.call("44", "POST", f"{path}/decisions", "440106_registrar", json=approve)
    assert done.json()["status"] == "registered", done.text
    return done.json()["student_number"], child.name


def _eventually(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_xpt1_transfer_through_xueji_up_with_the_demo_accounts(users: Users) -> None:
    number, name = _registered(users)
    query = {"name": name, "student_number": number}
    _eventually(
        lambda: (
            users.call(
                "34", "GET", "/api/v1/national/students", f"{IN_SCHOOL}_registrar", params=query
            ).status_code
            == 200
        )
    )
    body = {
        "student_name": name,
        "student_number": number,
        "target_class_code": "2026201",
        "reason": "随父母工作调动",
    }
    case = users.call("34", "POST", "/api/v1/transfers", f"{IN_SCHOOL}_registrar", json=body)
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    deciders = [
        ("34", f"{IN_SCHOOL}_approver"),
        ("34", "340104_registrar"),
        ("44", f"{OUT_SCHOOL}_approver"),
        ("44", "440106_registrar"),
    ]
    for province, user in deciders:
        pending = users.call(province, "GET", "/api/v1/transfers/pending", user).json()
        assert [c["id"] for c in pending["items"]] == [case_id]
        decided = users.call(
            province,
            "POST",
            f"/api/v1/transfers/{case_id}/decisions",
            user,
            json={"approve": True, "opinion": "同意"},
        )
        assert decided.status_code == 200, decided.text
    pulled = users.call(
        "34", "POST", f"/api/v1/transfers/{case_id}/archive-pull", f"{IN_SCHOOL}_registrar"
    )
    assert pulled.status_code == 200, pulled.text
    _eventually(
        lambda: (
            users.call(
                "34", "GET", f"/api/v1/transfers/{case_id}", f"{IN_SCHOOL}_registrar"
            ).json()["status"]
            == "completed"
        )
    )
    here = users.call("34", "GET", f"/api/v1/students/{number}", f"{IN_SCHOOL}_registrar").json()
    there = users.call("44", "GET", f"/api/v1/students/{number}", f"{OUT_SCHOOL}_registrar").json()
    assert (here["school_code"], here["status"], there["status"]) == (IN_SCHOOL, "在校", "转出")
