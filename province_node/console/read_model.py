"""What the student query page needs from the students read model (QRY-1), in one file.

The read-model branch adds `GET /api/v1/students` with filters, custom conditions and
export. Until its service is wired here, the query degrades: an exact student number is
looked up in the record itself (jurisdiction enforced), other filters say the list query
is not available yet. To wire it, make `search` and `export` call that service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.errors import ContractError, Forbidden, NotFound
from contracts.ids import parse_student_number
from xueji.access.sessions import Session

FILTERS = ("name", "student_number", "id_number", "school_code", "grade", "status")


@dataclass
class Result:
    items: list[dict] = field(default_factory=list)
    total: int = 0
    #: Set when part of the query could not be run (said on the page, not an error).
    note: str | None = None


async def search(runtime, user: Session, filters: dict[str, str]) -> Result:
    """`GET /api/v1/students?…` for the caller's jurisdiction."""
    number = filters.get("student_number", "").strip()
    others = [k for k in FILTERS if k != "student_number" and filters.get(k)]
    if not number:
        if not others:
            return Result(note="请输入查询条件。")
        return Result(
            note="按姓名、身份证件号、学校、年级等条件的列表查询暂未开通，目前可按学籍号精确查询。"
        )
    try:
        number = str(parse_student_number(number))
        record = await runtime.writer(runtime.node.student, number)
    except (ContractError, NotFound):
        return Result()
    if not runtime.org.is_within(record["school_code"], user.unit_code):
        return Result()  # outside the jurisdiction: as if it did not exist
    wanted = {k: v.strip() for k, v in filters.items() if k in others}
    if any(
        str(record.get(k, "")) != v and v not in str(record.get(k, "")) for k, v in wanted.items()
    ):
        return Result()
    return Result(items=[record], total=1)


async def export(runtime, user: Session, filters: dict[str, str]) -> bytes | None:
    """The query's Excel export (SEC-4 confirmed by the caller); None while not available."""
    if user.unit_code not in runtime.org:
        raise Forbidden("不在本单位管辖范围内")
    return None
