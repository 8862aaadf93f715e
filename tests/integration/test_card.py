"""DAY-6 the student card 学籍卡 `[002 §10]` and the 学生基本信息表 `[003 §三]`: a Word document
from the repository's template with identity, photo, school, grade and class, household, family
contacts and the full status-change history, opened here with python-docx."""

from __future__ import annotations

import io

import pytest
from docx import Document

from tests.support.cases import enrolled_student
from tests.support.mesh import Mesh
from tests.support.photos import jpeg

TIANHE = "3440106002"
OTHER = "3440106003"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _text(data: bytes) -> tuple[str, object]:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts), document


async def _card(mesh: Mesh, number: str, kind: str = "card", as_: str = "440106_registrar"):
    return await mesh.get(
        "44", f"/api/v1/students/{number}/card.docx", as_=as_, params={"kind": kind}
    )


async def _suspend(mesh: Mesh, number: str) -> None:
    body = {
        "type": "suspension",
        "student_number": number,
        "date": "2026-11-20",
        "reason": "因病休养",
    }
    reply = await mesh.post("44", "/api/v1/applications", as_=f"{TIANHE}_registrar", json=body)
    assert reply.status_code == 201, reply.text
    application = reply.json()
    while application["status"] == "in_progress":
        step = application["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        reply = await mesh.post(
            "44",
            f"/api/v1/applications/{application['id']}/decisions",
            as_=f"{step['unit_code']}_{role}",
            json={"approve": True, "opinion": "同意"},
        )
        assert reply.status_code == 200, reply.text
        application = reply.json()
    assert application["status"] == "approved"


async def test_day6_the_card_is_a_word_document_with_identity_photo_family_and_history(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 901, "陈学籍", "2025201", school=TIANHE)
    edit = {
        "household_location": "广东省广州市天河区",
        "household_type": "非农业户口",
        "address": "天河路1号",
        "phone": "13800000000",
        "former_name": "陈小籍",
        "family_members": [
            {"name": "陈父", "relation": "父亲", "phone": "13900000000", "guardian": True}
        ],
    }
    patched = await mesh.patch(
        "44", f"/api/v1/students/{number}", as_=f"{TIANHE}_registrar", json=edit
    )
    assert patched.status_code == 200, patched.text
    photo = await mesh.put(
        "44", f"/api/v1/students/{number}/photo", as_=f"{TIANHE}_registrar", content=jpeg("card")
    )
    assert photo.status_code == 200, photo.text
    await _suspend(mesh, number)

    reply = await _card(mesh, number)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == DOCX
    assert "attachment" in reply.headers["content-disposition"]
    text, document = _text(reply.content)
    school = mesh.runtime("44").org.unit(TIANHE).name
    for expected in (
        "学籍卡",
        "陈学籍",
        number,
        number[1:],
        school,
        TIANHE,
        "初中2025级",
        "广东省广州市天河区",
        "非农业户口",
        "天河路1号",
        "陈小籍",
        "陈父",
        "父亲",
        "13900000000",
        "学籍变动情况",
        f"在{school}完成学籍注册",
        "休学",
    ):
        assert expected in text, (expected, text)
    assert "{{" not in text and "{%" not in text  # every tag of the template filled
    assert len(document.inline_shapes) == 1  # the photo
    history = [row.cells[1].text for row in document.tables[-1].rows[1:]]
    assert history[0].startswith(f"在{school}完成学籍注册") and history[1].startswith("休学")

    sheet = await _card(mesh, number, "info")
    sheet_text, _ = _text(sheet.content)
    assert "学生基本信息表" in sheet_text and "出具学校" in sheet_text and "陈学籍" in sheet_text
    assert "学籍变动情况" not in sheet_text
    audit = await mesh.get("44", "/api/v1/audit", as_="440000_registrar",
                           params={"student": number, "type": "RecordRead"})  # fmt: skip
    reads = [e["reason"] for e in audit.json()["events"]]
    assert reads[-2:] == ["查看学籍卡", "查看学生基本信息表"]  # the reads audited (issue 18)


async def test_day6_a_bare_record_shows_dashes_and_no_photo_and_stays_in_sight(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 902, "林空白", school=TIANHE)
    text, document = _text((await _card(mesh, number, as_=f"{TIANHE}_registrar")).content)
    assert "暂无照片" in text and "—" in text and len(document.inline_shapes) == 0
    assert "林空白" in text and "{{" not in text
    other = await _card(mesh, number, as_=f"{OTHER}_registrar")
    assert other.status_code == 404  # SEC-8: another school's student is not there
    bad = await _card(mesh, number, kind="poster")
    assert bad.status_code == 422
