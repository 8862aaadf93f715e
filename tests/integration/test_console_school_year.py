"""毕业升级 pages over HTTP: 毕业办理 → 毕业审核 → 毕业生查询 (退回), and 升级与校历."""

from __future__ import annotations

import pytest

from tests.support.cases import enrolled_student
from tests.support.console import console_session
from tests.support.mesh import Mesh

pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)
TIANHE = "3440106002"


async def test_grd1_grd2_console_graduates_a_class_and_the_bureau_rolls_one_back(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 901, "王小明", "2023201", school=TIANHE)
    async with console_session(mesh, f"{TIANHE}_registrar") as client:
        form = (await client.get("/graduations/new")).text
        assert "2023201" in form and "2025201" not in form  # only the graduating grade
        assert "毕业办理" in form and "毕业审核" not in form  # the approver decides
        none = await client.post("/graduations/new", data={"kind": "graduate"})
        assert none.status_code == 422 and "请选择毕业班级或学生" in none.text
        sent = await client.post(
            "/graduations/new", data={"class_codes": "2023201", "kind": "graduate"}
        )
        assert sent.status_code == 200 and "已提交毕业申请：1名学生" in sent.text
    for unit, role in ((TIANHE, "approver"), ("440106", "registrar")):
        async with console_session(mesh, f"{unit}_{role}") as client:
            pending = (await client.get("/graduations/pending")).text
            assert "王小明" in pending
            graduation = pending.split('action="/graduations/')[1].split("/decision")[0]
            refused = await client.post(
                f"/graduations/{graduation}/decision", data={"approve": "0"}
            )
            assert "不通过时须填写审核意见" in refused.text
            done = await client.post(f"/graduations/{graduation}/decision", data={"approve": "1"})
            assert "审核通过" in done.text
    async with console_session(mesh, "440106_registrar") as client:
        found = (await client.get("/graduates?year=2026")).text
        assert number in found and "退回" in found
        back = await client.post(f"/graduates/{number}/rollback", data={"reason": "误操作"})
        assert back.status_code == 200 and "已退回在校" in back.text
        again = await client.post(f"/graduates/{number}/rollback", data={"reason": "误操作"})
        assert again.status_code == 409 and "不是毕业" in again.text


async def test_grd3_sys2_promotion_page_shows_progress_and_the_years_key_dates(mesh: Mesh) -> None:
    async with console_session(mesh, "440000_sysadmin") as client:
        page = await client.get("/promotion")
        assert page.status_code == 200, page.text
        assert "尚未到升级日期" in page.text and "2027-08-10" in page.text
        assert "立即运行或继续升级" in page.text
    async with console_session(mesh, f"{TIANHE}_registrar") as client:
        page = (await client.get("/promotion")).text
        assert "毕业办理截止" in page and "立即运行" not in page
