"""`make screenshots`: PNGs of the main console pages with demo data (README "Tour").

Starts a mesh (hub, 34, 44, the registry stand-ins) on a real nats-server, registers demo
students through the API, imports a file with a bad row, then photographs the pages in
Debian's chromium, including a cross-province transfer on the real transfer API.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.async_api import Page, async_playwright

from contracts.ids import IdGroup
from province_node.excel.templates import build_template
from simulations.demo import school_code
from simulations.excel import filled
from simulations.population import person
from tests.support.cases import duplicate_pair, enrolled_student
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import NatsServer
from tests.support.people import JUNIOR_SCHOOL, resident_id
from tests.support.served import CHROMIUM_ARGS, chromium_path, served

SCHOOL, PRIMARY = JUNIOR_SCHOOL["44"], school_code("440106", 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _demo_data(mesh: Mesh) -> list[tuple[str, str]]:
    """Students in 44: some registered, some awaiting the school approver; an import."""
    numbers = []
    for index in range(6):
        someone = person("44", index)
        body = {
            "entry": "non_primary",
            "id_type": "1",
            "id_number": someone.id_number,
            "name": someone.name,
            "school_code": SCHOOL,
            "class_code": "2026201",
            "guardians": [
                {
                    "name": someone.name[0] + "建国",
                    "relation": "父亲",
                    "id_type": "1",
                    "id_number": resident_id(born=date(1985, 5, 1), sequence=100 + index),
                }
            ],
        }
        created = await mesh.post(
            "44", "/api/v1/registrations", as_=f"{SCHOOL}_registrar", json=body
        )
        if created.status_code != 201:
            continue
        if index < 4:
            await approve_fully(mesh, "44", created.json()["id"])
            numbers.append((created.json()["student_number"], someone.name))
    return numbers


async def _out_of_province_student(mesh: Mesh) -> tuple[str, str]:
    """A student of 安徽 (34) that a 广东 school will ask to transfer in."""
    return await enrolled_student(mesh, "34", 88, name="皖小明"), "皖小明"


def _import_file() -> bytes:
    """A primary-school file with one good row, a bad check digit and an unknown class."""
    child = {"身份证件类型": "1-居民身份证", "民族": "01-汉族", "班号": "2026101"}
    good = resident_id(born=date(2020, 3, 9), sequence=601)
    bad = resident_id(born=date(2020, 3, 9), sequence=602)
    rows = [
        child | {"姓名": "周小雨", "身份证件号": good},
        child | {"姓名": "吴小川", "身份证件号": bad[:-1] + ("0" if bad[-1] != "0" else "1")},
        child | {"姓名": "郑小山", "身份证件号": resident_id(sequence=603), "班号": "2026199"},
    ]
    return filled(build_template(IdGroup.RESIDENT, "primary"), rows)


async def _shoot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=out / f"{name}.png", full_page=True)
    print("saved", out / f"{name}.png")


async def _log_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill("Xueji@2026")
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()


async def _tour(
    mesh: Mesh, urls: dict[str, str], browser, out: Path, numbers: list[tuple[str, str]],
    wanted, problem_id: str,
) -> None:  # fmt: skip
    async def user(username: str, base: str = urls["44"]) -> Page:
        context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 760})
        page = await context.new_page()
        await _log_in(page, base, username)
        return page

    anonymous = await (
        await browser.new_context(viewport={"width": 1280, "height": 600})
    ).new_page()
    await anonymous.goto(f"{urls['44']}/login")
    await _shoot(anonymous, out, "01-login")
    registrar = await user(f"{SCHOOL}_registrar")
    await _shoot(registrar, out, "02-home-school-registrar")
    await registrar.goto(f"{urls['44']}/registration/new")
    await registrar.get_by_label("身份证件号").fill(resident_id(sequence=777))
    await registrar.get_by_text("证件号校验通过").wait_for()
    await registrar.get_by_label("姓名", exact=True).fill("陈小东")
    await _shoot(registrar, out, "03-registration-entry")
    importer = await user(f"{PRIMARY}_registrar")
    await importer.goto(f"{urls['44']}/registration/import")
    await importer.get_by_label("注册类型").select_option("primary")
    await importer.get_by_label("Excel 文件（.xlsx）").set_input_files(
        files=[{"name": "2026级新生.xlsx", "mimeType": XLSX, "buffer": _import_file()}]
    )
    await importer.get_by_role("button", name="导入").click()
    await importer.locator("#import-record").wait_for()
    await _shoot(importer, out, "04-registration-import")
    approver = await user(f"{SCHOOL}_approver")
    await approver.goto(f"{urls['44']}/registration/review")
    await _shoot(approver, out, "05-registration-review")
    await approver.get_by_role("button", name="审核", exact=True).first.click()
    await _shoot(approver, out, "06-registration-decision-dialog")
    county = await user("440106_registrar")
    student, student_name = numbers[0]
    await county.goto(
        f"{urls['44']}/students?school_code={SCHOOL}&c0_field=grade&c0_op=contains&c0_value=初中"
    )
    await county.get_by_role("cell", name=student).first.wait_for()
    await _shoot(county, out, "07-students-query")
    await county.goto(f"{urls['44']}/students/{student}")
    await _shoot(county, out, "08-student-detail")
    number, name = wanted
    await registrar.goto(f"{urls['44']}/transfers/new?name={name}&number={number}")
    await registrar.get_by_label("转入年级和班级").select_option("2026201")
    await registrar.get_by_label("转学理由").fill("随父母工作调动到广州")
    await _shoot(registrar, out, "09-transfer-apply")
    await registrar.get_by_role("button", name="保存").click()
    await approver.goto(f"{urls['44']}/transfers/pending")
    await approver.get_by_role("button", name="核办").first.click()
    await _shoot(approver, out, "10-transfer-pending-dialog")
    await approver.get_by_role("button", name="核办通过").click()
    await registrar.goto(f"{urls['44']}/transfers/query")
    await registrar.get_by_role("link", name="查看进度").first.click()
    await _shoot(registrar, out, "11-transfer-tracking")
    ministry = await user("moe_registrar", urls["hub"])
    await ministry.goto(f"{urls['hub']}/national")
    challenge = await ministry.locator("input[name=challenge]").get_attribute("value")
    answer = mesh.apps["hub"].state.console.captchas.answer(challenge)  # what the image shows
    await ministry.goto(f"{urls['hub']}/national?name={student_name}&number={student}"
                        f"&challenge={challenge}&captcha={answer}")  # fmt: skip
    await _shoot(ministry, out, "12-hub-national-query")
    await ministry.goto(f"{urls['hub']}/monitoring")
    await _shoot(ministry, out, "13-hub-monitoring")
    await county.goto(f"{urls['44']}/students/{student}/edit")
    await _shoot(county, out, "14-student-record")
    await county.goto(f"{urls['44']}/students/{student}/card")
    await _shoot(county, out, "15-student-card")
    await county.goto(f"{urls['44']}/statistics")
    await _shoot(county, out, "16-statistics")
    await county.goto(f"{urls['44']}/problems/group/{problem_id}")
    await _shoot(county, out, "17-problem-group")


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="xueji-shots-"))
    nats = NatsServer(root / "nats")
    nats.start()
    stores = {s: f"sqlite:///{root / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}
    mesh = Mesh(nats.url, stores, ["34", "44"])
    try:
        await mesh.start_all()
        numbers = await _demo_data(mesh)
        wanted = await _out_of_province_student(mesh)
        _, _, problem = await duplicate_pair(mesh, 89)  # the same child registered twice
        async with served(mesh) as urls, async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=chromium_path(), args=[*CHROMIUM_ARGS, "--lang=zh-CN"]
            )
            await _tour(mesh, urls, browser, out, numbers, wanted, problem["id"])
            await browser.close()
    finally:
        await mesh.stop_all()
        nats.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
