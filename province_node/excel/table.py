"""A plain one-sheet Excel list — a header row of Chinese titles, then one row per entry — as
the lists that arrive from outside the registration form are (the admission result list,
ADM-1): its downloadable template, and its reading with whole-file refusals that name the
column, before any row is looked at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from contracts.errors import ContractError
from province_node.excel.xlsx import open_package

_UNPACKED_PER_PACKED = 20  # as the registration reader: more than this is a zip bomb


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # the header cell, exactly
    required: bool = True  # a row without it is refused, naming the column
    note: str = ""  # the template's help for the column


Row = tuple[int, dict[str, str | None]]  # Excel row number (header = 1), key → text


def template(columns: Sequence[Column], title: str, example: dict[str, str] | None = None) -> bytes:
    """The .xlsx to download: bold header, a help row per column on a second sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a fresh Workbook always has one sheet
    sheet.title = title
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=column.title).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(14, 2 * len(column.title))
        if example:
            sheet.cell(row=2, column=index, value=example.get(column.key))
    help_sheet = book.create_sheet("填写说明")
    help_sheet.append(["列名", "是否必填", "说明"])
    for column in columns:
        help_sheet.append([column.title, "必填" if column.required else "选填", column.note])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def titles(data: bytes, max_bytes: int = 10 * 2**20) -> set[str]:
    """The header's titles (a file may leave out the optional columns it does not fill)."""
    header = next(_sheet(data, max_bytes).iter_rows(max_row=1, values_only=True), ())
    return {text for cell in header if (text := _text(cell))}


def _sheet(data: bytes, max_bytes: int):
    if len(data) > max_bytes:
        raise ContractError("file", "too_large", f"文件不能超过 {max_bytes // 2**20} MB")
    open_package(data, max_unpacked=len(data) * _UNPACKED_PER_PACKED + 2**20)
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many types for a broken package
        raise ContractError("file", "not_xlsx", "文件无法读取，请下载模板填写后再上传") from None


def read(data: bytes, columns: Sequence[Column], max_rows: int,
         max_bytes: int = 10 * 2**20) -> list[Row]:  # fmt: skip
    """The rows with text in them, every cell as stripped text (None when empty). A file that
    is not an .xlsx, too big, without a required column or with too many rows is refused
    whole (ContractError on `file`), so nothing of it is stored."""
    rows = _sheet(data, max_bytes).iter_rows(values_only=True)
    header = [_text(cell) for cell in next(rows, ())]
    position = {title: index for index, title in enumerate(header) if title}
    missing = [c.title for c in columns if c.required and c.title not in position]
    if missing:
        raise ContractError(
            "file", "missing_column", f"文件缺少列：{'、'.join(missing)}（请使用下载的模板）"
        )
    found: list[Row] = []
    for number, cells in enumerate(rows, start=2):
        values = {
            c.key: _text(cells[position[c.title]]) if position.get(c.title, len(cells)) < len(cells)
            else None
            for c in columns
        }  # fmt: skip
        if not any(values.values()):
            continue
        if len(found) == max_rows:
            raise ContractError("file", "too_many_rows", f"一个文件最多 {max_rows} 行")
        found.append((number, values))
    return found


def _text(cell: object) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    return text or None
