"""A whole cross-province transfer (XPT-1…XPT-6) clicked through in Chromium (issue 7).

广东 (44) → 安徽 (34): the transfer-in school's registrar looks the student up nationally and
applies; the four deciding units of both provinces approve in order from their own 核办
page; the registrar pulls the archive, the tracking page shows every step done, and the
student is found in 34.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, menu
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR

pytestmark = pytest.mark.asyncio(loop_scope="module")

NAME = "粤小转"
#: The chain of the case, in order (SYS-1 defaults): in school, in county, out school, out county.
DECIDERS = [
    ("34", f"{JUNIOR_SCHOOL['34']}_approver"),
    ("34", "340104_registrar"),
    ("44", f"{JUNIOR_SCHOOL['44']}_approver"),
    ("44", "440106_registrar"),
]
REJECTS_FIRST = "340104_registrar"


async def test_xpt_transfer_clicked_through_by_six_users(mesh: Mesh, urls, new_page) -> None:
    number = await enrolled_student(mesh, "44", 611, name=NAME)

    registrar = await new_page()
    await log_in(registrar, urls["34"], REGISTRAR["34"])
    await menu(registrar, "跨省转学申请")
    await registrar.get_by_label("姓名", exact=True).fill(NAME)
    await registrar.get_by_label("全国学籍号或身份证件号").fill(number)
    await registrar.get_by_role("button", name="查询").click()
    await registrar.get_by_role("heading", name="第二步：填写申请").wait_for()
    assert "广东省" in await registrar.locator("main").inner_text()
    await registrar.get_by_label("转入年级和班级").select_option("2026201")
    await registrar.get_by_label("转学理由").fill("随父母工作调动")
    await registrar.get_by_role("button", name="保存").click()
    await registrar.get_by_text("已发起跨省转学申请").wait_for()

    for province, username in DECIDERS:
        decider = await new_page()
        await log_in(decider, urls[province], username)
        await menu(decider, "跨省转学核办")
        row = decider.get_by_role("row").filter(has_text=NAME)
        await row.get_by_role("button", name="核办", exact=True).click()
        dialog = decider.get_by_role("dialog")
        if username == REJECTS_FIRST:
            await dialog.get_by_role("button", name="核办不通过").click()  # no opinion
            dialog = decider.get_by_role("dialog")
            message = dialog.get_by_role("alert")
            await message.filter(has_text="核办不通过时必须填写意见").wait_for()  # the hub's
            described = await dialog.get_by_label("核办意见").get_attribute("aria-describedby")
            assert described == await message.get_attribute("id")  # next to the field
        await dialog.get_by_label("核办意见").fill("同意")
        await dialog.get_by_role("button", name="核办通过").click()
        await decider.get_by_text("核办通过", exact=True).wait_for()
        assert await decider.get_by_role("row").filter(has_text=NAME).count() == 0
        await decider.context.close()

    await menu(registrar, "跨省转学查询")
    row = registrar.get_by_role("row").filter(has_text=NAME)
    assert "已通过，待调档" in await row.inner_text()
    await row.get_by_role("link", name="查看进度").click()
    await registrar.get_by_role("button", name="调档（学生已报到）").click()
    await registrar.get_by_text("已调档").wait_for()
    status = registrar.locator('dt:text-is("状态") + dd')
    for _ in range(50):  # the archive travels over NATS: 44 hands it over, 34 creates the record
        if await status.inner_text() == "已完成":
            break
        await registrar.wait_for_timeout(200)
        await registrar.reload()  # the pull answered with a redirect: a reload pulls nothing
    assert await status.inner_text() == "已完成"
    steps = registrar.locator("ol.timeline > li")
    assert await steps.count() == 5
    assert await registrar.locator("ol.timeline > li.done").count() == 5
    timeline = await registrar.locator("ol.timeline").inner_text()
    for unit in ("340104_registrar", "440106_registrar", "调档"):
        assert unit in timeline
    assert "办理中" not in timeline and "未开始" not in timeline

    await menu(registrar, "在校生查询")
    await registrar.get_by_label("学籍号", exact=True).fill(number)
    await registrar.get_by_role("button", name="查询").click()
    found = registrar.get_by_role("row").filter(has_text=number)
    assert NAME in await found.inner_text()
    await found.get_by_role("link", name=number).click()
    await registrar.get_by_role("heading", name=f"学生信息：{NAME}").wait_for()
    assert JUNIOR_SCHOOL["34"] in await registrar.locator("main").inner_text()
