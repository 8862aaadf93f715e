"""Reads an uploaded registration import file (REG-4): whole-file refusals, then row by row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any, Protocol
from zipfile import ZipFile

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from contracts.errors import ContractError
from contracts.ids import IdGroup
from province_node.domain.import_file import FAILED, NOT_TEMPLATE, SUCCEEDED
from province_node.domain.registration_rules import ENTRIES, ValidRegistration
from province_node.excel import cells
from province_node.excel.columns import (
    CODE_SHEET,
    COLUMNS,
    DATA_SHEET,
    ENTRY_LABELS,
    GROUP_LABELS,
    TEMPLATE_VERSION,
    importable,
)
from province_node.excel.rows import RowContext, check_row
from province_node.excel.xlsx import describe_range, merged_ranges, open_package

_UNPACKED_PER_PACKED = 20  # real sheets compress about 5-10x; more than this is a zip bomb
_RETRY_HINT = "请重新下载模板，把数据以“选择性粘贴-数值”粘贴到新模板后再上传"  # [004 Q50]

Row = tuple[int, dict[str, object]]  # Excel row number (header = 1), column key → cell value


class _Sheet(Protocol):
    """What is used of openpyxl's read-only worksheet."""

    def iter_rows(self, *args: Any, **kwargs: Any) -> Iterator[tuple[object, ...]]: ...


@dataclass(frozen=True)
class RowProblem:
    row: int  # 0 for a problem of the whole file
    messages: list[str]  # each reads "第3行: 身份证件号 身份证号码校验位不正确"
    blocking: bool


@dataclass(frozen=True)
class ImportResult:
    filename: str
    result: str  # 处理成功 / 处理失败 / 不符合模板
    rows: int
    passed: int
    failed: int
    valid: list[tuple[int, ValidRegistration]]
    problems: list[RowProblem]  # one per row with anything to say, blocking or not

    @property
    def warnings(self) -> list[RowProblem]:
        return [problem for problem in self.problems if not problem.blocking]


def read_registration_file(
    data: bytes,
    *,
    filename: str,
    id_group: IdGroup,
    entry: str,
    school_code: str,
    known_classes: Iterable[str],
    today: date,
    max_bytes: int = 10 * 2**20,
    max_rows: int = 20_000,
    under_age_blocks: bool = False,
) -> ImportResult:
    """Valid rows are returned even when other rows fail; a refused file imports nothing."""
    importable(id_group)
    if entry not in ENTRIES:
        raise ContractError("entry", "bad_entry", "入口须为 primary（小学新生）或 non_primary")
    classes = frozenset(known_classes)
    ctx = RowContext(id_group, entry, school_code, classes, today, under_age_blocks)
    try:
        rows = _read_rows(data, ctx, max_bytes, max_rows)
    except ContractError as refused:
        problem = RowProblem(0, [refused.message], blocking=True)
        return ImportResult(filename, NOT_TEMPLATE, 0, 0, 0, [], [problem])
    return _check_rows(filename, rows, ctx)


def _read_rows(data: bytes, ctx: RowContext, max_bytes: int, max_rows: int) -> list[Row]:
    if len(data) > max_bytes:  # before any parsing: size is the one thing known for free
        raise ContractError("file", "too_large", f"文件大小超过上限 {max_bytes / 2**20:g} MB")
    with open_package(data, max_unpacked=_UNPACKED_PER_PACKED * max_bytes) as package:
        try:
            return _read_template(package, data, ctx, max_rows)
        except ContractError:
            raise
        except Exception:  # a damaged upload can fail anywhere inside openpyxl or zipfile
            message = f"文件已损坏或不是 Excel 文件，无法读取。{_RETRY_HINT}"
            raise ContractError("file", "unreadable", message) from None


def _read_template(package: ZipFile, data: bytes, ctx: RowContext, max_rows: int) -> list[Row]:
    # Read-only mode streams rows, so a stray cell at row 1,000,000 costs no memory.
    workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = _template_sheet(workbook, ctx)
        columns = _header(sheet)
        _refuse_merged_cells(package)
        return _data_rows(sheet, columns, max_rows)
    finally:
        workbook.close()


