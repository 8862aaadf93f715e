"""ID-7 reads of the `students` view: a school's records an import's file names are matched
against, and the records whose photos an export takes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from contracts.codes import StudentStatus

#: A photo belongs to a record still in the school's care (not deleted, not left).
_GONE = (StudentStatus.DELETED.value, StudentStatus.TRANSFERRED_OUT.value)
_COLUMNS = (
    "student_number",
    "name",
    "id_number",
    "school_code",
    "class_code",
    "grade",
    "class_name",
    "status",
    "has_photo",
)


def school_students(connection: Any, table: Table, school_code: str) -> list[dict]:
    """The school's records an import may set photos of."""
    statement = select(*[table.c[c] for c in _COLUMNS]).where(
        table.c.school_code == school_code, table.c.status.not_in(_GONE)
    )
    return [dict(row._mapping) for row in connection.execute(statement)]


def photographed(
    connection: Any,
    table: Table,
    schools: list[str] | None,
    equals: dict[str, str | None],
    limit: int,
) -> list[dict]:
    """The records with a photo among `schools` (None: every school), by school, grade,
    class."""
    statement = select(*[table.c[c] for c in _COLUMNS]).where(
        table.c.has_photo.is_(True), table.c.status.not_in(_GONE)
    )
    if schools is not None:
        statement = statement.where(table.c.school_code.in_(schools))
    for column, value in equals.items():
        if value:
            statement = statement.where(table.c[column] == value)
    statement = statement.order_by(table.c.school_code, table.c.class_code, table.c.student_number)
    return [dict(row._mapping) for row in connection.execute(statement.limit(limit))]
