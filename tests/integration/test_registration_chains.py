"""Every chain shape the SYS-1 table allows runs a registration correctly (REG-6), and a shape it
does not allow is refused when the rule is saved."""

from __future__ import annotations

import pytest

from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

SCHOOL = JUNIOR_SCHOOL["44"]  # 3440106002: county 440106, city 440100, province 440000
RULES = "/api/v1/admin/workflow/rules"
PATH = "/api/v1/registrations"
UNITS = {"school": SCHOOL, "supervising": "440106", "city": "440100", "province": "440000"}

#: Every climbing chain that starts at the school (the registration types' allowed shapes).
SHAPES = [
    ["school"],
    ["school", "supervising"],
    ["school", "city"],
    ["school", "province"],
    ["school", "supervising", "city"],
    ["school", "supervising", "province"],
    ["school", "city", "province"],
    ["school", "supervising", "city", "province"],
]


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the chain rules do not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _set_chain(mesh: Mesh, steps: list[str]) -> None:
    rule = {"business_type": "register_non_primary_resident", "scope": "440000", "steps": steps}
    saved = await mesh.post("44", RULES, as_="440000_sysadmin", json=rule)
    assert saved.status_code == 201, saved.text


async def _act(mesh: Mesh, entry: dict) -> dict:
    """The one thing the entry awaits, done by the one account it awaits."""
    if entry["status"] == "school_approved":
        reply = await mesh.post(
            "44", f"{PATH}/report", as_=REGISTRAR["44"], json={"ids": [entry["id"]]}
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["items"][0]
    step = entry["step"]
    user = f"{step['unit_code']}_{'approver' if step['level'] == 'school' else 'registrar'}"
    decision = {"approve": True, "opinion": "同意"}
    reply = await mesh.post("44", f"{PATH}/{entry['id']}/decisions", as_=user, json=decision)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("steps", SHAPES, ids=["-".join(s) for s in SHAPES])
async def test_reg6_sys1_every_allowed_chain_shape_registers_the_student(
    mesh: Mesh, steps: list[str]
) -> None:
    await _set_chain(mesh, steps)
    body = registration(SCHOOL, resident_id(sequence=400 + len(steps) * 10 + len(steps[-1])))
    entry = (await mesh.post("44", PATH, as_=REGISTRAR["44"], json=body)).json()
    assert [s["unit_code"] for s in entry["chain"]] == [UNITS[level] for level in steps]
    # school approver, then the school registrar's report, then each bureau in turn
    for _ in range(len(steps) + 1):
        entry = await _act(mesh, entry)
    assert entry["status"] == "registered", entry
    assert [h["unit_code"] for h in entry["history"]] == [UNITS[level] for level in steps]
    assert entry["history"][0]["account"] == f"{SCHOOL}_approver"  # the school's own stamp


@pytest.mark.parametrize("steps", [["supervising"], ["supervising", "city"], ["province"]])
async def test_reg6_sys1_a_chain_without_the_school_step_is_refused_when_saved(
    mesh: Mesh, steps: list[str]
) -> None:
    rule = {"business_type": "register_non_primary_resident", "scope": "440000", "steps": steps}
    refused = await mesh.post("44", RULES, as_="440000_sysadmin", json=rule)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["field"]) == ("must_start_at_school", "steps")
    assert "须从学校开始" in problem["detail"]
    body = registration(SCHOOL, resident_id(sequence=481))
    entry = (await mesh.post("44", PATH, as_=REGISTRAR["44"], json=body)).json()
    assert [s["level"] for s in entry["chain"]] == ["school", "supervising"]  # nothing stored
