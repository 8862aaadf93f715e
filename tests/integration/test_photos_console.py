"""ID-7 and DAY-6 on the console: the record page's photo (or placeholder), its upload with the
refusal next to the field, 日常管理 → 照片导入 with the per-file table, 照片导出 behind a second
account, and the card's print view and Word download."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.support.cases import enrolled_student
from tests.support.console import console_session as _console
from tests.support.mesh import Mesh
from tests.support.people import PNG
from tests.support.photos import jpeg, zipped

JUNIOR = "3440106002"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def test_id7_day6_console_photo_upload_import_export_and_card(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 811, "黄照片", school=JUNIOR)
    other = await enrolled_student(mesh, "44", 812, "黄导入", school=JUNIOR)
    async with _console(mesh, f"{JUNIOR}_registrar") as client:
        home = (await client.get("/")).text
        assert "日常管理" in home and "/photos/import" in home
        detail = (await client.get(f"/students/{number}")).text
        assert "下载学籍卡" in detail and f"/students/{number}/photo-panel" in detail
        panel = (
            await client.get(f"/students/{number}/photo-panel", headers={"HX-Request": "true"})
        ).text
        assert "暂无照片" in panel and 'name="photo"' in panel
        png = await client.post(
            f"/students/{number}/photo", files={"photo": ("photo.jpg", PNG, "image/jpeg")}
        )
        assert png.status_code == 422 and "只能是 JPG" in png.text and 'id="e-photo"' in png.text
        saved = await client.post(
            f"/students/{number}/photo", files={"photo": ("photo.jpg", jpeg("c"), "image/jpeg")}
        )
        assert saved.status_code == 303, saved.text
        panel = (await client.get(f"/students/{number}/photo-panel")).text
        assert f'src="/students/{number}/photo"' in panel and "暂无照片" not in panel
        assert (await client.get(f"/students/{number}/photo")).content == jpeg("c")

        card = await client.get(f"/students/{number}/card")
        assert card.status_code == 200 and "@media print" in card.text
        assert "学籍卡" in card.text and "黄照片" in card.text and "完成学籍注册" in card.text
        sheet = (await client.get(f"/students/{number}/card", params={"kind": "info"})).text
        assert "学生基本信息表" in sheet and "出具学校" in sheet
        docx = await client.get(f"/students/{number}/card.docx")
        assert docx.status_code == 200 and docx.content[:2] == b"PK"

        form = (await client.get("/photos/import")).text
        assert "导入范围" in form and "学校标识码_班号_姓名" in form
        upload = {
            "file": (
                "照片.zip",
                zipped({f"{other[1:]}.jpg": jpeg("z"), "Thumbs.db": b"\x00"}),
                "application/zip",
            )
        }
        result = await client.post("/photos/import", files=upload)
        assert result.status_code == 200, result.text
        assert "导入成功 <strong>1</strong>" in result.text and "系统生成的文件" in result.text
        bomb = zipped({"a.jpg": b"\x00" * (20 * 2**20)})
        refused = await client.post(
            "/photos/import", files={"file": ("炸弹.zip", bomb, "application/zip")}
        )
        assert refused.status_code == 422 and "压缩炸弹" in refused.text

        export = (await client.get("/photos/export")).text
        assert "确认人账号" in export and JUNIOR in export
        missing = await client.post("/photos/export", data={"school_code": JUNIOR})
        assert missing.status_code == 422 and "请输入本单位另一账号" in missing.text
        wrong = await client.post(
            "/photos/export",
            data={
                "school_code": JUNIOR,
                "confirm_username": f"{JUNIOR}_approver",
                "confirm_password": "wrong",
                "purpose": "制作学生证",
            },
        )
        assert wrong.status_code == 422
        done = await client.post(
            "/photos/export",
            data={
                "school_code": JUNIOR,
                "confirm_username": f"{JUNIOR}_approver",
                "confirm_password": "Xueji@2026",
                "purpose": "制作学生证",
            },
        )
        assert done.status_code == 200, done.text[-1000:]
        names = zipfile.ZipFile(io.BytesIO(done.content)).namelist()
        assert sorted(names) == sorted([f"{number[1:]}.jpg", f"{other[1:]}.jpg"])
    async with _console(mesh, "440106_registrar") as bureau:
        panel = (await bureau.get(f"/students/{number}/photo-panel")).text
        assert f'src="/students/{number}/photo"' in panel and 'name="photo"' not in panel
