"""控辍保学 pages over HTTP: 辍学登记 → 控辍保学管理 (措施, 标记辍学, 返校申请) → 返校审核
(批量) → 辍学查询 (导出, a second account)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh

pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)
TIANHE, COUNTY = "3440106002", "440106"


@asynccontextmanager
async def _console(mesh: Mesh, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with mesh.client("44") as client:
        response = await client.post(
            "/login", data={"username": username, "password": "Xueji@2026"}
        )
        assert response.status_code == 303, response.text
        client.cookies.set("xueji_session", response.cookies["xueji_session"])
        yield client


def _case_id(page: str) -> str:
    found = re.search(r'href="/dropouts/([0-9a-f-]{36})"', page)
    assert found is not None, page
    return found[1]


async def test_drp1_drp5_console_records_takes_measures_returns_and_queries(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 951, "王小明", "2026201", school=TIANHE)
    async with _console(mesh, f"{TIANHE}_registrar") as client:
        home = (await client.get("/")).text
        assert "控辍保学" in home and "辍学登记" in home and "返校审核" not in home
        form = (await client.get("/dropouts/new")).text
        assert "疑似辍学" in form
        missing = await client.post(
            "/dropouts/new", data={"student_number": number, "kind": "dropped_out", "note": "厌学"}
        )
        assert missing.status_code == 422 and "请填写辍学日期" in missing.text
        saved = await client.post(
            "/dropouts/new",
            data={
                "student_number": number,
                "kind": "dropped_out",
                "date": "2026-11-10",
                "note": "厌学",
            },
        )
        assert saved.status_code == 200 and "保存成功" in saved.text, saved.text
        case_id = _case_id(saved.text)
        listed = (await client.get("/dropouts")).text
        assert "王小明" in listed and "未申请" in listed
        measure = {"unit": "天河区第一初级中学", "person": "张老师", "measure": "家访"}
        measure |= {"time": "2026-11-20", "result": "家长同意"}
        page = await client.post(f"/dropouts/{case_id}/measures", data=measure)
        assert page.status_code == 200 and "措施已保存" in page.text and "家访" in page.text
        bad = await client.post(f"/dropouts/{case_id}/return", data={
            "date": "2026-11-21", "class_code": "2026101", "note": "返校"})  # fmt: skip
        assert bad.status_code == 422 and "不属于学校" in bad.text
        applied = await client.post(f"/dropouts/{case_id}/return", data={
            "date": "2026-11-21", "class_code": "2026202", "note": "劝学返校"})  # fmt: skip
        assert applied.status_code == 200 and "返校申请已保存" in applied.text
        assert "审核中" in applied.text
    async with _console(mesh, f"{COUNTY}_registrar") as client:
        edited = await client.post(f"/dropouts/{case_id}/measures/1", data={"result": "已返校"})
        assert edited.status_code == 200 and "第 1 条措施已修改" in edited.text
        pending = (await client.get("/dropouts/returns/pending")).text
        assert "王小明" in pending and "批量审核" in pending
        refused = await client.post("/dropouts/returns/decision",
                                    data={"ids": [], "approve": "1"})  # fmt: skip
        assert refused.status_code == 422 and "请选择要审核的返校申请" in refused.text
        return_id = pending.split('name="ids" value="')[1].split('"')[0]
        no_opinion = await client.post("/dropouts/returns/decision",
                                       data={"ids": [return_id], "approve": "0"})  # fmt: skip
        assert no_opinion.status_code == 422 and "审核不通过时须填写审核意见" in no_opinion.text
        done = await client.post("/dropouts/returns/decision",
                                 data={"ids": [return_id], "approve": "1"})  # fmt: skip
        assert done.status_code == 200 and "1条返校申请审核通过" in done.text
        assert "暂无待本单位审核的返校申请" in done.text
        assert "王小明" not in (await client.get("/dropouts")).text
        found = (await client.get("/dropouts/query?state=finished")).text
        assert "王小明" in found and "已办结" in found
        unconfirmed = await client.post("/dropouts/export", data={"state": "finished"})
        assert unconfirmed.status_code == 422 and "请输入本单位另一账号" in unconfirmed.text
        exported = await client.post("/dropouts/export", data={
            "state": "finished", "confirm_username": f"{COUNTY}_approver",
            "confirm_password": "Xueji@2026"})  # fmt: skip
        assert exported.status_code == 200, exported.text
        rows = list(load_workbook(BytesIO(exported.content)).active.iter_rows(values_only=True))
        assert [r[:3] for r in rows[1:]] == [(number, "王小明", "已办结（返校）")]
    record = await mesh.get("44", f"/api/v1/students/{number}", as_=f"{COUNTY}_registrar")
    assert record.json()["class_code"] == "2026202" and record.json()["in_flight"] is None
