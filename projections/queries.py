"""QRY-1/QRY-2 over the `students` view: filters, custom conditions, sorting and paging.

Custom conditions (自定义条件) are `field:op:value` over any column in `FIELDS`; a bad field,
operator or value is a `ContractError` naming it (HTTP 422), never a database error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Float,
    Integer,
    Table,
    and_,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from contracts.errors import ContractError

#: Columns a user may filter, sort and export by (everything but internal bookkeeping).
HIDDEN = frozenset({"dedup_key", "event_count"})
OPS = ("eq", "ne", "lt", "gt", "le", "ge", "contains", "in")


def fields(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in HIDDEN]


@dataclass
class StudentQuery:
    #: Schools in sight; None = the whole province (a province-level caller, no filter needed).
    schools: list[str] | None
    statuses: list[str] | None = None
    equals: dict[str, Any] = field(default_factory=dict)  # school_code, grade, class_code …
    name: str | None = None
    conds: list[str] = field(default_factory=list)
    sort: str = "student_number"
    page: int = 1
    page_size: int = 20


@dataclass
class Join:
    """More columns for a page (QRY-2: the registration's), from `source` (a join)."""

    source: Any
    columns: list[Any]


def where(table: Table, q: StudentQuery) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    if q.schools is not None:
        clauses.append(table.c.school_code.in_(q.schools))
    if q.statuses:
        clauses.append(table.c.status.in_(q.statuses))
    clauses += [table.c[k] == v for k, v in q.equals.items() if v is not None]
    if q.name:
        clauses.append(table.c.name.contains(q.name, autoescape=True))
    clauses += [condition(table, raw) for raw in q.conds]
    return clauses


def condition(table: Table, raw: str) -> ColumnElement:
    """One custom condition `field:op:value` (`in` takes values separated by `|`)."""
    parts = raw.split(":", 2)
    if len(parts) != 3:
        raise ContractError("cond", "bad_condition", f"条件 {raw} 应为 字段:运算:值")
    name, op, text = parts
    if name not in fields(table):
        raise ContractError("cond", "unknown_field", f"未知的查询字段 {name}")
    if op not in OPS:
        raise ContractError("cond", "unknown_operator", f"未知的运算 {op}（可用：{'/'.join(OPS)}）")
    column = table.c[name]
    if op == "in":
        return column.in_([_value(column, name, v) for v in text.split("|")])
    if op == "contains":
        return column.contains(text, autoescape=True)
    value = _value(column, name, text)
    if isinstance(column.type, Boolean):  # yes/no: only equal or not (and never NULL's "no")
        if op not in ("eq", "ne"):
            raise ContractError("cond", "bad_operator", f"字段 {name} 只能用 eq 或 ne")
        return column.is_(value) if op == "eq" else column.is_not(value)
    compare = {
        "eq": column.__eq__,
        "ne": column.__ne__,
        "lt": column.__lt__,
        "gt": column.__gt__,
        "le": column.__le__,
        "ge": column.__ge__,
    }[op]
    return compare(value)


def _value(column: Any, name: str, text: str) -> Any:
    if isinstance(column.type, Boolean):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ContractError("cond", "bad_value", f"字段 {name} 的值应为 true 或 false")
        return text.lower() in ("true", "1")
    if isinstance(column.type, Integer):
        try:
            return int(text)
        except ValueError:
            raise ContractError("cond", "bad_value", f"字段 {name} 的值应为整数") from None
    if isinstance(column.type, Float):
        try:
            return float(text)
        except ValueError:
            raise ContractError("cond", "bad_value", f"字段 {name} 的值应为数字") from None
    return text


def order(table: Table, sort: str) -> list[ColumnElement]:
    name = sort.removeprefix("-")
    if name not in fields(table):
        raise ContractError("sort", "unknown_field", f"未知的排序字段 {name}")
    column, key = table.c[name], table.c.student_id
    # The primary key breaks ties, so pages never overlap or skip; in the same direction, so
    # that one index (column, student_id) read backwards serves a descending sort.
    if sort.startswith("-"):
        return [column.desc(), key.desc()]
    return [column.asc(), key.asc()]


def search(
    connection: Connection, table: Table, q: StudentQuery, extra: Join | None = None
) -> dict[str, Any]:
    """One page (`items`) and the number of matching rows (`total`)."""
    clauses = where(table, q)
    columns = [table.c[n] for n in fields(table)] + list(extra.columns if extra is not None else [])
    source = table if extra is None else extra.source
    # Keys first, rows after ("deferred join"): sorting the narrow keys of 40,000 rows out of
    # an index instead of the rows themselves took a county's page from 140 ms to a few.
    keys = (
        select(table.c.student_id)
        .where(and_(True, *clauses))
        .order_by(*order(table, q.sort))
        # Literal, not bound: with `LIMIT ?` SQLite plans for any size and walks the whole
        # sort index (a county's page: 40-70 ms instead of 0.3 ms). Both are checked ints.
        .limit(literal_column(str(int(q.page_size))))
        .offset(literal_column(str(int((q.page - 1) * q.page_size))))
    )
    page = (
        select(*columns)
        .select_from(source)
        .where(table.c.student_id.in_(keys.scalar_subquery()))
        .order_by(*order(table, q.sort))
    )
    total = connection.scalar(select(func.count()).select_from(table).where(and_(True, *clauses)))
    items = [dict(r) for r in connection.execute(page).mappings()]
    return {"items": items, "total": total}


def rows(
    connection: Connection, table: Table, q: StudentQuery, columns: list[str], limit: int
) -> list[tuple]:
    """Every matching row (up to `limit`) with the chosen columns, for an export."""
    statement = (
        select(*[table.c[n] for n in columns])
        .where(and_(True, *where(table, q)))
        .order_by(*order(table, q.sort))
        .limit(literal_column(str(int(limit))))
    )
    return [tuple(r) for r in connection.execute(statement)]
