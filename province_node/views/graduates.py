"""Reads of the `students` view for 毕业升级 (GRD-1, GRD-3, GRD-4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select

from contracts.codes import StudentStatus

#: GRD-1: the statuses a graduation may start from (the transition table's rows say the same).
MAY_GRADUATE = (StudentStatus.ENROLLED.value, StudentStatus.OTHER_LEFT.value)
GRADUATE_COLUMNS = (
    "student_id",
    "student_number",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "school_code",
    "school_name",
    "class_code",
    "class_name",
    "status",
    "graduation_kind",
    "graduation_stage",
    "graduation_date",
    "supervising_unit",
    "graduation_school_code",
    "admission_status",
)

_FILTERS = (
    ("stage", "graduation_stage"),
    ("school_code", "graduation_school_code"),
    ("kind", "graduation_kind"),
    ("student_number", "student_number"),
)


def in_classes(connection: Any, table: Table, school_code: str, class_codes: list[str]) -> list:
    """The records of these classes that may graduate, by number."""
    statement = (
        select(table.c.student_id, table.c.student_number, table.c.class_code)
        .where(table.c.school_code == school_code, table.c.class_code.in_(class_codes))
        .where(table.c.status.in_(MAY_GRADUATE))
        .order_by(table.c.class_code, table.c.student_number)
    )
    return [dict(r) for r in connection.execute(statement).mappings()]


def graduates(connection: Any, table: Table, filters: dict, schools: list[str] | None,
              limit: int, offset: int = 0) -> dict:  # fmt: skip
    """GRD-4 毕业生查询: by graduation year, stage, school, name or number; newest first."""
    statement = select(*[table.c[c] for c in GRADUATE_COLUMNS]).where(
        table.c.graduation_date.is_not(None)
    )
    if schools is not None:  # the graduating school's units see its graduates
        statement = statement.where(table.c.graduation_school_code.in_(schools))
    if filters.get("admitted") is not None:  # GRD-4 招生状态: pulled by a school of the next stage
        admitted = table.c.admission_status.is_not(None)
        statement = statement.where(admitted if filters["admitted"] else ~admitted)
    if filters.get("year"):
        year = str(filters["year"])
        statement = statement.where(
            table.c.graduation_date.between(f"{year}-01-01", f"{year}-12-31")
        )
    for name, column in _FILTERS:
        if filters.get(name):
            statement = statement.where(table.c[column] == filters[name])
    if filters.get("name"):
        statement = statement.where(table.c.name.contains(filters["name"]))
    counted = statement.with_only_columns(table.c.student_id).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    order = (table.c.graduation_date.desc(), table.c.student_number)
    page = statement.order_by(*order).limit(limit).offset(offset)
    return {"items": [dict(r) for r in connection.execute(page).mappings()], "total": total}


def to_promote(connection: Any, table: Table, after: str, limit: int) -> list[str]:
    """GRD-3: the next in-school records by id after `after`, the order the promotion job
    walks them in (each record then decides for itself whether it moves)."""
    statement = (
        select(table.c.student_id)
        .where(table.c.student_id > after, table.c.status == StudentStatus.ENROLLED.value)
        .order_by(table.c.student_id)
        .limit(limit)
    )
    return [r[0] for r in connection.execute(statement)]
