"""学校变更 (ORG-2): the quarterly school changes of the institution code system [002 §20].

A file of changes (新增 / 变更 / 撤销 / 撤销教育阶段) is imported by the province; each change
awaits its school's supervising bureau (待确认), which confirms it (已确认). An add or a
change takes effect at once (处理完毕): an added school is registered with no classes, a
school without an identification code is attached as a branch campus of a public school
[004 Q14]. A revoke (or a stage's revoke) waits until the school (the stage) has no
enrolled student and no business in flight; the school's accounts are disabled then.
Revoked schools are never deleted [004 Q107].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import SchoolSystem, SchoolType, Stage
from contracts.errors import ContractError, DomainError
from province_node.domain.region_change import (
    CONFIRMED,
    DONE,
    PENDING,
    STATE_LABELS,
    Column,
    RowProblems,
    region_code_of,
)
from province_node.domain.school import ACTIVE, BUREAU, FIELDS, REVOKED, School, check_value

_NS = uuid5(NAMESPACE_URL, "xueji:province:school-change")

KIND_LABELS = {
    "add": "新增",
    "campus": "新增（分校区）",
    "change": "变更",
    "revoke": "撤销",
    "revoke_stage": "撤销教育阶段",
}
KIND_WORDS = {"新增": "add", "变更": "change", "撤销": "revoke", "撤销教育阶段": "revoke_stage"}
STAGE_WORDS = {s.label: s.value for s in Stage} | {s.value: s.value for s in Stage}

SCHOOL_COLUMNS = (
    Column("kind", "变更类型", hint="新增、变更、撤销或撤销教育阶段"),
    Column("school_code", "学校标识码", required=False, hint="10位；无标识码的学校作为分校区"),
    Column("name", "学校名称", required=False),
    Column("region_code", "学校地址代码", required=False, hint="12位行政区划代码"),
    Column("supervising_unit", "主管教育行政部门代码", required=False, hint="12位"),
    Column("locality_unit", "属地管理教育行政部门代码", required=False, hint="12位，默认同地址"),
    Column("school_type", "学校类别", required=False, hint="普通中小学、特教学校或工读学校"),
    Column("running_type", "学校办学类型", required=False, hint="如 九年一贯制学校"),
    Column("sponsor", "学校举办者类型", required=False, hint="如 县级教育部门、民办"),
    Column("stages", "教育阶段", required=False, hint="小学、初中、高中，多个用顿号分隔"),
    Column("school_system", "学制", required=False, hint="6-3 或 5-4"),
    Column("main_school", "主校区标识码", required=False, hint="分校区填写所属公办学校"),
    Column("year", "变更年度", hint="4位年份"),
    Column("quarter", "变更季度", hint="1至4"),
)
#: The profile fields a 变更 row may carry (the institution code system's own fields).
CHANGE_FIELDS = ("name", "region_code", "supervising_unit", "locality_unit", "school_type",
                 "running_type", "sponsor", "stages", "school_system")  # fmt: skip


def _stages(raw: str) -> list[str]:
    words = [w.strip() for w in raw.replace("，", "、").replace(",", "、").split("、") if w.strip()]
    unknown = [w for w in words if w not in STAGE_WORDS]
    if not words or unknown:
        raise ContractError("stages", "bad_stage", f"应为小学、初中或高中：{raw or '（空）'}")
    return sorted({STAGE_WORDS[w] for w in words})


def _int(raw: str, field: str, low: int, high: int, what: str) -> int:
    text = str(raw).strip()
    if not (text.isdigit() and low <= int(text) <= high):
        raise ContractError(field, f"bad_{field}", f"应为{what}：{text or '（空）'}")
    return int(text)


def change_id(change: dict) -> str:
    """The same row imported twice is the same change (not stored twice)."""
    fields = sorted((k, str(v)) for k, v in change["fields"].items())
    key = (change["year"], change["quarter"], change["kind"], change["school_code"],
           change.get("main_school", ""), fields)  # fmt: skip
    return str(uuid5(_NS, repr(key)))


def plan_school_rows(
    rows: list[tuple[int, dict[str, str]]],
    schools: Callable[[str], School | None],
    known_bureau: Callable[[str], bool],
    known_changes: Mapping[str, dict],
) -> list[dict]:
    """The changes of a file (or of one entry, `POST /api/v1/schools`), each judged against
    the schools as they are; refused as a whole (`FileRefused`) if any row is bad."""
    problems = RowProblems(SCHOOL_COLUMNS)
    planned: list[dict] = []
    seen: set[str] = set()
    if not rows:
        problems.add(0, "file", "文件中没有变更数据")
    for row, cells in rows:
        cells = {k: str(v if v is not None else "").strip() for k, v in cells.items()}
        kind = KIND_WORDS.get(cells.get("kind", ""))
        if kind is None:
            words = "、".join(KIND_WORDS)
            problems.add(row, "kind", f"应为{words}：{cells.get('kind') or '（空）'}")
            continue
        year = problems.check(row, lambda c=cells: _int(c.get("year", ""), "year", 2000, 2100,
                                                        "4位年份"))  # fmt: skip
        quarter = problems.check(row, lambda c=cells: _int(c.get("quarter", ""), "quarter", 1, 4,
                                                           "1至4的季度"))  # fmt: skip
        if year is None or quarter is None:
            continue
        change = problems.check(row, lambda c=cells, k=kind: _plan(k, c, schools, known_bureau))
        if change is None:
            continue
        change |= {"year": year, "quarter": quarter, "row": row}
        change["id"] = change_id(change)
        target = change["school_code"] or f"{change['main_school']}:{change['fields']['name']}"
        if target in seen:
            problems.add(row, "school_code", f"同一文件中 {target} 重复出现")
            continue
        seen.add(target)
        change["duplicate"] = change["id"] in known_changes
        planned.append(change)
    problems.raise_if_any()
    return planned


def _plan(
    kind: str,
    cells: dict[str, str],
    schools: Callable[[str], School | None],
    known_bureau: Callable[[str], bool],
) -> dict:
    code = cells.get("school_code", "")
    if code and not (len(code) == 10 and code.isdigit()):
        raise ContractError("school_code", "bad_school_code", f"学校标识码应为10位数字：{code}")
    change = {"kind": kind, "school_code": code, "main_school": "", "fields": {}, "stage": ""}
    if kind == "add" and not code:
        return _plan_campus(change, cells, schools)
    if not code:
        raise ContractError("school_code", "school_code_required", "须填写学校标识码")
    school = schools(code)
    if kind == "add":
        if school is not None:
            raise ContractError(
                "school_code", "school_exists", f"学校 {code}（{school.name}）已存在"
            )
        fields = _fields(cells, known_bureau)
        for key in ("name", "region_code", "supervising_unit", "stages"):
            if key not in fields:
                label = next(c.label for c in SCHOOL_COLUMNS if c.key == key)
                raise ContractError(key, f"{key}_required", f"新增学校须填写{label}")
        fields.setdefault("locality_unit", fields["region_code"])
        fields.setdefault("school_type", SchoolType.ORDINARY.value)
        fields.setdefault("school_system", SchoolSystem.SIX_THREE.value)
        return change | {"fields": fields, "name": fields["name"],
                         "supervising_unit": fields["supervising_unit"]}  # fmt: skip
    if school is None or school.state == REVOKED:
        raise ContractError("school_code", "unknown_school", f"学校 {code} 不存在或已撤销")
    change |= {"name": school.name, "supervising_unit": school.supervising_unit}
    if school.state != ACTIVE:
        raise ContractError("school_code", "school_revoking", f"学校 {code} 正在撤销")
    if kind == "change":
        fields = _fields(cells, known_bureau)
        if "stages" in fields and not set(school.stages) <= set(fields["stages"]):
            raise ContractError("stages", "stage_removed",
                                "变更不能去掉教育阶段，请用“撤销教育阶段”")  # fmt: skip
        system = fields.get("school_system", school.school_system)
        if system != school.school_system and school.classes:
            raise ContractError(
                "school_system", "school_system_fixed", "学校已开设班级，不能变更学制"
            )
        fields = {k: v for k, v in fields.items() if school.value_of(k) != v}
        if not fields:
            raise ContractError("name", "nothing_to_change", "变更没有填写与现有信息不同的项")
        return change | {"fields": fields}
    if kind == "revoke_stage":
        stages = _stages(cells.get("stages", ""))
        if len(stages) != 1 or stages[0] not in school.stages:
            raise ContractError("stages", "bad_stage", "撤销教育阶段须填写本校现有的一个教育阶段")
        if len(school.stages) == 1:
            raise ContractError("stages", "last_stage", "学校只有这一个教育阶段，请撤销学校")
        return change | {"stage": stages[0]}
    return change  # revoke


def _plan_campus(
    change: dict, cells: dict[str, str], schools: Callable[[str], School | None]
) -> dict:
    """[004 Q14]: no identification code → a branch campus of a public school."""
    main_code = cells.get("main_school", "")
    if not main_code:
        raise ContractError("main_school", "main_school_required",
                            "没有学校标识码的学校须填写所属公办学校的主校区标识码")  # fmt: skip
    main = schools(main_code)
    if main is None or main.state != ACTIVE:
        raise ContractError("main_school", "unknown_school", f"主校区学校 {main_code} 不存在")
    if not main.is_public:
        raise ContractError("main_school", "not_public", f"学校 {main_code} 不是公办学校，不能挂靠")
    name = cells.get("name", "").replace(" ", "")
    if not name:
        raise ContractError("name", "name_required", "分校区须填写学校名称")
    address = cells.get("region_code", "")
    return change | {"kind": "campus", "main_school": main_code, "name": name,
                     "fields": {"name": name, "address": address},
                     "supervising_unit": main.supervising_unit}  # fmt: skip


def _fields(cells: dict[str, str], known_bureau: Callable[[str], bool]) -> dict:
    fields: dict[str, object] = {}
    for key in CHANGE_FIELDS:
        raw = cells.get(key, "")
        if not raw:
            continue
        if key == "stages":
            fields[key] = _stages(raw)
        elif key in ("region_code", "supervising_unit", "locality_unit"):
            code = region_code_of(raw, key)
            fields[key] = check_value(FIELDS[key], code, known_bureau)
        else:
            fields[key] = check_value(FIELDS[key], raw, known_bureau)
    return fields


class SchoolChangeBook(Aggregate):
    """A province's school changes, each awaiting (or confirmed by) its supervising bureau."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"schools:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.changes: dict[str, dict] = {}

    @event("Imported")
    def import_changes(self, changes: list[dict], filename: str, at: str, meta: dict) -> None:
        for change in changes:
            self.changes[change["id"]] = change | {
                "state": PENDING, "filename": filename, "imported_at": at,
                "imported_by": meta.get("account"), "confirmed_at": None, "confirmed_by": None,
                "done_at": None, "disabled_accounts": [],
            }  # fmt: skip

    def check_confirm(self, change_id: str, unit_code: str) -> dict:
        change = self.changes.get(change_id)
        if change is None:
            raise ContractError("ids", "unknown_change", f"学校变更 {change_id} 不存在")
        if change["supervising_unit"] != unit_code:
            raise DomainError(
                f"学校变更（{change['school_code'] or change['name']}）由学校主管教育行政部门确认",
                code="not_supervising_bureau", field="ids",
            )  # fmt: skip
        if change["state"] != PENDING:
            raise DomainError(
                f"学校变更（{change['school_code'] or change['name']}）"
                f"已{STATE_LABELS[change['state']]}", code="already_confirmed", field="ids",
            )  # fmt: skip
        return change

    @event("Confirmed")
    def confirm(self, change_id: str, at: str, meta: dict) -> None:
        change = self.changes[change_id]
        change.update(state=CONFIRMED, confirmed_at=at, confirmed_by=meta.get("account"))

    @event("Completed")
    def complete(self, change_id: str, disabled_accounts: list[str], at: str, meta: dict) -> None:
        change = self.changes[change_id]
        change.update(state=DONE, done_at=at, disabled_accounts=list(disabled_accounts))

    def waiting(self) -> list[dict]:
        """Confirmed revokes (of a school or a stage) not yet done."""
        return [c for c in self.changes.values() if c["state"] == CONFIRMED]

    def listing(self, year: int | None = None, state: str | None = None) -> list[dict]:
        found = [
            c for c in self.changes.values()
            if (year is None or c["year"] == year) and (state is None or c["state"] == state)
        ]  # fmt: skip
        return sorted(found, key=lambda c: (-c["year"], -c["quarter"], c["imported_at"], c["row"]))


def view(change: dict) -> dict:
    shown = {k: v for k, v in change.items() if k != "duplicate"}
    labels = {k: FIELDS[k].label if k in FIELDS else ("教育阶段" if k == "stages" else "地址")
              for k in change["fields"]}  # fmt: skip
    return shown | {
        "kind_label": KIND_LABELS[change["kind"]],
        "state_label": STATE_LABELS[change["state"]],
        "field_labels": labels,
        "stage_label": Stage(change["stage"]).label if change.get("stage") else "",
    }


__all__ = ["BUREAU", "CONFIRMED", "DONE", "PENDING", "SchoolChangeBook", "plan_school_rows"]
