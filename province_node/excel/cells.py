"""Cell values as Excel, WPS or a hand-typed file deliver them, turned into form values."""

from __future__ import annotations

import re
from datetime import date, datetime

from contracts.errors import ContractError

_DATE_TEXT = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_DASHES = re.compile(r"\s*[-－—]\s*")


def text(value: object) -> str:
    """Numbers typed into a general-format cell come back as int or float: show them as typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_empty(value: object) -> bool:
    return text(value) == ""


def document_number(value: object, field: str) -> str:
    """Long numbers stored as numbers have lost their last digits in Excel: say so plainly."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e15:
        message = "被 Excel 存成了数字，末几位已丢失，请把单元格设为文本后重新填写"
        raise ContractError(field, "stored_as_number", message)
    return text(value)


def code(value: object, codes: dict[str, str], field: str) -> str | None:
    """A drop-down entry "1-男", the bare code "1" or the label "男" all give the code."""
    raw = text(value)
    if not raw:
        return None
    head = _DASHES.split(raw, maxsplit=1)[0].upper()
    for key, label in codes.items():
        if head == key.upper() or raw == label:
            return key
    raise ContractError(field, "not_in_code_list", f"不在代码表中：{raw}")


def birth_date(value: object, field: str = "birth_date") -> date | None:
    """Excel date cells, or text YYYY-MM-DD, YYYY/MM/DD and YYYYMMDD (also typed as a number)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for pattern in _DATE_TEXT:
        match = pattern.fullmatch(raw)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise ContractError(field, "bad_date", f"日期不存在：{raw}") from None
    raise ContractError(field, "bad_date", f"格式应为 YYYY-MM-DD 或 YYYYMMDD：{raw}")
