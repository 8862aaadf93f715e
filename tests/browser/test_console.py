"""The consoles in headless Chromium: what operators do with keyboard and mouse (issue 7)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from contracts.ids import IdGroup
from province_node.excel.templates import build_template
from simulations.demo import school_code
from simulations.excel import filled
from tests.browser.conftest import log_in, menu
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCHOOL = JUNIOR_SCHOOL["44"]  # 天河区 (440106)
PRIMARY = school_code("440106", 1)


async def test_sec2_first_login_forces_a_password_change(mesh: Mesh, urls, new_page) -> None:
    created = await mesh.post(
        "44",
        "/api/v1/admin/accounts",
        as_="440106_sysadmin",
        json={
            "username": "tianhe_newcomer",
            "display_name": "新来的学籍管理员",
            "unit_code": SCHOOL,
            "role": "registrar",
            "password": "Start1234",
        },
    )
    assert created.status_code == 201, created.text
    page = await new_page()
    await log_in(page, urls["44"], "tianhe_newcomer", "wrong-password")
    await page.get_by_text("用户名或密码错误").wait_for()
    await log_in(page, urls["44"], "tianhe_newcomer", "Start1234")
    await page.wait_for_url(re.compile(r"/password$"))
    await page.get_by_text("须先修改密码").wait_for()
    assert await page.locator("nav.menu").count() == 0  # nothing else until it is changed
    await page.get_by_label("原密码").fill("Start1234")
    await page.get_by_label("新密码", exact=True).fill("Better5678")
    await page.get_by_label("确认新密码").fill("Better5679")
    await page.get_by_role("button", name="保存").click()
    await page.locator("#e-confirm_password", has_text="两次输入的新密码不一致").wait_for()
    await page.get_by_label("原密码").fill("Start1234")
    await page.get_by_label("新密码", exact=True).fill("Better5678")
    await page.get_by_label("确认新密码").fill("Better5678")
    await page.keyboard.press("Enter")
    await page.get_by_text("密码已修改").wait_for()
    await page.goto(f"{urls['44']}/")
    header = await page.locator("header").inner_text()
    assert "天河区" in header and "tianhe_newcomer" in header
    await page.get_by_role("button", name="退出").click()
    await page.wait_for_url(re.compile(r"/login"))
    await page.get_by_text("已退出登录").wait_for()


async def test_reg4_import_shows_the_bad_row(mesh: Mesh, urls, new_page) -> None:
    child = {"姓名": "张小一", "身份证件类型": "1-居民身份证", "民族": "01-汉族", "班号": "2026101"}
    good = resident_id(born=date(2020, 3, 9), sequence=501)
    bad = resident_id(born=date(2020, 3, 9), sequence=502)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check character
    rows = [child | {"身份证件号": good}, child | {"姓名": "李小二", "身份证件号": bad}]
    data = filled(build_template(IdGroup.RESIDENT, "primary"), rows)
    page = await new_page()
    await log_in(page, urls["44"], f"{PRIMARY}_registrar")
    await menu(page, "学籍注册导入")
    await page.get_by_label("注册类型").select_option("primary")
    await page.get_by_label("身份证件类型").select_option("resident")
    await page.get_by_label("Excel 文件（.xlsx）").set_input_files(
        files=[{"name": "新生.xlsx", "mimeType": "application/octet-stream", "buffer": data}]
    )
    await page.get_by_role("button", name="导入").click()
    problems = page.locator("#import-record")
    await problems.get_by_role("cell", name="第3行", exact=True).wait_for()
    text = await problems.inner_text()
    assert "校验位不正确" in text and "未通过 1" in text


async def test_a_county_never_sees_another_countys_student(mesh: Mesh, urls, new_page) -> None:
    body = registration(SCHOOL, resident_id(sequence=246), name="林一")
    created = (
        await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    ).json()
    await approve_fully(mesh, "44", created["id"])
    number = created["student_number"]

    tianhe, liwan = await new_page(), await new_page()
    await log_in(tianhe, urls["44"], "440106_registrar")
    await menu(tianhe, "在校生查询")
    await tianhe.get_by_label("学籍号", exact=True).fill(number)
    await tianhe.get_by_role("button", name="查询").click()
    await tianhe.get_by_role("link", name=number).click()
    await tianhe.get_by_role("heading", name="学生信息：林一").wait_for()
    assert "注册建籍" in await tianhe.locator("main").inner_text()

    await log_in(liwan, urls["44"], "440103_registrar")
    await liwan.goto(f"{urls['44']}/students?student_number={number}")
    await liwan.get_by_text("没有符合条件的学生").wait_for()
    response = await liwan.goto(f"{urls['44']}/students/{number}")
    assert response.status == 404  # as a number nobody holds (SEC-8)
    text = await liwan.locator("main").inner_text()
    assert "不在本单位管辖范围内" in text and "林一" not in text


async def test_reg6_registrar_enters_and_approver_approves(mesh: Mesh, urls, new_page) -> None:
    registrar = await new_page()
    await log_in(registrar, urls["44"], REGISTRAR["44"])
    await menu(registrar, "学籍注册录入")
    await registrar.get_by_label("身份证件号").fill("44010620150309123")  # 17 characters
    await registrar.get_by_text("应为18位").wait_for()  # the live check, while typing
    await registrar.get_by_label("身份证件号").fill(resident_id(sequence=321))
    await registrar.get_by_text("证件号校验通过").wait_for()
    assert await registrar.get_by_label("出生日期").input_value() == "2015-03-09"
    await registrar.get_by_label("姓名", exact=True).fill("陈小东")
    await registrar.get_by_label("班级").select_option("2026201")
    await registrar.get_by_role("button", name="保存并继续录入").click()
    await registrar.get_by_text("已提交 陈小东 的学籍注册").wait_for()

    approver = await new_page()
    await log_in(approver, urls["44"], f"{SCHOOL}_approver")
    await menu(approver, "学籍注册审核")
    row = approver.get_by_role("row").filter(has_text="陈小东")
    await row.get_by_role("button", name="审核", exact=True).click()
    dialog = approver.get_by_role("dialog")
    await dialog.get_by_role("button", name="审核不通过").click()  # no opinion given
    dialog = approver.get_by_role("dialog")
    await dialog.get_by_text("退回时须填写审核意见").wait_for()
    await dialog.get_by_role("button", name="审核通过").click()
    await approver.get_by_text("陈小东：审核通过").wait_for()

    await menu(registrar, "学籍注册上报")
    await registrar.get_by_role("row").filter(has_text="陈小东").wait_for()
