"""招生入学 pages over HTTP, in the seed's order [002 §3]: 招生结果导入 → 录取新生 → 招生审核 →
调取新生档案 → 学生分班 → 省内招生升学查询 (回退), and 招生结果导入设置."""

from __future__ import annotations

import pytest

from tests.integration.test_admissions import admission_list
from tests.support.cases import graduated_student
from tests.support.console import console_session
from tests.support.mesh import Mesh

pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)
PRIMARY, JUNIOR = "3440106001", "3440106002"


def _ids(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('name="ids" value="')[1:]]


async def test_adm2_console_runs_an_admission_from_the_list_to_the_class(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 991, class_code="2022101", school=PRIMARY,
                                     name="林小雨")  # fmt: skip
    async with console_session(mesh, "440106_registrar") as client:
        settings = (await client.get("/admissions/settings")).text
        assert "初中招生结果导入设置" in settings and "未设置时：区县导入" in settings
        template = await client.get("/admissions/template")
        assert template.status_code == 200 and template.content[:2] == b"PK"
        bad = await client.post("/admissions/import", data={"stage": "2"},
                                files={"file": ("x.xlsx", b"not excel")})  # fmt: skip
        assert bad.status_code == 422 and "Excel" in bad.text
        rows = [(number, "林小雨", JUNIOR), (number, "林小", JUNIOR)]
        shown = await client.post("/admissions/import", data={"stage": "2"},
                                  files={"file": ("名单.xlsx", admission_list(rows))})  # fmt: skip
        assert shown.status_code == 200 and "部分成功" in shown.text
        assert "第3行" in shown.text and "姓名“林小”与学籍号" in shown.text
    async with console_session(mesh, f"{JUNIOR}_registrar") as client:
        page = (await client.get("/admissions/admit")).text
        assert "林小雨" in page and "录取新生" in page
        admitted = await client.post("/admissions/batch", data={"action": "admit",
                                                                "ids": _ids(page)})  # fmt: skip
        assert "已录取 1 名学生" in admitted.text
    for unit, role in ((JUNIOR, "approver"), ("440106", "registrar")):
        async with console_session(mesh, f"{unit}_{role}") as client:
            home = (await client.get("/")).text
            assert "招生审核" in home
            pending = (await client.get("/admissions/pending")).text
            admission = pending.split('action="/admissions/')[1].split("/decision")[0]
            done = await client.post(f"/admissions/{admission}/decision", data={"approve": "1"})
            assert "审核通过" in done.text
    async with console_session(mesh, f"{JUNIOR}_registrar") as client:
        page = (await client.get("/admissions/pull")).text
        pulled = await client.post("/admissions/batch", data={"action": "pull",
                                                              "ids": _ids(page)})  # fmt: skip
        assert "已调档 1 名学生" in pulled.text
        page = (await client.get("/admissions/assign")).text
        assert "<option>2026201</option>" in page and "<option>2025201</option>" not in page
        placed = await client.post(f"/admissions/{admission}/assign",
                                   data={"class_code": "2026201"})  # fmt: skip
        assert "已分班至 2026201" in placed.text
    async with console_session(mesh, "440106_registrar") as client:
        found = (await client.get("/admissions/query?year=2026&stage=2")).text
        assert "林小雨" in found and "已分班" in found and "回退" in found
        back = await client.post(f"/admissions/{admission}/rollback", data={"reason": "误招"})
        assert back.status_code == 200 and "已回退，学生恢复为毕业生" in back.text
