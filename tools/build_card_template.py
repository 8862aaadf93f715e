"""Builds the student card template (DAY-6) once: `province_node/templates_docx/student_card.docx`.

Run `.venv/bin/python tools/build_card_template.py` after changing the layout and commit the
.docx with this script. The template is a docxtpl (Jinja) document: `{{ field }}` cells, a
`{%tr for %}` row per family member and per history line, and `{%p if card %}` blocks that the
学生基本信息表 (`card = False`) leaves out or adds.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

OUT = Path(__file__).resolve().parent.parent / "province_node/templates_docx/student_card.docx"
FONT = "宋体"


def _font(document: Document) -> None:
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _heading(document: Document, text: str, size: int) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.font.size = True, Pt(size)


def _put(cell, text: str, bold: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold


def _identity(document: Document) -> None:
    """Label and value cells, each `(text, columns spanned)`; the photo spans the last column
    of the first four rows."""
    rows = [
        [
            ("姓名", 1),
            ("{{ name }}", 1),
            ("性别", 1),
            ("{{ sex }}", 1),
            ("民族", 1),
            ("{{ ethnicity }}", 1),
        ],
        [
            ("学籍号", 1),
            ("{{ student_number }}", 1),
            ("曾用名", 1),
            ("{{ former_name }}", 1),
            ("出生日期", 1),
            ("{{ birth_date }}", 1),
        ],
        [("身份证件类型", 1), ("{{ id_type }}", 1), ("身份证件号", 1), ("{{ id_number }}", 3)],
        [("所在学校", 1), ("{{ school_name }}", 5)],
        [
            ("学校标识码", 1),
            ("{{ school_code }}", 1),
            ("所在年级", 1),
            ("{{ grade }}", 1),
            ("所在班级", 1),
            ("{{ class_name }}", 2),
        ],
        [
            ("户口所在地", 1),
            ("{{ household_location }}", 1),
            ("户口性质", 1),
            ("{{ household_type }}", 1),
            ("国籍/地区", 1),
            ("{{ nationality }}", 2),
        ],
        [
            ("港澳台侨外", 1),
            ("{{ hmt }}", 1),
            ("就读方式", 1),
            ("{{ study_mode }}", 1),
            ("学籍状态", 1),
            ("{{ status }}", 2),
        ],
        [("现住址", 1), ("{{ address }}", 3), ("联系电话", 1), ("{{ phone }}", 2)],
    ]
    table = document.add_table(rows=len(rows), cols=7)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for r in range(len(rows)):
        for c, width in enumerate((22, 33, 20, 30, 18, 27, 30)):
            table.cell(r, c).width = Mm(width)
    for r, row in enumerate(rows):
        column = 0
        for index, (text, span) in enumerate(row):
            cell = table.cell(r, column)
            if span > 1:
                cell = cell.merge(table.cell(r, column + span - 1))
            _put(cell, text, bold=index % 2 == 0)
            column += span
    photo = table.cell(0, 6).merge(table.cell(3, 6))
    _put(photo, "{{ photo }}")
    photo.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _list(
    document: Document, title: str, headers: tuple[str, ...], loop: str, fields: tuple[str, ...]
) -> None:
    _heading(document, title, 12)
    table = document.add_table(rows=4, cols=len(headers))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for c, header in enumerate(headers):
        _put(table.rows[0].cells[c], header, bold=True)
    start, body, end = table.rows[1].cells, table.rows[2].cells, table.rows[3].cells
    start[0].merge(start[-1]).text = f"{{%tr for item in {loop} %}}"
    for c, field in enumerate(fields):
        _put(body[c], f"{{{{ item.{field} }}}}")
    end[0].merge(end[-1]).text = "{%tr endfor %}"


def build() -> Document:
    document = Document()
    _font(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    _heading(document, "{{ title }}", 16)
    _heading(document, "学籍基本信息", 12)
    _identity(document)
    _list(
        document,
        "家庭成员及联系方式",
        ("关系", "姓名", "联系电话", "工作单位", "是否监护人"),
        "members",
        ("relation", "name", "phone", "work_unit", "guardian"),
    )
    document.add_paragraph("{%p if card %}")
    _list(document, "学籍变动情况", ("学籍变动时间", "学籍变动情况"), "history", ("at", "text"))
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p if not card %}")
    document.add_paragraph(
        "本表由学生所在学校出具，供家长办理转学等学籍业务时使用，以学籍系统中的信息为准。"
    )
    document.add_paragraph("出具学校（盖章）：{{ school_name }}        打印日期：{{ printed_on }}")
    document.add_paragraph("{%p endif %}")
    footer = document.add_paragraph("{{ footer }}")
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return document


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    build().save(OUT)
    print(f"wrote {OUT}")
