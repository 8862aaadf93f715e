"""QRY-4 全国学籍查询: what the answer holds (exactly SPEC's list, the province of record's
part asked of it), one limit per authenticated account on every path (node API and console,
hub API and console), and the consoles' captcha."""

from __future__ import annotations

import re

import pytest

from tests.support.cases import enrolled_student
from tests.support.console import console_session, national_query
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id

pytestmark = pytest.mark.asyncio(loop_scope="module")
PATH = "/api/v1/national/students"
RESULT = "<h2>查询结果</h2>"
SPEC_FIELDS = {
    "name", "sex", "id_type", "id_number", "student_number", "province",  # the index's
    "stage", "grade", "status", "has_open_problem", "last_change_at",  # the province's
    "record_available",
}  # fmt: skip


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


async def _ask(mesh: Mesh, as_: str, name: str, number: str, service: str = "hub"):
    return await mesh.get(service, PATH, as_=as_, params={"name": name, "student_number": number})


async def test_qry4_answer_is_exactly_what_spec_lists(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 801, name="钱一")
    found = await _ask(mesh, MINISTRY, "钱一", number)
    assert found.status_code == 200, found.text
    body = found.json()
    assert set(body) == SPEC_FIELDS  # no dedup key, registration id or other records
    assert (body["province"], body["student_number"], body["name"]) == ("44", number, "钱一")
    # 天河区 schools are 5-4: the first junior grade is the sixth year of schooling (XPT-9)
    assert (body["stage"], body["grade"], body["status"]) == ("初中", 6, "在校")
    assert body["has_open_problem"] is False and body["record_available"] is True
    assert body["last_change_at"]
    by_id = await mesh.get("hub", PATH, as_=MINISTRY,
                           params={"name": "钱一", "id_number": number[1:]})  # fmt: skip
    assert by_id.json() == body
    from_node = await _ask(mesh, REGISTRAR["34"], "钱一", number, service="34")
    assert from_node.status_code == 200 and from_node.json() == body  # the same answer


async def test_qry4_open_problem_record_is_flagged(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 802, name="钱二", authenticated=False)
    body = (await _ask(mesh, MINISTRY, "钱二", number)).json()
    assert number.startswith("L") and body["has_open_problem"] is True


async def test_qry4_a_registration_not_yet_approved_is_not_found(mesh: Mesh) -> None:
    person = resident_id(region=JUNIOR_SCHOOL["44"][1:7], sequence=803)
    body = registration(JUNIOR_SCHOOL["44"], person, name="钱三")
    entered = await mesh.post("44", "/api/v1/registrations",
                              as_=f"{JUNIOR_SCHOOL['44']}_registrar", json=body)  # fmt: skip
    assert entered.status_code == 201, entered.text
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.national_student("钱三", person) is not None)  # claimed
    asked = await mesh.get("hub", PATH, as_=MINISTRY, params={"name": "钱三", "id_number": person})
    assert asked.status_code == 404  # a claim is not a student


async def test_qry4_province_not_answering_leaves_its_part_unknown(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 804, name="钱四")
    await mesh.stop("44")
    try:
        found = await _ask(mesh, MINISTRY, "钱四", number)
    finally:
        await mesh.start("44")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["record_available"] is False and body["province"] == "44"
    assert (body["stage"], body["grade"], body["status"], body["has_open_problem"]) == (
        None, None, None, None,
    )  # fmt: skip


async def test_qry4_one_limit_per_account_across_the_hub_api_and_console(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 805, name="钱五")
    account = "moe_approver"
    answers = [(await _ask(mesh, account, "钱五", number)).status_code for _ in range(30)]
    assert answers == [200] * 30
    async with console_session(mesh, account, "hub") as client:
        page = await national_query(mesh, client, "hub", "钱五", number)
    assert "查询过于频繁" in page.text and RESULT not in page.text  # the same limit
    other = await _ask(mesh, MINISTRY, "钱五", number)
    assert other.status_code == 200  # another account has its own


async def test_qry4_node_console_and_api_share_the_limit_on_the_hub(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 806, name="钱六")
    account = "340104_registrar"
    async with console_session(mesh, account, "34") as client:
        for _ in range(30):
            page = await national_query(mesh, client, "34", "钱六", number)
            assert RESULT in page.text
        refused = await _ask(mesh, account, "钱六", number, service="34")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_queries"


async def test_qry4_console_query_needs_the_captcha_once(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 807, name="钱七")
    async with console_session(mesh, REGISTRAR["34"], "34") as client:
        page = await client.get("/national")
        challenge = re.search(r'name="challenge" value="([^"]+)"', page.text)[1]
        image = await client.get(f"/captcha/{challenge}.png")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        asked = {"name": "钱七", "number": number, "challenge": challenge}
        wrong = await client.get("/national", params=asked | {"captcha": "0000"})
        assert "验证码不正确" in wrong.text and RESULT not in wrong.text
        answer = mesh.apps["34"].state.console.captchas.answer(challenge)
        assert answer is None  # a wrong answer used the challenge up
        missing = await client.get("/national", params={"name": "钱七", "number": number})
        assert "验证码已失效" in missing.text and RESULT not in missing.text
        right = await national_query(mesh, client, "34", "钱七", number)
        assert RESULT in right.text and "在校" in right.text
        gone = await client.get(f"/captcha/{challenge}.png")
        assert gone.status_code == 404


async def test_qry4_schools_and_counties_tell_parents_the_national_number(mesh: Mesh) -> None:
    """[003 §三]: name plus the ID number a parent brings → the number, and the 学生基本信息表
    to print for the unit's own students."""
    number = await enrolled_student(mesh, "44", 808, name="钱八")
    async with console_session(mesh, "440106_registrar", "44") as county:
        menu = (await county.get("/")).text
        assert "全国学籍号查询服务" in menu
        page = await national_query(mesh, county, "44", "钱八", number[1:], path="/national/number")
        assert f"<strong>{number}</strong>" in page.text
        assert f"/students/{number}/card?kind=info" in page.text
    async with console_session(mesh, REGISTRAR["34"], "34") as school:
        page = await national_query(mesh, school, "34", "钱八", number[1:], path="/national/number")
        assert f"<strong>{number}</strong>" in page.text and "card?kind=info" not in page.text
    async with console_session(mesh, "440000_registrar", "44") as province:
        assert "全国学籍号查询服务" not in (await province.get("/")).text  # schools and counties
