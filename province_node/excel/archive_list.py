"""Export of the pre-school archive list 调档学生导出 (REG-2): the group's registration import
template, filled with what the list knows, so the school completes it and imports it again."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from contracts.ids import IdGroup
from province_node.excel.columns import (
    ALL_DOCUMENTS,
    COLUMNS,
    DATA_SHEET,
    ETHNICITIES,
    SEXES,
)
from province_node.excel.templates import build_template


def export_entries(id_group: IdGroup, entries: list[dict]) -> bytes:
    """One row per entry, from row 2, in the same "code-label" form the drop-downs offer."""
    workbook = load_workbook(BytesIO(build_template(id_group, "primary")))
    sheet = workbook[DATA_SHEET]
    position = {column.key: index for index, column in enumerate(COLUMNS, start=1)}
    for row, entry in enumerate(entries, start=2):
        for key, value in _cells(entry).items():
            sheet.cell(row=row, column=position[key], value=value)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def exported_rows(data: bytes) -> int:
    """How many entries an exported workbook holds (SEC-4's audit counts what left)."""
    sheet = load_workbook(BytesIO(data), read_only=True)[DATA_SHEET]
    return sum(1 for row in sheet.iter_rows(min_row=2, max_col=1, values_only=True) if row[0])


def exported_columns(data: bytes) -> list[str]:
    """The header row of an exported workbook (SEC-4's audit names the columns that left)."""
    sheet = load_workbook(BytesIO(data), read_only=True)[DATA_SHEET]
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return [str(c) for c in header if c]


def _coded(code: str | None, codes: dict[str, str]) -> str | None:
    return f"{code}-{codes[code]}" if code in codes else None


def _cells(entry: dict) -> dict[str, str | None]:
    completion = entry["completion"] or {}
    guardians = completion.get("guardians") or ([entry["guardian"]] if entry["guardian"] else [])
    guardian = guardians[0] if guardians else {}
    return {
        "name": entry["name"],
        "id_type": _coded(entry["id_type"], ALL_DOCUMENTS),
        "id_number": entry["id_number"],
        "sex": _coded(entry["sex"], SEXES),
        "birth_date": entry["birth_date"],
        "ethnicity": _coded(completion.get("ethnicity"), ETHNICITIES),
        "class_code": completion.get("class_code"),
        "g_name": guardian.get("name"),
        "g_relation": guardian.get("relation"),
        "g_id_type": _coded(guardian.get("id_type"), ALL_DOCUMENTS),
        "g_id_number": guardian.get("id_number"),
    }
