"""Container checks on an uploaded file before openpyxl parses it (REG-4 whole-file refusals)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from xml.etree import ElementTree

from openpyxl.utils.cell import range_boundaries

from contracts.errors import ContractError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
NOT_XLSX = "文件不是 Excel（.xlsx）文件，请下载模板填写后再上传（.xls、CSV 等格式不能导入）"


def open_package(data: bytes, max_unpacked: int) -> zipfile.ZipFile:
    """An .xlsx is a zip holding [Content_Types].xml; anything else is refused by content."""
    buffer = BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise ContractError("file", "not_xlsx", NOT_XLSX)
    try:
        package = zipfile.ZipFile(buffer)
    except zipfile.BadZipFile:
        raise ContractError("file", "not_xlsx", NOT_XLSX) from None
    names = set(package.namelist())
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ContractError("file", "not_xlsx", NOT_XLSX)
    # A few MB of zip can unpack to gigabytes; refuse before anything is inflated.
    if sum(info.file_size for info in package.infolist()) > max_unpacked:
        raise ContractError("file", "too_large", "文件解压后过大，请检查是否有大量多余的内容")
    return package


def merged_ranges(package: zipfile.ZipFile, sheet_title: str, from_row: int = 1) -> list[str]:
    """Merged ranges of one sheet reaching row `from_row` or below, e.g. ["A3:A4"].

    openpyxl's streaming (read-only) mode does not report merged cells, and its full mode
    would build every cell up to the last used row, so the merge list is read directly.
    """
    path = _sheet_path(package, sheet_title)
    if path is None:
        return []
    found = [match.decode() for match in _MERGE.findall(package.read(path))]
    return [cell_range for cell_range in found if _rows_of(cell_range)[1] >= from_row]


def describe_range(cell_range: str) -> str:
    """Names the rows too, e.g. A3:A4（第3至4行）: rows are what users look for in Excel."""
    first, last = _rows_of(cell_range)
    rows = f"第{first}行" if first == last else f"第{first}至{last}行"
    return f"{cell_range}（{rows}）"


def _rows_of(cell_range: str) -> tuple[int, int]:
    _, min_row, _, max_row = range_boundaries(cell_range)
    return min_row or 1, max_row or 1


def _sheet_path(package: zipfile.ZipFile, sheet_title: str) -> str | None:
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rel_id = next(
        (s.get(_REL_ID) for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet_title),
        None,
    )
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            # Excel writes targets relative to xl/, openpyxl absolute from the package root.
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None
