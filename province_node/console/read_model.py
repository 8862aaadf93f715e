"""What the query pages need from the students read model (QRY-1, QRY-2), in one file.

The pages call the JSON routers' own functions (`province_node/api/queries.py`): the same
filters, custom conditions, jurisdiction and read-your-writes wait as `GET /api/v1/students`
and `/students/info`; the export writes the same workbook as `/students/export` once the
page has had the second account confirm it (SEC-4, `students.py`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from contracts.codes import StudentStatus
from contracts.errors import ContractError
from projections import excel
from projections.queries import fields, rows
from province_node.api import queries
from xueji.access.sessions import Session

FILTERS = (
    "region",
    "school_code",
    "grade",
    "class_code",
    "name",
    "student_number",
    "id_number",
    "has_photo",
    "status",
)
#: Custom condition rows on the page (自定义条件): field, operator, value each.
CONDITION_ROWS = 3
OPERATORS = {
    "eq": "等于",
    "ne": "不等于",
    "contains": "包含",
    "in": "属于（以|分隔）",
    "lt": "小于",
    "le": "不大于",
    "gt": "大于",
    "ge": "不小于",
}
#: Chinese names of the columns the export does not label (custom conditions offer all).
MORE_LABELS = {
    "number_kind": "学籍号类型",
    "school_type": "办学类型",
    "school_system": "学制",
    "city_code": "所在地市",
    "province_code": "所在省",
    "supervising_unit": "主管单位",
    "locality_unit": "属地单位",
    "stage": "学段",
    "entry_year": "入学年份",
    "migrant": "进城务工人员随迁子女",
    "left_behind": "留守儿童",
    "special_needs": "残疾学生",
    "guardians_count": "监护人数",
    "guardian_name": "监护人姓名",
    "guardian_relation": "监护人关系",
    "guardian_id_number": "监护人证件号",
    "registered_by": "注册账号",
    "registered_unit": "注册单位",
    "last_change_at": "最后变动时间",
    "last_change_type": "最后变动事项",
    "last_change_by": "最后变动账号",
    "deletion_requested": "有删除申请",
    "deletion_reason": "删除理由",
    "deleted_at": "删除时间",
}
STATUSES = [s.value for s in StudentStatus]
PAGE_SIZE = 20
LIMITS = {"region": 10, "school_code": 10, "class_code": 7, "student_number": 19, "id_number": 40}
#: Exported unless the user picks others: what the result table shows.
DEFAULT_COLUMNS = (
    "student_number",
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "school_name",
    "grade",
    "class_code",
    "status",
)


@dataclass
class Result:
    items: list[dict] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    #: Set when the query was not run (said on the page, not an error).
    note: str | None = None


def conditions(params) -> tuple[list[dict], list[str]]:
    """The condition rows as typed (to show them again) and as `field:op:value` strings."""
    typed, conds = [], []
    for i in range(CONDITION_ROWS):
        row = {k: str(params.get(f"c{i}_{k}", "")).strip()[:60] for k in ("field", "op", "value")}
        typed.append(row)
        if row["field"] and row["value"]:
            conds.append(f"{row['field']}:{row['op'] or 'eq'}:{row['value']}")
    return typed, conds


def _has_photo(text: str) -> bool | None:
    return {"1": True, "0": False}.get(text)


async def _query(runtime, user: Session, filters: dict[str, str], conds: list[str], page: int):
    # The API's own limits (its Query(max_length=…)), which a direct call does not apply.
    given = {k: v.strip()[: LIMITS.get(k, 50)] or None for k, v in filters.items() if k in FILTERS}
    given["has_photo"] = _has_photo(filters.get("has_photo", ""))
    return await queries.student_query(
        runtime, user, runtime.access.policy, **given, cond=conds, page=max(page, 1),
        page_size=PAGE_SIZE,
    )  # fmt: skip


async def search(
    runtime, user: Session, filters: dict[str, str], conds: list[str], page: int = 1, info=False
) -> Result:
    """QRY-1 (`info`: QRY-2, every status) for the caller's jurisdiction, one page."""
    q = await _query(runtime, user, filters, conds, page)
    found = await (queries.student_info if info else queries.list_students)(runtime, q)
    pages = -(-found["total"] // PAGE_SIZE)
    return Result(items=found["items"], total=found["total"], page=q.page, pages=pages)


def columns_of(runtime, chosen: list[str]) -> list[str]:
    """The export's columns (the table's by default); an unknown one is refused."""
    table = runtime.views.view("students").table("students")
    unknown = [c for c in chosen if c not in fields(table)]
    if unknown:
        raise ContractError("columns", "unknown_field", f"未知的导出列 {','.join(unknown)}")
    return chosen or list(DEFAULT_COLUMNS)


async def export(
    runtime, user: Session, filters: dict[str, str], conds: list[str], columns: list[str], info
) -> tuple[bytes, int]:
    """The rows of the query (every page, ≤ 100,000) as the API's workbook, and how many;
    SEC-4 is the caller's to have checked and to record."""
    q = await _query(runtime, user, filters, conds, 1)
    if not info:
        q.statuses = q.statuses or [StudentStatus.ENROLLED.value]
    views = runtime.views
    await views.caught_up()
    table = views.view("students").table("students")
    found = await views.read(rows, table, q, columns, queries.EXPORT_LIMIT)
    # Seconds for 100,000 rows: built on a thread, the node keeps answering (issue 18 item 2).
    return await asyncio.to_thread(excel.workbook, columns, found), len(found)


def condition_fields(runtime) -> list[tuple[str, str]]:
    """Every column a custom condition may use (QRY-1: about 40), with its Chinese name."""
    table = runtime.views.view("students").table("students")
    labels = excel.LABELS | MORE_LABELS
    return [(c, labels[c]) for c in fields(table) if c in labels]


def column_choices() -> list[tuple[str, str]]:
    """Columns offered in the export dialog (the labelled ones), defaults first."""
    rest = [c for c in excel.LABELS if c not in DEFAULT_COLUMNS]
    return [(c, excel.LABELS.get(c, c)) for c in (*DEFAULT_COLUMNS, *rest)]
