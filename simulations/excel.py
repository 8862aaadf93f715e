"""Filling a registration template the way a registrar would (tests, benchmarks, demos)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook


def filled(template: bytes, rows: list[dict[str, object]]) -> bytes:
    """The template with `rows` (by Chinese column title) from row 2 on."""
    workbook = load_workbook(BytesIO(template))
    sheet = workbook["学籍注册"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for number, row in enumerate(rows, start=2):
        for title, value in row.items():
            sheet.cell(row=number, column=columns[title], value=value)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
