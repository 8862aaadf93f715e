"""The `problems` view (问题学籍处理, PRB-1…PRB-4): one row per record of this province in a
problem group, with what the seed's lists show and filter — type, scope (in-province or
cross-province), the record (school, grade and class, name, sex, document), its state in the
group, whether an action of it is in approval (是否锁定) and whether it must act now.

Every stored change of a group carries the whole group, so a row is always the group's word.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Index, MetaData, String, Table, func, select

from contracts.codes import ClassCode
from contracts.errors import ContractError
from contracts.problems import MUST_ACT, GroupState, ProblemGroup, ProblemKind, SideState
from projections.batch import Batch
from projections.machinery import View
from province_node.domain.problem import SCOPE_LABELS, Problem

COLUMNS = (
    "problem_id",
    "type",
    "scope",
    "group_state",
    "state",
    "action",
    "student_number",
    "school_code",
    "class_code",
    "grade_name",
    "name",
    "sex",
    "id_type",
    "id_number",
    "arbiter_code",
    "opened_at",
    "updated_at",
)


def problems_view(prefix: str, province: str) -> View:
    metadata = MetaData()
    table = Table(
        f"{prefix}_v_problems",
        metadata,
        Column("id", String(80), primary_key=True),
        *[Column(name, String(60)) for name in COLUMNS],
        Column("locked", Boolean, nullable=False),
        Column("must_act", Boolean, nullable=False),
    )
    Index(f"{table.name}_school_idx", table.c.school_code, table.c.group_state)
    Index(f"{table.name}_arbiter_idx", table.c.arbiter_code, table.c.group_state)
    view = View("problems", metadata)
    _Handlers(view, table, province)
    return view


class _Handlers:
    def __init__(self, view: View, table: Table, province: str) -> None:
        self.table, self.province = table, province
        view.on(Problem.Opened)(self.opened)
        view.on(Problem.Changed, Problem.Reopened)(self.changed)

    def opened(self, batch: Batch, e: Any) -> None:
        arbiter = (e.arbiter or {}).get("unit_code")
        self._put(batch, e, e.scope, arbiter, e.at)

    def changed(self, batch: Batch, e: Any) -> None:
        group = ProblemGroup.model_validate(e.group)
        any_row = next(
            (r for s in group.sides if (r := batch.get(self.table, _id(e, s.student_number)))),
            None,
        )
        if any_row is not None:
            self._put(batch, e, any_row["scope"], any_row["arbiter_code"], any_row["opened_at"])

    def _put(self, batch: Batch, e: Any, scope: str, arbiter: str | None, opened: str) -> None:
        group = ProblemGroup.model_validate(e.group)
        for side in group.sides:
            if side.province != self.province:
                continue
            batch.get(self.table, _id(e, side.student_number))  # stored rows are replaced
            row = {
                "id": _id(e, side.student_number),
                "problem_id": str(e.originator_id),
                "type": group.kind.value,
                "scope": scope,
                "group_state": group.state.value,
                "state": side.state.value,
                "action": side.action.value if side.action else None,
                "student_number": side.student_number,
                "school_code": side.school_code,
                "class_code": side.class_code,
                "grade_name": _grade_name(side.class_code),
                "name": side.name,
                "sex": side.sex,
                "id_type": side.id_type,
                "id_number": side.id_number,
                "arbiter_code": arbiter,
                "opened_at": opened,
                "updated_at": e.at,
                "locked": side.state is SideState.ACTING,
                "must_act": group.state is GroupState.OPEN and side.state in MUST_ACT,
            }
            batch.put(self.table, row)


def _id(e: Any, student_number: str) -> str:
    return f"{e.originator_id}:{student_number}"


def _grade_name(class_code: str | None) -> str | None:
    try:
        return ClassCode.parse(class_code).grade_name if class_code else None
    except ContractError:
        return None


def find(connection: Any, table: Table, filters: dict, schools: list[str] | None,
         limit: int, offset: int = 0, students: Table | None = None) -> dict:  # fmt: skip
    """Rows matching `filters` — scope (`province`: in-province and invalid-ID; `cross`), type,
    state (`open` / `arbitration` / `closed`), `must_act`, `locked`, grade name, class, school,
    name, number, `arbiter` (the groups awaiting this unit's arbitration) — in `schools` (None:
    the whole province), newest first.

    PRB-6: a record is listed where it is now (`students`, the students view: its school and
    class today), so a graduate's problem travels to the school that admitted it."""
    columns = [c for c in table.c if c.name not in ("school_code", "class_code")]
    school, klass = table.c.school_code, table.c.class_code
    joined = table
    if students is not None:
        joined = table.outerjoin(students, students.c.student_number == table.c.student_number)
        school = func.coalesce(students.c.school_code, table.c.school_code)
        klass = func.coalesce(students.c.class_code, table.c.class_code)
    statement = select(*columns, school.label("school_code"), klass.label("class_code"))
    statement = statement.select_from(joined)
    if filters.get("arbiter"):
        statement = statement.where(table.c.arbiter_code == filters["arbiter"])
    elif schools is not None:
        statement = statement.where(school.in_(schools))
    scope = filters.get("scope")
    if scope == "cross":
        statement = statement.where(table.c.scope == "cross")
    elif scope == "province":
        statement = statement.where(table.c.scope.in_(("province", "single")))
    if filters.get("type"):
        statement = statement.where(table.c.type == filters["type"])
    if filters.get("state"):
        statement = statement.where(table.c.group_state == filters["state"])
    for flag in ("must_act", "locked"):
        if filters.get(flag) is not None:
            statement = statement.where(table.c[flag] == bool(filters[flag]))
    if filters.get("school_code"):
        statement = statement.where(school == filters["school_code"])
    if filters.get("class_code"):
        statement = statement.where(klass == filters["class_code"])
    for name in ("grade_name", "student_number"):
        if filters.get(name):
            statement = statement.where(table.c[name] == filters[name])
    if filters.get("name"):
        statement = statement.where(table.c.name.contains(filters["name"]))
    counted = statement.with_only_columns(table.c.id).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    page = statement.order_by(table.c.updated_at.desc(), table.c.id).limit(limit).offset(offset)
    items = [_labelled(dict(r)) for r in connection.execute(page).mappings()]
    return {"total": total, "items": items}


def _labelled(row: dict) -> dict:
    return row | {
        "type_label": ProblemKind(row["type"]).label,
        "scope_label": SCOPE_LABELS[row["scope"]],
        "state_label": SideState(row["state"]).label,
        "group_state_label": GroupState(row["group_state"]).label,
    }
