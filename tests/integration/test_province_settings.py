"""Province configuration over HTTP: workflow rules (SYS-1), calendar (SYS-2), switches (SYS-3),
the registration period switch (REG-10) and deferred dedup (REG-5)."""

from __future__ import annotations

import pytest

from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

SCHOOL = "3440106002"
CHAIN = "/api/v1/admin/workflow/chain"
QUERY = {"business_type": "register_non_primary_resident", "school_code": SCHOOL, "stage": "2"}


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # configuration does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _units(mesh: Mesh) -> list[str]:
    chain = await mesh.get("44", CHAIN, as_="440106_registrar", params=QUERY)
    assert chain.status_code == 200, chain.text
    return [step["unit_code"] for step in chain.json()["steps"]]


async def test_sys1_province_sysadmin_edits_a_chain_and_the_most_specific_scope_wins(
    mesh: Mesh,
) -> None:
    assert await _units(mesh) == [SCHOOL, "440106"]  # the shipped default
    rule = {
        "business_type": "register_non_primary_resident",
        "scope": "440100",
        "steps": ["school", "supervising", "city"],
    }
    created = await mesh.post(
        "44", "/api/v1/admin/workflow/rules", as_="440000_sysadmin", json=rule
    )
    assert created.status_code == 201, created.text
    assert await _units(mesh) == [SCHOOL, "440106", "440100"]

    county = rule | {"scope": "440106", "steps": ["school", "supervising"]}
    await mesh.post("44", "/api/v1/admin/workflow/rules", as_="440000_sysadmin", json=county)
    assert await _units(mesh) == [SCHOOL, "440106"]  # the county row beats the city row


@pytest.mark.parametrize(
    ("user", "rule", "status", "code"),
    [
        (
            "440106_sysadmin",
            {"scope": "440106", "steps": ["school"]},
            403,
            "province_sysadmin_only",
        ),
        (
            "440000_sysadmin",
            {"scope": "440106", "steps": ["school", "bureau_chief"]},
            422,
            "unknown_level",
        ),
        ("440000_sysadmin", {"scope": "340100", "steps": ["school"]}, 422, "outside_jurisdiction"),
        ("440000_sysadmin", {"scope": "440106", "steps": ["city", "school"]}, 422, "bad_chain"),
    ],
)
async def test_sys1_bad_chain_configuration_changes_nothing(
    mesh: Mesh, user: str, rule: dict, status: int, code: str
) -> None:
    body = {"business_type": "register_non_primary_resident"} | rule
    refused = await mesh.post("44", "/api/v1/admin/workflow/rules", as_=user, json=body)
    assert refused.status_code == status, refused.text
    assert refused.json()["code"] == code
    assert await _units(mesh) == [SCHOOL, "440106"]


async def test_sys1_chain_of_a_school_outside_the_jurisdiction_is_refused(mesh: Mesh) -> None:
    refused = await mesh.get("44", CHAIN, as_="440103_registrar", params=QUERY)
    assert refused.status_code == 403


async def test_sys3_switches_changed_by_the_province_sysadmin_only(mesh: Mesh) -> None:
    path = "/api/v1/admin/switches"
    assert (await mesh.get("44", path, as_="440106_registrar")).json()["registration_open"]
    county = await mesh.patch("44", path, as_="440106_sysadmin", json={"registration_open": False})
    assert county.status_code == 403
    unknown = await mesh.patch("44", path, as_="440000_sysadmin", json={"coffee": True})
    assert unknown.status_code == 422 and unknown.json()["field"] == "coffee"
    changed = await mesh.patch("44", path, as_="440000_sysadmin", json={"registration_open": False})
    assert changed.status_code == 200 and changed.json()["registration_open"] is False
    assert not (await mesh.get("44", path, as_="440106_registrar")).json()["registration_open"]


async def test_sys2_province_overrides_key_dates(mesh: Mesh) -> None:
    path = "/api/v1/admin/key-dates"
    national = {"start": [7, 15], "end": [8, 14]}
    assert (await mesh.get("44", path, as_="440106_registrar")).json()[
        "transfer_freeze"
    ] == national
    july = {"start": [7, 1], "end": [8, 14]}
    changed = await mesh.patch("44", path, as_="440000_sysadmin", json={"transfer_freeze": july})
    assert changed.status_code == 200 and changed.json()["transfer_freeze"] == july
    bad = {"transfer_freeze": {"start": [2, 30], "end": [8, 14]}}
    assert (await mesh.patch("44", path, as_="440000_sysadmin", json=bad)).status_code == 422
    assert (await mesh.get("44", path, as_="440106_registrar")).json()["transfer_freeze"] == july


