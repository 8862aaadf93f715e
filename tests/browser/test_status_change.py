"""学籍异动 and 省内转学 clicked through in Chromium by every account of their chains
(CHG-1, CHG-2, CHG-4): a suspension and the resumption, then a transfer across two counties.

The school registrar applies from 异动申请 / 转学申请; each deciding unit opens its 审核 / 核办
page (the home page's 待办 panel counts it first) and decides in the one dialog.
"""

from __future__ import annotations

from datetime import date

import pytest

from contracts.ids import Sex
from simulations.population import Person
from tests.browser.conftest import log_in, menu
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.people import PNG

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIANHE, LIWAN = "3440106002", "3440103002"


async def _apply(page, base: str, path_label: str, number: str, name: str, fill) -> None:
    await menu(page, path_label)
    await page.get_by_label("全国学籍号").fill(number)
    await page.get_by_label("学生姓名").fill(name)
    await page.get_by_role("button", name="查询").click()
    await page.get_by_role("heading", name="第二步", exact=False).wait_for()
    await fill(page)
    await page.get_by_role("button", name="保存").click()
    await page.get_by_text("已提交").wait_for()


async def _decide_all(
    new_page, base: str, deciders: list[str], name: str, word: str, menu_label: str = ""
) -> None:
    menu_label = menu_label or ("异动审核" if word == "审核" else "转学核办")
    for username in deciders:
        page = await new_page()
        await log_in(page, base, username)
        panel = page.get_by_role("region", name="待办事项")
        assert "1" in await panel.get_by_role("link").filter(has_text=menu_label[:2]).inner_text()
        await menu(page, menu_label)
        row = page.get_by_role("row").filter(has_text=name)
        await row.get_by_role("button", name=word, exact=True).click()
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label(f"{word}意见").fill("同意")
        await dialog.get_by_role("button", name=f"{word}通过").click()
        await page.get_by_text(f"{word}通过", exact=True).wait_for()
        assert await page.get_by_role("row").filter(has_text=name).count() == 0
        await page.context.close()


async def test_chg1_suspension_and_resumption_clicked_through(mesh: Mesh, urls, new_page) -> None:
    name = "粤休学"
    number = await enrolled_student(mesh, "44", 631, name=name, class_code="2025201",
                                    school=TIANHE)  # fmt: skip
    registrar = await new_page()
    await log_in(registrar, urls["44"], f"{TIANHE}_registrar")

    async def suspension(page) -> None:
        await page.get_by_label("异动类别").select_option("suspension")
        await page.get_by_label("异动原因").fill("因病休养")

    await _apply(registrar, urls["44"], "异动申请", number, name, suspension)
    await _decide_all(new_page, urls["44"], [f"{TIANHE}_approver", "440106_registrar"], name,
                      "审核")  # fmt: skip

    async def resumption(page) -> None:
        assert "休学时年级" in await page.locator("main").inner_text()  # shown on the form
        await page.get_by_label("异动类别").select_option("resumption")
        await page.get_by_label("年级和班级", exact=False).select_option("2025202")
        await page.get_by_label("异动原因").fill("病愈复学")

    await _apply(registrar, urls["44"], "异动申请", number, name, resumption)
    await _decide_all(new_page, urls["44"], [f"{TIANHE}_approver", "440106_registrar"], name,
                      "审核")  # fmt: skip
    await menu(registrar, "异动查询")
    rows = registrar.get_by_role("row").filter(has_text=name)
    assert await rows.count() == 2
    assert "已生效" in await rows.first.inner_text()
    record = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert (record.json()["status"], record.json()["class_code"]) == ("在校", "2025202")


async def test_chg4_in_province_transfer_clicked_through(mesh: Mesh, urls, new_page, tmp_path):
    name = "粤转学"
    number = await enrolled_student(mesh, "44", 633, name=name, class_code="2025201",
                                    school=LIWAN)  # fmt: skip
    proof = tmp_path / "proof.png"
    proof.write_bytes(PNG)
    registrar = await new_page()
    await log_in(registrar, urls["44"], f"{TIANHE}_registrar")

    async def transfer(page) -> None:
        assert "荔湾区" in await page.locator("main").inner_text()  # found in the other county
        await page.get_by_label("转入年级和班级").select_option("2024201")
        await page.get_by_label("转学理由").fill("随父母工作调动")
        await page.get_by_label("证明材料", exact=False).set_input_files(str(proof))

    await _apply(registrar, urls["44"], "转学申请", number, name, transfer)
    deciders = [f"{TIANHE}_approver", "440106_registrar", f"{LIWAN}_approver", "440103_registrar"]
    await _decide_all(new_page, urls["44"], deciders, name, "核办")
    await menu(registrar, "转学查询")
    row = registrar.get_by_role("row").filter(has_text=name)
    assert "已生效" in await row.inner_text()
    await row.get_by_role("link", name=name).click()
    timeline = await registrar.locator("ol.timeline").inner_text()
    assert timeline.count("通过") == 4 and "未开始" not in timeline
    record = await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")
    assert (record.json()["school_code"], record.json()["class_code"]) == (TIANHE, "2024201")


async def test_kdc2_a_name_change_clicked_through(mesh: Mesh, urls, new_page, tmp_path) -> None:
    name = "粤改名"
    number = await enrolled_student(mesh, "44", 635, name=name, school=TIANHE)
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()
    person = record["id_number"]
    mesh.registry.add(
        Person(person, "粤新名", Sex(record["sex"]), date.fromisoformat(person[6:14]))
    )
    proof = tmp_path / "proof.png"
    proof.write_bytes(PNG)
    registrar = await new_page()
    await log_in(registrar, urls["44"], f"{TIANHE}_registrar")

    async def rename(page) -> None:
        await page.get_by_label("姓名", exact=True).fill("粤新名")
        await page.get_by_label("变更原因").fill("户口簿姓名已变更")
        await page.get_by_label("证明材料", exact=False).set_input_files(str(proof))

    await _apply(registrar, urls["44"], "变更申请", number, name, rename)
    await _decide_all(new_page, urls["44"], [f"{TIANHE}_approver", "440106_registrar"], name,
                      "审核", menu_label="变更审核")  # fmt: skip
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()
    assert record["name"] == "粤新名"
