"""The change files of the institution code system (ORG-1 区划变更, ORG-2 学校变更): one
sheet, a header row naming the template's columns (any order), one change a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from contracts.errors import ContractError
from province_node.domain.region_change import Column, FileRefused, check_columns
from province_node.excel.xlsx import NOT_XLSX, open_package

MAX_ROWS = 5_000


def read_change_rows(data: bytes, columns: tuple[Column, ...]) -> list[tuple[int, dict[str, str]]]:
    """(Excel row number, column key → text) for every non-empty row after the header;
    a file that is not .xlsx or lacks a column is refused naming it (nothing is read)."""
    open_package(data, max_unpacked=50 * 2**20)
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure is the same refusal
        raise ContractError("file", "not_xlsx", NOT_XLSX) from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(c).strip().rstrip("*") if c is not None else "" for c in next(lines, ())]
    check_columns(header, columns)
    where = {c.key: header.index(c.label) for c in columns}
    rows = []
    for number, values in enumerate(lines, start=2):
        cells = {key: _text(values[i] if i < len(values) else None) for key, i in where.items()}
        if any(cells.values()):
            rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise FileRefused([{"row": number, "field": "file",
                                "message": f"一次最多导入{MAX_ROWS}条变更"}])  # fmt: skip
    book.close()
    return rows


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def build_change_template(
    columns: tuple[Column, ...], title: str, examples: Sequence[Sequence[str]]
) -> bytes:
    """The template: required cells' headers in bold with `*`, a hint row kept as a comment
    sheet, example rows to overwrite."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([c.label for c in columns])
    for cell, column in zip(sheet[1], columns, strict=True):
        cell.font = Font(bold=column.required)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(column.label) * 2 + 4)
    for example in examples:
        sheet.append(list(example))
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in columns:
        notes.append([column.label, "必填" if column.required else "视变更类型", column.hint])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
