"""QRY-6 counts over the `students` view, and how the hub adds up the provinces' answers.

Counts are a GROUP BY at query time rather than counters kept by the projector: they cannot
drift from the rows, and a province of 200,000 students groups in tens of milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, Table, and_, func, select

from contracts.queries import CountGroup, StudentCounts
from projections import excel

#: Dimension → column grouped by (`region` = the school's county).
COLUMNS = {
    "region": "region_code",
    "stage": "stage",
    "grade": "grade",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "status": "status",
}
#: `flags`: how many rows have each flag (DAY-3…DAY-5: migrant, left-behind, special
#: education, as the record maintenance sets them) and the record kinds.
FLAGS = {
    "migrant": lambda t: t.c.migrant.is_(True),
    "migrant_worker": lambda t: t.c.migrant_worker.is_(True),
    "left_behind": lambda t: t.c.left_behind.is_(True),
    "rural_left_behind": lambda t: t.c.rural_left_behind.is_(True),
    "special_needs": lambda t: t.c.special_needs.is_(True),
    "disabled": lambda t: t.c.disabled.is_(True),
    "has_photo": lambda t: t.c.has_photo.is_(True),
    "deletion_requested": lambda t: t.c.deletion_requested.is_(True),
    "number_G": lambda t: t.c.number_kind == "G",
    "number_J": lambda t: t.c.number_kind == "J",
    "number_L": lambda t: t.c.number_kind == "L",
}


def count(
    connection: Connection,
    table: Table,
    by: str,
    schools: list[str] | None,
    statuses: list[str],
    flag: str | None = None,
) -> tuple[list[dict], int]:
    """(groups `[{"key", "count"}]`, total) for the schools in sight (None: all), of the
    records with `flag` only if one is given."""
    scope = [table.c.status.in_(statuses)]
    if flag is not None:
        scope.append(FLAGS[flag](table))
    if schools is not None:
        scope.append(table.c.school_code.in_(schools))
    total = connection.scalar(select(func.count()).select_from(table).where(and_(*scope))) or 0
    if by == "flags":
        sums = [func.count().filter(test(table)).label(name) for name, test in FLAGS.items()]
        row = connection.execute(select(*sums).where(and_(*scope))).mappings().one()
        return [{"key": name, "count": row[name]} for name in FLAGS], total
    column = table.c[COLUMNS[by]]
    statement = select(column, func.count()).where(and_(*scope)).group_by(column).order_by(column)
    groups = [{"key": key, "count": n} for key, n in connection.execute(statement)]
    return groups, total


def add_up(by: str, answers: Iterable[StudentCounts], missing: list[str]) -> dict:
    """The hub's national figure: the provinces' groups summed, and who did not answer."""
    groups: Counter[str | None] = Counter()
    provinces = {}
    for answer in answers:
        provinces[answer.province] = answer.total
        for group in answer.groups:
            groups[group.key] += group.count
    return {
        "by": by,
        "groups": [
            CountGroup(key=k, count=n).model_dump()
            for k, n in sorted(groups.items(), key=lambda kv: str(kv[0]))
        ],
        "total": sum(provinces.values()),
        "provinces": provinces,
        "missing_provinces": sorted(missing),
    }


def counts_workbook(dimension: str, shown: list[dict], title: str) -> bytes:
    """QRY-6's numbers as the statistics pages show them (`label`, `count`), as Excel: counts
    only, no personal data leaves."""
    data = [(r["label"], r["count"]) for r in shown]
    return excel.workbook(["label", "count"], data, {"label": dimension, "count": "人数"}, title)
