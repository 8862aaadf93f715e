"""日常管理 → 随迁子女 / 留守儿童 / 特殊群体（残疾）/ 学籍信息变更记录 on the node console (DAY-3,
DAY-4, DAY-5, DAY-7): the flagged students beside the school's grade → class tree, the
"有变更记录" filter, and the county's term review — over HTTP as the demo users."""

from __future__ import annotations

import pytest

from tests.support.cases import enrolled_student
from tests.support.console import console_session
from tests.support.mesh import Mesh


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")

JUNIOR = "3440106002"
REGISTRAR = f"{JUNIOR}_registrar"


async def _patch(mesh: Mesh, number: str, body: dict) -> None:
    reply = await mesh.patch("44", f"/api/v1/students/{number}", as_=REGISTRAR, json=body)
    assert reply.status_code == 200, reply.text


async def _student(mesh: Mesh, sequence: int, name: str, class_code: str = "2026201") -> str:
    return await enrolled_student(mesh, "44", sequence, name, class_code=class_code,
                                  school=JUNIOR)  # fmt: skip


async def test_day3_migrant_list_by_grade_and_class_with_the_change_filter(mesh: Mesh) -> None:
    plain = await _student(mesh, 971, "随迁甲")
    changed = await _student(mesh, 972, "随迁乙")
    other_class = await _student(mesh, 973, "随迁丙", class_code="2026202")
    never = await _student(mesh, 974, "随迁丁")
    await _patch(mesh, plain, {"migrant": True})
    await _patch(mesh, changed, {"migrant": False})
    await _patch(mesh, changed, {"migrant": True, "migrant_worker": True})  # a change history
    await _patch(mesh, other_class, {"migrant": True})
    async with console_session(mesh, REGISTRAR) as client:
        home = (await client.get("/")).text
        assert "/records/migrant" in home and "学籍信息变更记录" in home  # under 日常管理
        page = await client.get("/records/migrant")
        assert page.status_code == 200, page.text
        assert {plain, changed, other_class} <= _numbers(page.text) and never not in page.text
        assert "class_code=2026201" in page.text and "class_code=2026202" in page.text  # tree
        assert "grade=" in page.text
        one_class = (await client.get("/records/migrant", params={"class_code": "2026202"})).text
        assert other_class in one_class and plain not in one_class
        history = (await client.get("/records/migrant", params={"changed": "1"})).text
        assert changed in history and plain not in history and other_class not in history
    async with console_session(mesh, "440106_registrar") as county:
        picked = await county.get("/records/migrant", params={"school_code": JUNIOR})
        assert picked.status_code == 200 and {plain, changed} <= _numbers(picked.text)
        assert "class_code=2026201" in picked.text
    async with console_session(mesh, "440103_registrar") as stranger:
        outside = await stranger.get("/records/migrant", params={"school_code": JUNIOR})
        assert outside.status_code in (403, 404, 422), outside.text
        assert plain not in outside.text and "class_code=2026201" not in outside.text


async def test_day4_day5_left_behind_and_special_lists(mesh: Mesh) -> None:
    left = await _student(mesh, 975, "留守甲")
    special = await _student(mesh, 976, "残疾甲")
    block = {"study_type": "普通学校随班就读", "proof_type": "有明显残疾症状",
             "description": "行走不便"}  # fmt: skip
    await _patch(mesh, left, {"left_behind": True, "rural_left_behind": True})
    await _patch(mesh, special, {"disabled": True, "special_needs": block})
    async with console_session(mesh, REGISTRAR) as client:
        behind = await client.get("/records/left-behind")
        assert behind.status_code == 200 and "农村留守儿童" in behind.text
        assert left in behind.text and special not in behind.text
        disabled = await client.get("/records/special")
        assert disabled.status_code == 200 and "已填特教学生信息" in disabled.text
        assert special in disabled.text and left not in disabled.text
        assert "有变更记录" not in disabled.text  # DAY-5 keeps no flag history
        unknown = await client.get("/records/nothing")
        assert unknown.status_code in (404, 422), unknown.text


async def test_day7_updates_page_lists_changed_flags_and_the_county_reviews(mesh: Mesh) -> None:
    number = await _student(mesh, 977, "更新甲", class_code="2026202")
    await _patch(mesh, number, {"left_behind": True})
    await _patch(mesh, number, {"left_behind": False, "address": "天河路9号"})
    async with console_session(mesh, REGISTRAR) as school:
        page = await school.get("/records/updates", params={"flag": "left-behind"})
        assert page.status_code == 200 and number in page.text
        assert "信息更新审核" in page.text and "未审核" in page.text
        assert "/records/updates/reviews" not in page.text  # a school does not review
        refused = await school.post("/records/updates/reviews",
                                    data={"term": "2026-1", "review_school": JUNIOR})  # fmt: skip
        assert refused.status_code == 403, refused.text
        bad = await school.get("/records/updates", params={"term": "2026"})
        assert bad.status_code == 422 and "学期应为" in bad.text
    async with console_session(mesh, "440106_registrar") as county:
        page = await county.get("/records/updates", params={"school_code": JUNIOR})
        assert page.status_code == 200 and "/records/updates/reviews" in page.text
        done = await county.post(
            f"/records/updates/reviews?school_code={JUNIOR}",
            data={"term": "2026-1", "review_school": JUNIOR, "note": "已核"},
        )
        assert done.status_code == 200, done.text
        assert "已审核" in done.text and "未审核" not in done.text
    reviewed = await mesh.get("44", "/api/v1/students/updates", as_="440106_registrar",
                              params={"term": "2026-1"})  # fmt: skip
    assert {i["school_code"]: i["reviewed"] for i in reviewed.json()["items"]}[JUNIOR] is True


def _numbers(html: str) -> set[str]:
    import re

    return set(re.findall(r'href="/students/([GJL]\d{18})"', html))
