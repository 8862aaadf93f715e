"""ID-7 and DAY-6 clicked through in Chromium: 日常管理 → 照片导入 with a zip, the photo on the
record page (Chromium decodes it), 下载学籍卡 opened with python-docx, the print view."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document

from tests.browser.conftest import log_in, menu
from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.photos import jpeg, zipped

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIANHE = "3440106002"


async def test_id7_day6_photos_imported_shown_and_the_card_downloaded(
    mesh: Mesh, urls, new_page, tmp_path: Path
) -> None:
    name = "粤照片"
    number = await enrolled_student(mesh, "44", 641, name=name, school=TIANHE)
    base = urls["44"]
    page = await new_page()
    await log_in(page, base, f"{TIANHE}_registrar")
    await menu(page, "照片导入")
    archive = zipped({f"{number[1:]}.jpg": jpeg("browser", width=16, height=24),
                      "Thumbs.db": b"\x00"})  # fmt: skip
    await page.get_by_label("照片压缩包（.zip）").set_input_files(
        {"name": "照片.zip", "mimeType": "application/zip", "buffer": archive}
    )
    await page.get_by_role("button", name="导入", exact=True).click()
    await page.get_by_text("导入结果").wait_for()
    rows = page.get_by_role("row")
    assert "导入成功" in await rows.filter(has_text=f"{number[1:]}.jpg").inner_text()
    assert "系统生成的文件" in await rows.filter(has_text="Thumbs.db").inner_text()

    await page.goto(f"{base}/students/{number}")
    photo = page.get_by_role("img", name=f"{name}的照片")
    await photo.wait_for()  # the panel came as an htmx fragment
    size = await photo.evaluate("i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])")
    assert size == [16, 24]  # a real JPEG: the browser decoded it

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="下载学籍卡").click()
    download = await download_info.value
    saved = tmp_path / "card.docx"
    await download.save_as(saved)
    document = Document(io.BytesIO(saved.read_bytes()))
    text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert name in text and number in text and "完成学籍注册" in text
    assert len(document.inline_shapes) == 1

    await page.get_by_role("link", name="打印学籍卡").click()
    await page.get_by_role("article", name="学籍卡").wait_for()
    await page.emulate_media(media="print")
    assert not await page.get_by_role("navigation", name="功能菜单").is_visible()
    assert not await page.get_by_role("button", name="打印").is_visible()
    assert await page.get_by_role("heading", name="学籍变动情况").is_visible()
