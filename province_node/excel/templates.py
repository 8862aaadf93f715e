"""Downloadable registration import templates (REG-4): one per id group and entry point."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from contracts.errors import ContractError
from contracts.ids import IdGroup
from province_node.domain.registration_rules import ENTRIES
from province_node.excel.columns import (
    ALL_DOCUMENTS,
    CODE_SHEET,
    COLUMNS,
    DATA_ROWS,
    DATA_SHEET,
    ENTRY_LABELS,
    ETHNICITIES,
    GROUP_LABELS,
    HELP_SHEET,
    META_LABELS,
    SEXES,
    TEMPLATE_VERSION,
    choices,
    group_documents,
    importable,
)

__all__ = ["TEMPLATE_VERSION", "build_template"]


def build_template(id_group: IdGroup, entry: str) -> bytes:
    """The .xlsx a school downloads, fills in and uploads again."""
    importable(id_group)
    if entry not in ENTRIES:
        raise ContractError("entry", "bad_entry", "入口须为 primary（小学新生）或 non_primary")
    workbook = Workbook()
    data = workbook.active
    assert data is not None  # a fresh Workbook always has one sheet
    data.title = DATA_SHEET
    _write_header(data)
    lists = _write_code_sheet(workbook.create_sheet(CODE_SHEET), id_group, entry)
    _add_dropdowns(data, lists)
    _write_help(workbook.create_sheet(HELP_SHEET), id_group, entry)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_header(sheet: Worksheet) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font = Font(bold=True)
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        if column.as_text:
            dimension.number_format = "@"
    sheet.freeze_panes = "A2"


def _write_code_sheet(sheet: Worksheet, id_group: IdGroup, entry: str) -> dict[str, str]:
    """Row 1 identifies the template; from row 2 one code list per column. Returns key → range."""
    meta = (TEMPLATE_VERSION, id_group.value, entry)
    for index, (label, value) in enumerate(zip(META_LABELS, meta, strict=True)):
        sheet.cell(row=1, column=2 * index + 1, value=label)
        sheet.cell(row=1, column=2 * index + 2, value=value)
    lists = {
        "sex": ("性别", choices(SEXES)),
        "id_type": ("身份证件类型", choices(group_documents(id_group))),
        "ethnicity": ("民族", choices(ETHNICITIES)),
        "g_id_type": ("监护人身份证件类型", choices(ALL_DOCUMENTS)),
    }
    ranges = {}
    for index, (key, (title, entries)) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=2, column=index, value=title)
        for offset, text in enumerate(entries):
            sheet.cell(row=3 + offset, column=index, value=text)
        ranges[key] = f"'{CODE_SHEET}'!${letter}$3:${letter}${2 + len(entries)}"
    sheet.sheet_state = "hidden"
    return ranges


def _add_dropdowns(sheet: Worksheet, lists: dict[str, str]) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        if column.key not in lists:
            continue
        letter = get_column_letter(index)
        validation = DataValidation(type="list", formula1=lists[column.key], allow_blank=True)
        validation.error = f"请从下拉框中选择{column.title}"
        validation.errorTitle = "代码不在代码表中"
        validation.showErrorMessage = True
        validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
        sheet.add_data_validation(validation)


def _write_help(sheet: Worksheet, id_group: IdGroup, entry: str) -> None:
    group = GROUP_LABELS[id_group]
    lines = [
        f"{group}学生{ENTRY_LABELS[entry]}学籍注册导入模板（模板版本 {TEMPLATE_VERSION}）",
        "1. 请勿修改、删除或移动列标题和工作表，否则上传结果为“不符合模板”；"
        "此时请重新下载模板，把数据以“选择性粘贴-数值”粘贴到新模板后再上传。",
        "2. 带下拉框的列（身份证件类型、性别、民族、监护人身份证件类型）请从下拉框中选择。",
        "3. 姓名中间不要加空格，导入时系统会自动去掉空格。",
        "4. 居民身份证号码须为18位，末位X大写；15位旧号码不能导入。身份证件号列为文本格式，"
        "请勿改为数字格式。",
        _sex_birth_rule(id_group),
        "6. 出生日期可填日期，或文本 YYYY-MM-DD / YYYYMMDD，如 2020-05-01 或 20200501。",
        "7. 班号为7位：4位入学年份+1位学段（1小学、2初中、3高中）+2位班序号，如 2026101；"
        "须与系统中本校已建立的班号一致。",
        "8. 监护人1可不填；填写时请填全姓名、关系、身份证件类型和身份证件号。",
        "9. 不要合并单元格；空行会被忽略；一个文件最多 20000 行、10 MB。",
        "10. 小学新生未满6周岁（以当年8月31日计）会提示“入学年龄不符合要求”，但不影响导入。",
        "11. 无证件（Z-其他）学生不能通过 Excel 导入，请使用单个录入。",
    ]
    for row, text in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=text)
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 120


def _sex_birth_rule(id_group: IdGroup) -> str:
    if id_group is IdGroup.RESIDENT:
        return "5. 性别、出生日期可不填，系统按身份证号码生成；如填写，须与身份证号码一致。"
    return "5. 港澳台侨外学生的性别、出生日期必须填写。"
