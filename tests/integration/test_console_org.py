"""学校管理 pages over HTTP: 区划变更 (template, import with its per-row result, 确认变动),
学校变更 (the supervising bureau confirms), 学校信息 (each level edits its own fields)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO

import httpx
import pytest
from openpyxl import load_workbook

from tests.integration.test_org import XLSX, region_file, school_changes_confirmed, school_file
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh

pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)
TIANHE_PRIMARY = "3440106001"


@asynccontextmanager
async def _console(mesh: Mesh, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with mesh.client("44") as client:
        response = await client.post(
            "/login", data={"username": username, "password": "Xueji@2026"}
        )
        assert response.status_code == 303, response.text
        client.cookies.set("xueji_session", response.cookies["xueji_session"])
        yield client


async def test_org1_console_imports_and_confirms_region_changes(mesh: Mesh) -> None:
    async with _console(mesh, "440000_sysadmin") as client:
        home = (await client.get("/")).text
        assert "学校管理" in home and "区划变更" in home
        template = await client.get("/org/regions/template")
        assert template.status_code == 200
        headers = [c.value for c in load_workbook(BytesIO(template.content)).active[1]]
        assert headers == ["变更类型", "区划代码", "区划名称", "上级区划代码", "变更年度"]
        bad = region_file(["新增", "440118000000", "增城区", "449900000000", "2026"])
        refused = await client.post("/org/regions/import", files={"file": ("r.xlsx", bad, XLSX)})
        assert refused.status_code == 422 and "第2行" in refused.text and "449900" in refused.text
        good = region_file(["新增", "440118000000", "增城区", "440100000000", "2026"])
        imported = await client.post("/org/regions/import", files={"file": ("r.xlsx", good, XLSX)})
        assert imported.status_code == 200 and "已导入，待确认" in imported.text
        change = imported.text.split('name="ids" value="')[1].split('"')[0]
        none = await client.post("/org/regions/confirm", data={})
        assert none.status_code == 422 and "请选择要确认的变更" in none.text
        done = await client.post("/org/regions/confirm", data={"ids": change})
        assert (
            done.status_code == 200 and "已确认 1 条变更" in done.text and "处理完毕" in done.text
        )
    async with _console(mesh, "440106_registrar") as client:
        home = (await client.get("/")).text
        assert "学校变更" in home and "区划变更" not in home
        assert (await client.get("/org/regions")).status_code == 403


async def test_org2_org4_console_school_changes_and_profile(mesh: Mesh) -> None:
    data = school_file({"kind": "变更", "school_code": TIANHE_PRIMARY, "running_type": "小学"})
    imported = await mesh.post(
        "44", "/api/v1/schools/changes", as_="440000_registrar",
        files={"file": ("s.xlsx", data, XLSX)},
    )  # fmt: skip
    assert imported.status_code == 201, imported.text
    async with _console(mesh, "440106_registrar") as client:
        page = (await client.get("/org/school-changes?state=pending")).text
        assert "学校办学类型：小学" in page and "导入变更文件" not in page  # the province imports
        change = page.split('name="ids" value="')[1].split('"')[0]
        done = await client.post("/org/school-changes/confirm", data={"ids": change})
        assert "已确认 1 条变更" in done.text
        profile = (await client.get(f"/org/schools/{TIANHE_PRIMARY}")).text
        assert 'name="name"' in profile and 'name="head_name"' not in profile
    async with _console(mesh, f"{TIANHE_PRIMARY}_registrar") as client:
        listed = (await client.get("/org/schools")).text
        assert TIANHE_PRIMARY in listed and "正常" in listed
        bad = await client.post(f"/org/schools/{TIANHE_PRIMARY}", data={"postcode": "12"})
        assert bad.status_code == 422 and "邮政编码应为6位数字" in bad.text
        saved = await client.post(
            f"/org/schools/{TIANHE_PRIMARY}", data={"head_name": "王校长", "postcode": "510000"}
        )
        assert saved.status_code == 200 and "已保存" in saved.text and "王校长" in saved.text
    profile = await mesh.get(
        "44", f"/api/v1/schools/{TIANHE_PRIMARY}/profile", as_="440106_registrar"
    )
    assert profile.json()["profile"]["running_type"] == "小学"
    assert profile.json()["profile"]["postcode"] == "510000"


async def test_org3_console_migrates_a_student_and_the_receiving_school_confirms(
    mesh: Mesh,
) -> None:
    junior, nine = "3440106002", "3440106003"
    number = await enrolled_student(mesh, "44", 921, "周一", "2025201", school=junior)
    await school_changes_confirmed(mesh, [{"kind": "撤销", "school_code": junior}], "440106")
    async with _console(mesh, "440106_registrar") as client:
        page = (await client.get("/org/migrations")).text
        assert "学生学籍转移" in page and f'value="{junior}"' in page
        empty = await client.post("/org/migrations", data={"from_school": junior})
        assert empty.status_code == 422 and "请选择转出学校和转入学校" in empty.text
        saved = await client.post(
            "/org/migrations",
            data={"from_school": junior, "to_school": nine, "class_codes": "2025201"},
        )
        assert saved.status_code == 200 and "已保存学籍转移：1名学生" in saved.text
    async with _console(mesh, f"{nine}_registrar") as client:
        page = (await client.get("/org/migrations/incoming")).text
        assert "周一" in page and "学籍转入确认" in page
        migration = page.split('action="/org/migrations/')[1].split("/decision")[0]
        decision = f"/org/migrations/{migration}/decision"
        refused = await client.post(decision, data={"student_numbers": number, "accept": "0"})
        assert refused.status_code == 409 and "拒绝转入须填写原因" in refused.text
        done = await client.post(
            decision, data={"student_numbers": number, "accept": "1", "class_code": "2025201"}
        )
        assert done.status_code == 200 and "已确认转入 1 名学生" in done.text
    record = await mesh.get("44", f"/api/v1/students/{number}", as_="440106_registrar")
    assert record.json()["school_code"] == nine
    school = await mesh.get("44", f"/api/v1/schools/{junior}", as_="440106_registrar")
    assert school.json()["state"] == "revoked"
