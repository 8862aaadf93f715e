"""REG-4 Excel import over HTTP: template download, upload, per-row problems, progress."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from simulations.demo import school_code
from simulations.excel import filled
from tests.support.mesh import Mesh
from tests.support.people import resident_id

PRIMARY = school_code("440106", 1)  # 天河区实验小学
REGISTRAR = f"{PRIMARY}_registrar"
PATH = "/api/v1/registrations"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _child(sequence: int, born: date = date(2020, 3, 9), **cells: object) -> dict:
    return {
        "姓名": "张小一",
        "身份证件类型": "1-居民身份证",
        "身份证件号": resident_id(born=born, sequence=sequence),
        "民族": "01-汉族",
        "班号": "2026101",
    } | cells


def _wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


async def _template(mesh: Mesh) -> bytes:
    response = await mesh.get(
        "44", f"{PATH}/templates/resident", as_=REGISTRAR, params={"entry": "primary"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return response.content


async def _upload(mesh: Mesh, data: bytes, filename: str = "新生.xlsx"):
    return await mesh.post(
        "44",
        f"{PATH}/import",
        as_=REGISTRAR,
        files={"file": (filename, data)},
        data={"entry": "primary", "id_group": "resident"},
    )


async def test_reg4_template_download_has_the_columns(mesh: Mesh) -> None:
    sheet = load_workbook(BytesIO(await _template(mesh)))["学籍注册"]
    assert [c.value for c in sheet[1]][:3] == ["姓名", "身份证件类型", "身份证件号"]


async def test_reg4_upload_reports_rows_and_valid_rows_go_on(mesh: Mesh) -> None:
    rows = [
        _child(401),
        _child(402, 身份证件号=_wrong_check(resident_id(sequence=402))),
        _child(403, born=date(2021, 2, 1)),  # under age on Aug 31: a warning only (REG-8)
        _child(404, 班号="2026199"),  # not a class of this school [004 Q51]
    ]
    response = await _upload(mesh, filled(await _template(mesh), rows))
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["result"], record["rows"], record["passed"], record["failed"]) == (
        "处理失败",
        4,
        2,
        2,
    )
    blocking = {p["row"]: p["messages"] for p in record["problems"] if p["blocking"]}
    assert set(blocking) == {3, 5}
    assert blocking[3][0].startswith("第3行")
    warnings = [p for p in record["problems"] if not p["blocking"]]
    assert warnings[0]["row"] == 4 and "年龄" in warnings[0]["messages"][0]
    pending = (await mesh.get("44", f"{PATH}/pending", as_=f"{PRIMARY}_approver")).json()
    assert pending["total"] == 2  # the two valid rows wait for the school approver

    again = await mesh.get("44", f"{PATH}/imports/{record['file_id']}", as_=REGISTRAR)
    assert again.json()["result"] == "处理失败" and again.json()["done"] == 2


async def test_reg4_a_renamed_xls_is_refused_and_nothing_stored(mesh: Mesh) -> None:
    node = mesh.runtime("44").node
    await mesh.login("44", REGISTRAR)
    response = await _upload(mesh, b"\xd0\xcf\x11\xe0 old excel 97 file", "学生.xlsx")
    record = response.json()
    assert record["result"] == "不符合模板" and record["problems"][0]["row"] == 0
    pending = node.recorder.select_notifications(
        start=1, limit=10_000, topics=["province_node.domain.registration:Registration.Submitted"]
    )
    assert pending == []


async def test_reg4_long_files_run_in_the_background_with_progress(mesh: Mesh) -> None:
    rows = [_child(i) for i in range(500, 760)]  # 260 rows: more than answered inline
    record = (await _upload(mesh, filled(await _template(mesh), rows))).json()
    assert record["result"] == "待处理" and record["rows"] == 260

    async def finished() -> bool:
        current = await mesh.get("44", f"{PATH}/imports/{record['file_id']}", as_=REGISTRAR)
        return current.json()["result"] != "待处理"

    await mesh.wait_until(finished, timeout=120)
    final = (await mesh.get("44", f"{PATH}/imports/{record['file_id']}", as_=REGISTRAR)).json()
    assert (final["result"], final["done"], final["passed"]) == ("处理成功", 260, 260)


async def test_reg4_only_a_school_registrar_imports(mesh: Mesh) -> None:
    refused = await mesh.post(
        "44",
        f"{PATH}/import",
        as_="440106_registrar",
        files={"file": ("x.xlsx", b"x")},
        data={"entry": "primary", "id_group": "resident"},
    )
    assert refused.status_code == 403


async def test_reg8_imported_registration_carries_the_under_age_flag(mesh: Mesh) -> None:
    rows = [_child(411, born=date(2020, 9, 1)), _child(412, born=date(2020, 8, 31))]
    record = (await _upload(mesh, filled(await _template(mesh), rows))).json()
    assert (record["result"], record["passed"]) == ("处理成功", 2)
    pending = (await mesh.get("44", f"{PATH}/pending", as_=f"{PRIMARY}_approver")).json()
    flags = {item["id_number"]: item["warnings"] for item in pending["items"]}
    assert flags == {
        resident_id(born=date(2020, 9, 1), sequence=411): ["入学年龄不符合要求"],
        resident_id(born=date(2020, 8, 31), sequence=412): [],
    }  # shown to every reviewer, exactly as for a single entry