def _wrong_template(reason: str) -> ContractError:
    return ContractError("file", "wrong_template", f"不符合模板：{reason}。{_RETRY_HINT}")


def _template_sheet(workbook: Workbook, ctx: RowContext) -> _Sheet:
    missing = [name for name in (DATA_SHEET, CODE_SHEET) if name not in workbook.sheetnames]
    if missing:
        raise _wrong_template(f"缺少工作表 {'、'.join(missing)}")
    first = next(workbook[CODE_SHEET].iter_rows(max_row=1, max_col=6, values_only=True), ())
    version, group, entry = (cells.text(value) for value in (list(first) + [None] * 6)[1:6:2])
    if version != TEMPLATE_VERSION:
        found = version or "（无）"
        raise _wrong_template(f"模板版本为 {found}，当前模板版本为 {TEMPLATE_VERSION}")
    if group != ctx.id_group.value:
        label = {str(g): text for g, text in GROUP_LABELS.items()}.get(group, group or "未知")
        wanted = GROUP_LABELS[ctx.id_group]
        raise _wrong_template(f"这是{label}学生的模板，本次导入的是{wanted}学生")
    if entry != ctx.entry:
        label = ENTRY_LABELS.get(entry, entry or "未知")
        raise _wrong_template(f"这是{label}的模板，本次导入的是{ENTRY_LABELS[ctx.entry]}")
    return workbook[DATA_SHEET]


def _header(sheet: _Sheet) -> dict[str, int]:
    """Column key → position; columns are found by title, so only a missing title refuses."""
    titles = [cells.text(v) for v in next(sheet.iter_rows(max_row=1, values_only=True), ())]
    missing = [column.title for column in COLUMNS if column.title not in titles]
    if missing:
        raise _wrong_template(f"缺少列 {'、'.join(missing)}")
    return {column.key: titles.index(column.title) for column in COLUMNS}


def _refuse_merged_cells(package: ZipFile) -> None:
    # Merged cells leave all but one cell of the range empty: rows would import half-filled.
    merged = merged_ranges(package, DATA_SHEET, from_row=2)
    if merged:
        where = "、".join(describe_range(cell_range) for cell_range in merged[:5])
        message = f"数据区有合并单元格：{where}，请取消合并后再上传"
        raise ContractError("file", "merged_cells", message)


def _data_rows(sheet: _Sheet, columns: dict[str, int], max_rows: int) -> list[Row]:
    width = max(columns.values()) + 1
    found: list[Row] = []
    rows = sheet.iter_rows(min_row=2, max_col=width, values_only=True)
    for number, values in enumerate(rows, start=2):
        if all(cells.is_empty(value) for value in values):
            continue  # blank rows are neither counted nor reported
        if len(found) == max_rows:
            message = f"数据超过 {max_rows} 行，请分成多个文件上传"
            raise ContractError("file", "too_many_rows", message)
        cell = dict(enumerate(values))
        found.append((number, {key: cell.get(index) for key, index in columns.items()}))
    return found


def _check_rows(filename: str, rows: list[Row], ctx: RowContext) -> ImportResult:
    if not rows:
        empty = RowProblem(0, ["文件中没有学生数据"], blocking=True)
        return ImportResult(filename, FAILED, 0, 0, 0, [], [empty])
    valid: list[tuple[int, ValidRegistration]] = []
    problems: list[RowProblem] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for number, values in rows:
        outcome = check_row(values, ctx)
        errors = outcome.errors + _duplicate(outcome.document, number, first_row_of)
        if errors or outcome.warnings:
            messages = [f"第{number}行: {text}" for text in errors + outcome.warnings]
            problems.append(RowProblem(number, messages, blocking=bool(errors)))
        if outcome.valid is not None and not errors:
            valid.append((number, outcome.valid))
    failed = len(rows) - len(valid)
    result = SUCCEEDED if failed == 0 else FAILED
    return ImportResult(filename, result, len(rows), len(valid), failed, valid, problems)


def _duplicate(document: tuple[str, str] | None, row: int, first_row_of: dict) -> list[str]:
    if document is None:
        return []
    first = first_row_of.setdefault(document, row)
    return [] if first == row else [f"身份证件号 与第{first}行重复"]
