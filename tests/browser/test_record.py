"""学籍数据维护 and 学生统计 clicked through in Chromium (DAY-1, DAY-3, QRY-6): the school edits
a record next to its fields, then the county opens the statistics page, whose chart is drawn
(Chart.js, vendored) beside its table."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, menu
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIANHE = "3440106002"


async def test_day1_qry6_a_record_edited_and_counted_on_a_chart(
    mesh: Mesh, urls: dict[str, str], new_page
) -> None:
    number = await enrolled_student(mesh, "44", 761, "邓维护", school=TIANHE)
    page = await new_page()
    await log_in(page, urls["44"], f"{TIANHE}_registrar")
    await page.goto(f"{urls['44']}/students/{number}")
    await page.get_by_role("link", name="维护").click()
    await page.get_by_label("邮政编码").fill("51")  # wrong: refused next to its field
    await page.get_by_role("button", name="保存").click()
    await page.get_by_text("“邮政编码”格式不正确").wait_for()
    await page.get_by_label("邮政编码").fill("510000")
    await page.get_by_label("现住址").fill("天河路9号")
    await page.get_by_label("是否随迁子女", exact=True).select_option("1")
    await page.get_by_label("修改原因").fill("家访核实")
    await page.get_by_role("button", name="保存").click()
    await page.get_by_text("已保存").wait_for()
    await page.goto(f"{urls['44']}/students/{number}")
    assert "天河路9号" in await page.content()

    county = await new_page()
    await log_in(county, urls["44"], "440106_registrar")
    await menu(county, "学生统计")
    await county.get_by_label("学生类别").select_option("migrant")
    await county.get_by_label("统计维度").select_option("stage")
    await county.get_by_role("button", name="统计").click()
    table = county.get_by_role("table").filter(has_text="人数")
    await table.get_by_role("cell", name="初中").wait_for()
    drawn = await county.evaluate(
        "() => !!Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    assert drawn, "the chart was not drawn"
