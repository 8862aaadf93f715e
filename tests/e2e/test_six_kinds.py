"""REG-1 end to end on the real mesh (`xueji up`): one student of each of the six kinds,
from entry to number issued, decided by the demo accounts of `var/demo-accounts.json`."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from simulations.demo import school_code
from simulations.excel import filled
from simulations.population import person
from tests.support.people import PNG_BASE64, resident_id
from tests.support.up import start_up

PORT_PREFIX = 191  # 19144: away from a developer's `make up` and the other e2e test
PRIMARY, JUNIOR = school_code("440106", 1), school_code("440106", 2)


class Mesh:
    """The real processes, reached over HTTP as the demo users."""

    def __init__(self, var: Path, url: str) -> None:
        self.url, self.var = url, var
        self.accounts = {
            a["username"]: a
            for a in json.loads((var / "demo-accounts.json").read_text(encoding="utf-8"))
            if a["node"] == url
        }
        self._tokens: dict[str, str] = {}

    def as_(self, username: str) -> httpx.Client:
        if username not in self._tokens:
            account = self.accounts[username]
            login = httpx.post(
                f"{self.url}/api/v1/auth/login",
                json={"username": username, "password": account["password"]},
            )
            self._tokens[username] = login.json()["access_token"]
        return httpx.Client(
            base_url=self.url,
            timeout=30,
            headers={"Authorization": f"Bearer {self._tokens[username]}"},
        )

    def approver_for(self, step: dict) -> str:
        """The demo account that decides a step: the school's approver, a bureau's registrar."""
        role = "approver" if step["level"] == "school" else "registrar"
        return next(
            a["username"]
            for a in self.accounts.values()
            if a["unit_code"] == step["unit_code"] and a["role"] == role
        )


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    var = tmp_path_factory.mktemp("six") / "var"
    up = start_up(var, ["44"], PORT_PREFIX)
    url = f"http://127.0.0.1:{PORT_PREFIX * 100 + 44}"
    try:
        deadline = time.monotonic() + 30
        while not (var / "demo-accounts.json").exists():
            assert up.poll() is None and time.monotonic() < deadline, "mesh did not come up"
            time.sleep(0.2)
        yield Mesh(var, url)
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=20)
        except subprocess.TimeoutExpired:
            up.kill()


def _drive(mesh: Mesh, registration: dict) -> dict:
    """Every step of the frozen chain, with the report after the school's approval."""
    school = registration["school_code"]
    for _ in range(10):
        with mesh.as_(f"{school}_registrar") as registrar:
            current = registrar.get(f"/api/v1/registrations/{registration['id']}").json()
        if current["status"] == "registered":
            return current
        if current["status"] == "school_approved":
            with mesh.as_(f"{school}_registrar") as registrar:
                response = registrar.post(
                    "/api/v1/registrations/report", json={"ids": [current["id"]]}
                )
        else:
            with mesh.as_(mesh.approver_for(current["step"])) as decider:
                response = decider.post(
                    f"/api/v1/registrations/{current['id']}/decisions",
                    json={"approve": True, "opinion": "同意"},
                )
        assert response.status_code == 200, response.text
    raise AssertionError("not registered")


def _single(mesh: Mesh, body: dict) -> dict:
    with mesh.as_(f"{body['school_code']}_registrar") as registrar:
        response = registrar.post("/api/v1/registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _imported(mesh: Mesh, id_group: str, row: dict) -> dict:
    with mesh.as_(f"{PRIMARY}_registrar") as registrar:
        template = registrar.get(
            f"/api/v1/registrations/templates/{id_group}", params={"entry": "primary"}
        ).content
        record = registrar.post(
            "/api/v1/registrations/import",
            files={"file": ("新生.xlsx", filled(template, [row]))},
            data={"entry": "primary", "id_group": id_group},
        ).json()
        assert record["result"] == "处理成功", record
        pending = registrar.get("/api/v1/registrations", params={"status": "in_review"}).json()
    return next(r for r in pending["items"] if r["entry"] == "primary" and r["name"] == row["姓名"])


def test_reg1_one_student_of_each_of_the_six_kinds_gets_a_number(mesh: Mesh) -> None:
    guardian = {
        "name": "家长",
        "relation": "母亲",
        "id_type": "1",
        "id_number": resident_id(born=date(1985, 5, 5), sequence=88),
    }
    child = person("44", 21)  # known to the population registry: authenticated → G
    kinds = {
        "primary resident (Excel)": _imported(
            mesh,
            "resident",
            {
                "姓名": child.name,
                "身份证件类型": "1-居民身份证",
                "身份证件号": child.id_number,
                "民族": "01-汉族",
                "班号": "2026101",
            },
        ),
        "primary HK/Macao/Taiwan/foreign (Excel)": _imported(
            mesh,
            "hmt_foreign",
            {
                "姓名": "陈港仔",
                "身份证件类型": "6-香港特区护照/身份证明",
                "身份证件号": "H7654321",
                "性别": "1-男",
                "出生日期": "2020-03-03",
                "民族": "01-汉族",
                "班号": "2026101",
            },
        ),
        "primary no document": _single(
            mesh,
            {
                "entry": "primary",
                "id_type": "Z",
                "proof": PNG_BASE64,
                "name": "无证甲",
                "sex": "2",
                "birth_date": "2020-04-04",
                "school_code": PRIMARY,
                "class_code": "2026101",
                "guardians": [guardian],
            },
        ),
        "non-primary resident": _single(
            mesh,
            {
                "entry": "non_primary",
                "id_type": "1",
                "id_number": resident_id(sequence=701),
                "name": "转入乙",
                "school_code": JUNIOR,
                "class_code": "2026201",
            },
        ),
        "non-primary HK/Macao/Taiwan/foreign": _single(
            mesh,
            {
                "entry": "non_primary",
                "id_type": "A",
                "id_number": "E98765432",
                "name": "外籍丙",
                "sex": "2",
                "birth_date": "2013-07-07",
                "school_code": JUNIOR,
                "class_code": "2026201",
            },
        ),
        "non-primary no document": _single(
            mesh,
            {
                "entry": "non_primary",
                "id_type": "Z",
                "proof": PNG_BASE64,
                "name": "无证丁",
                "sex": "1",
                "birth_date": "2013-08-08",
                "school_code": JUNIOR,
                "class_code": "2026201",
                "guardians": [guardian],
            },
        ),
    }
    numbers = {kind: _drive(mesh, entry)["student_number"] for kind, entry in kinds.items()}
    assert numbers["primary resident (Excel)"] == "G" + child.id_number
    assert numbers["primary no document"].startswith("J")
    assert numbers["non-primary no document"].startswith("J")
    assert numbers["non-primary resident"].startswith("L")  # not in the registry: temporary
    assert numbers["primary HK/Macao/Taiwan/foreign (Excel)"].startswith("L")
    assert len(set(numbers.values())) == 6
    with mesh.as_("440000_registrar") as province:
        for number in numbers.values():
            assert province.get(f"/api/v1/students/{number}").json()["status"] == "在校"
