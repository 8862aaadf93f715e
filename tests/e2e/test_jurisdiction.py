"""SEC-1 and jurisdiction as users meet them: hub and nodes over HTTP on a real nats-server.

Two users of one unit (the second login ends the first), and two counties that never see
each other's schools, registrations or students.
"""

from __future__ import annotations

import pytest

from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id

TIANHE_SCHOOL, LIWAN_SCHOOL = "3440106002", "3440103002"  # counties 440106 and 440103


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def test_sec1_two_users_of_one_school_and_one_account_one_session(mesh: Mesh) -> None:
    registrar = await mesh.login("44", f"{TIANHE_SCHOOL}_registrar")
    approver = await mesh.login("44", f"{TIANHE_SCHOOL}_approver")
    for token in (registrar, approver):  # two people of one unit work side by side
        me = await mesh.get("44", "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["unit_code"] == TIANHE_SCHOOL
    again = await mesh.post(
        "44",
        "/api/v1/auth/login",
        json={"username": f"{TIANHE_SCHOOL}_registrar", "password": "Xueji@2026"},
    )
    old = await mesh.get("44", "/api/v1/schools", headers={"Authorization": f"Bearer {registrar}"})
    assert old.status_code == 401 and old.json()["code"] == "session_replaced"
    new = again.json()["access_token"]
    assert (
        await mesh.get("44", "/api/v1/schools", headers={"Authorization": f"Bearer {new}"})
    ).status_code == 200


async def test_sec_two_counties_never_see_each_other(mesh: Mesh) -> None:
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=246), name="林一")
    created = (
        await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    ).json()
    number, registration_id = created["student_number"], created["id"]
    await approve_fully(mesh, "44", registration_id)

    tianhe, liwan = "440106_registrar", "440103_registrar"
    listed = (await mesh.get("44", "/api/v1/schools", as_=liwan)).json()["items"]
    assert {s["school_code"][:7] for s in listed} == {"3440103"}  # its own schools only
    assert len((await mesh.get("44", "/api/v1/schools", as_=tianhe)).json()["items"]) == 4

    for path, status in (
        (f"/api/v1/schools/{TIANHE_SCHOOL}", 403),  # a unit of the public org tree
        (f"/api/v1/registrations/{registration_id}", 404),  # a record: as a missing one (SEC-8)
    ):
        assert (await mesh.get("44", path, as_=tianhe)).status_code == 200, path
        refused = await mesh.get("44", path, as_=liwan)
        assert refused.status_code == status, path
        assert number not in refused.text and "林一" not in refused.text  # nothing leaked
    for path in (f"/api/v1/students/{number}", f"/api/v1/students/{number}/history"):
        assert (await mesh.get("44", path, as_=tianhe)).status_code == 200, path


async def test_sec8_a_student_outside_the_jurisdiction_answers_as_one_that_does_not_exist(
    mesh: Mesh,
) -> None:
    """GET of a student of another county and of a number nobody holds: the same 404, word
    for word (but the number asked), so a refusal tells nothing about what exists elsewhere."""
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=248), name="林三")
    created = (
        await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    ).json()
    number = (await approve_fully(mesh, "44", created["id"]))["student_number"]
    nobody = "G" + resident_id(sequence=901)  # a well-formed number never registered
    liwan = "440103_registrar"
    for suffix in ("", "/history"):
        foreign = await mesh.get("44", f"/api/v1/students/{number}{suffix}", as_=liwan)
        absent = await mesh.get("44", f"/api/v1/students/{nobody}{suffix}", as_=liwan)
        assert foreign.status_code == absent.status_code == 404, foreign.text
        assert foreign.text.replace(number, "N") == absent.text.replace(nobody, "N")
        assert "林三" not in foreign.text
    async with mesh.client("44") as console:  # the console's detail page, logged in
        form = {"username": liwan, "password": "Xueji@2026"}
        login = await console.post("/login", data=form)
        console.cookies.set("xueji_session", login.cookies["xueji_session"])
        page = await console.get(f"/students/{number}")
        missing = await console.get(f"/students/{nobody}")
    assert page.status_code == missing.status_code == 404
    assert page.text.replace(number, "N") == missing.text.replace(nobody, "N")

    # A school registers only its own students; a school sees only itself.
    other = registration(LIWAN_SCHOOL, resident_id(sequence=247), name="林二")
    refused = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=other)
    assert refused.status_code == 403
    own = (await mesh.get("44", "/api/v1/schools", as_=REGISTRAR["44"])).json()["items"]
    assert [s["school_code"] for s in own] == [JUNIOR_SCHOOL["44"]]
    # The province sees both counties.
    assert (
        await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    ).status_code == 200


async def test_sec_tokens_are_per_service_and_the_hub_needs_one(mesh: Mesh) -> None:
    province_token = await mesh.login("44", REGISTRAR["44"])
    query = {"name": "林一", "id_number": resident_id(sequence=246)}
    anonymous = await mesh.get("hub", "/api/v1/national/students", params=query)
    assert anonymous.status_code == 401
    foreign = await mesh.get(
        "hub",
        "/api/v1/national/students",
        params=query,
        headers={"Authorization": f"Bearer {province_token}"},
    )
    assert foreign.status_code == 401
    ministry = await mesh.get("hub", "/api/v1/national/students", as_=MINISTRY, params=query)
    assert ministry.status_code == 404  # known user, nothing registered under that identity