async def test_sys2_key_dates_nothing_reads_yet_are_refused(mesh: Mesh) -> None:
    """Stored and never read would be a 200 that changes nothing: a 422 naming it."""
    path = "/api/v1/admin/key-dates"
    for key, value in (("pge_admission_deadline", [11, 20]),):
        refused = await mesh.patch("44", path, as_="440000_sysadmin", json={key: value})
        assert refused.status_code == 422, refused.text
        assert (refused.json()["field"], refused.json()["code"]) == (key, "key_date_not_in_use")
    unchanged = (await mesh.get("44", path, as_="440106_registrar")).json()
    assert unchanged["pge_admission_deadline"] == [11, 30]
    # GRD-3, GRD-1 and ADM-4 read theirs: the province sets them.
    for key, value in (
        ("promotion", [8, 20]),
        ("graduation_deadline", [7, 20]),
        ("junior_admission_window", {"start": [7, 1], "end": [9, 30]}),
    ):
        changed = await mesh.patch("44", path, as_="440000_sysadmin", json={key: value})
        assert changed.status_code == 200 and changed.json()[key] == value, changed.text


async def test_sys2_working_days_skip_the_national_day_week(mesh: Mesh) -> None:
    response = await mesh.get(
        "44",
        "/api/v1/calendar/working-days",
        as_="440106_registrar",
        params={"start": "2026-09-30", "days": 1},
    )
    assert response.json()["date"] == "2026-10-08"
    ten = await mesh.get(
        "44",
        "/api/v1/calendar/working-days",
        as_="440106_registrar",
        params={"start": "2026-09-25", "days": 10},
    )
    assert ten.json()["date"] == "2026-10-15"  # the make-up Saturday Oct 10 counts


async def test_reg10_closed_registration_period_refuses_new_registrations(mesh: Mesh) -> None:
    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"registration_open": False}
    )
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=808))
    closed = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert closed.status_code == 409 and closed.json()["code"] == "registration_closed"
    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"registration_open": True}
    )
    opened = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert opened.status_code == 201


async def test_reg5_instant_dedup_off_defers_the_national_check(mesh: Mesh) -> None:
    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"instant_dedup": False}
    )
    first = (
        await mesh.post(
            "44",
            "/api/v1/registrations",
            as_=REGISTRAR["44"],
            json=registration(JUNIOR_SCHOOL["44"], resident_id(sequence=870)),
        )
    ).json()
    assert (first["status"], first["dedup_status"]) == ("submitted", "pending")
    assert first["student_number"] is None  # no number, no review before dedup (REG-6)
    approver = f"{JUNIOR_SCHOOL['44']}_approver"
    early = await mesh.post(
        "44", f"/api/v1/registrations/{first['id']}/decisions", as_=approver, json={"approve": True}
    )
    assert early.status_code == 409

    # Meanwhile the same person is registered in 34, with instant dedup on there.
    elsewhere = await mesh.post(
        "34",
        "/api/v1/registrations",
        as_=REGISTRAR["34"],
        json=registration(JUNIOR_SCHOOL["34"], resident_id(sequence=870)),
    )
    assert elsewhere.status_code == 201
    second = (
        await mesh.post(
            "44",
            "/api/v1/registrations",
            as_=REGISTRAR["44"],
            json=registration(JUNIOR_SCHOOL["44"], resident_id(sequence=871)),
        )
    ).json()

    swept = await mesh.post("44", "/api/v1/admin/dedup/run", as_="440000_sysadmin")
    assert swept.json() == {"checked": 2, "refused": 1}
    refused = (
        await mesh.get("44", f"/api/v1/registrations/{first['id']}", as_=REGISTRAR["44"])
    ).json()
    assert (refused["status"], refused["holder_province"]) == ("refused", "34")
    passed = (
        await mesh.get("44", f"/api/v1/registrations/{second['id']}", as_=REGISTRAR["44"])
    ).json()
    assert (passed["status"], passed["dedup_status"]) == ("in_review", "passed")
    assert passed["student_number"] and passed["chain"]
