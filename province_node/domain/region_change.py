"""区划变更 (ORG-1): the yearly region changes of the institution code system [002 §20].

A file of changes (新增 / 更名 / 撤销) is imported by the province; each change is 待确认
until the province confirms it (已确认). An add or a rename takes effect at once and is
处理完毕 then; a revoke stays 已确认 until no school and no lower region remains in the region
and no business in flight involves it, and is 处理完毕 when its accounts are disabled.

The province keeps one `RegionChangeBook`: the changes and the regions they made or changed
(the overlay on the shipped region table that the node's organisation tree is built from).
This module also holds what both change files share: the row problems of a refused file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError, DomainError

_NS = uuid5(NAMESPACE_URL, "xueji:province:org-change")

PENDING, CONFIRMED, DONE = "pending", "confirmed", "done"
STATE_LABELS = {PENDING: "待确认", CONFIRMED: "已确认", DONE: "处理完毕"}
KIND_LABELS = {"add": "新增", "rename": "更名", "revoke": "撤销"}
#: The file's words for a kind (变更 is the seed's word for a rename of a region).
KIND_WORDS = {"新增": "add", "更名": "rename", "变更": "rename", "撤销": "revoke"}
LEVEL_LABELS = {"province": "省级", "city": "地市级", "county": "区县级"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = True  # the cell must be filled (the column is always required)
    hint: str = ""


#: The region change file (template and reader): one change a row.
REGION_COLUMNS = (
    Column("kind", "变更类型", hint="新增、更名或撤销"),
    Column("code", "区划代码", hint="12位行政区划代码，如 440118000000"),
    Column("name", "区划名称", required=False, hint="新增、更名必填（更名后的名称）"),
    Column("parent", "上级区划代码", required=False, hint="新增必填，12位"),
    Column("year", "变更年度", hint="4位年份，如 2026"),
)


class FileRefused(DomainError):
    """A change file with bad rows: nothing of it is stored; every problem names its row
    (the Excel row number, header = 1) and field."""

    status = 422

    def __init__(self, problems: list[dict]) -> None:
        first = problems[0]
        where = f"第{first['row']}行" if first["row"] else "文件"
        more = f"（共{len(problems)}处问题）" if len(problems) > 1 else ""
        super().__init__(
            f"{where}：{first['message']}{more}，文件未导入", code="file_refused",
            field=first["field"],
        )  # fmt: skip
        self.row = first["row"]
        self.errors = problems


class RowProblems:
    """Collects a file's problems, each naming its row and the column's label."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self.labels = {c.key: c.label for c in columns}
        self.problems: list[dict] = []

    def add(self, row: int, field: str, message: str) -> None:
        label = self.labels.get(field, field)
        self.problems.append({"row": row, "field": field, "message": f"{label}：{message}"})

    def check(self, row: int, step) -> object | None:
        """`step()`'s result, or None with its ContractError recorded against `row`."""
        try:
            return step()
        except ContractError as bad:
            self.add(row, bad.field, bad.message)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise FileRefused(self.problems)


def check_columns(headers: list[str], columns: tuple[Column, ...]) -> None:
    """The file's first row must hold every column of the template (any order)."""
    missing = [c.label for c in columns if c.label not in headers]
    if missing:
        names = "、".join(missing)
        raise FileRefused([{"row": 1, "field": "file",
                            "message": f"缺少列：{names}（请下载模板填写）"}])  # fmt: skip


def region_code_of(raw: str, field: str) -> str:
    """A region code as files carry it (12 digits, ID-4) or as a 6-digit code."""
    text = raw.strip()
    if len(text) == 12 and text.isdigit():
        if not text.endswith("000000"):
            raise ContractError(field, "bad_region_code", f"区划代码后6位应为000000：{text}")
        return text[:6]
    if len(text) == 6 and text.isdigit():
        return text
    raise ContractError(field, "bad_region_code", f"区划代码应为12位数字：{text or '（空）'}")


def region_level(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    return "city" if code[4:] == "00" else "county"


def change_id(year: int, kind: str, code: str, name: str) -> str:
    """A change's id: the same row imported twice is the same change (not stored twice)."""
    return str(uuid5(_NS, f"region:{year}:{kind}:{code}:{name}"))


def plan_region_rows(
    rows: list[tuple[int, dict[str, str]]],
    regions: Mapping[str, dict],
    province: str,
    known_changes: Mapping[str, dict],
) -> list[dict]:
    """The changes of a file, each judged against the regions in force (`regions`: code →
    {name, level, parent, revoked}); refused as a whole (`FileRefused`) if any row is bad.
    A row already imported (same year, kind, code and name) comes back marked `duplicate`."""
    problems = RowProblems(REGION_COLUMNS)
    planned: list[dict] = []
    added: dict[str, dict] = {}
    seen: set[tuple[str, str]] = set()
    if not rows:
        problems.add(0, "file", "文件中没有变更数据")
    for row, cells in rows:
        kind = KIND_WORDS.get(cells.get("kind", "").strip())
        if kind is None:
            problems.add(row, "kind", f"应为新增、更名或撤销：{cells.get('kind') or '（空）'}")
            continue
        code = problems.check(row, lambda c=cells: region_code_of(c.get("code", ""), "code"))
        year = problems.check(row, lambda c=cells: _year(c.get("year", "")))
        name = cells.get("name", "").strip().replace(" ", "")
        if code is None or year is None:
            continue
        if code[:2] != province:
            problems.add(row, "code", f"{code} 不是本省的行政区划")
            continue
        if (kind, code) in seen:
            problems.add(row, "code", f"同一文件中 {code} 的{KIND_LABELS[kind]}重复")
            continue
        seen.add((kind, code))
        current = regions.get(code)
        change = {"year": year, "kind": kind, "code": code, "name": name, "row": row,
                  "old_name": current["name"] if current else "", "parent": "",
                  "level": region_level(code)}  # fmt: skip
        if kind == "add":
            if current is not None:
                problems.add(row, "code", f"区划 {code}（{current['name']}）已存在，不能新增")
                continue
            if not name:
                problems.add(row, "name", "新增区划须填写区划名称")
                continue
            parent = problems.check(
                row, lambda c=cells: region_code_of(c.get("parent", ""), "parent")
            )
            if parent is None:
                continue
            parent_region = regions.get(parent) or added.get(parent)
            if parent_region is None or parent_region.get("revoked"):
                problems.add(row, "parent", f"上级区划 {parent} 不存在")
                continue
            if not _may_hold(parent, parent_region["level"], code):
                problems.add(row, "parent", f"{code} 不能设在上级区划 {parent} 之下")
                continue
            change["parent"] = parent
            added[code] = {"name": name, "level": change["level"], "parent": parent}
        else:
            if current is None or current.get("revoked"):
                problems.add(row, "code", f"区划 {code} 不存在")
                continue
            if current["level"] == "province":
                problems.add(row, "code", "省级区划不能在此变更")
                continue
            change["parent"], change["level"] = current.get("parent") or "", current["level"]
            if kind == "rename" and (not name or name == current["name"]):
                problems.add(row, "name", "更名须填写新的区划名称")
                continue
            if kind == "revoke":
                change["name"] = current["name"]
        change["id"] = change_id(year, kind, code, change["name"])
        change["duplicate"] = change["id"] in known_changes
        planned.append(change)
    problems.raise_if_any()
    return planned


def _year(raw: str) -> int:
    text = str(raw).strip()
    if not (len(text) == 4 and text.isdigit() and 2000 <= int(text) <= 2100):
        raise ContractError("year", "bad_year", f"应为4位年份：{text or '（空）'}")
    return int(text)


def _may_hold(parent: str, parent_level: str, code: str) -> bool:
    """A city under its province; a county under its city, or its province (省直辖县)."""
    level = region_level(code)
    if level == "city":
        return parent_level == "province" and code[:2] == parent[:2]
    if level == "county":
        width = 4 if parent_level == "city" else 2
        return parent_level in ("city", "province") and code[:width] == parent[:width]
    return False


class RegionChangeBook(Aggregate):
    """A province's region changes and the regions they made (the overlay of the table)."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"regions:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.changes: dict[str, dict] = {}
        #: code → {code, name, level, parent, revoked}: regions added, renamed or revoked.
        self.regions: dict[str, dict] = {}

    @event("Imported")
    def import_changes(self, changes: list[dict], filename: str, at: str, meta: dict) -> None:
        for change in changes:
            self.changes[change["id"]] = change | {
                "state": PENDING, "filename": filename, "imported_at": at,
                "imported_by": meta.get("account"), "confirmed_at": None,
                "confirmed_by": None, "done_at": None, "disabled_accounts": [],
            }  # fmt: skip

    def check_confirm(self, change_id: str, regions: Mapping[str, dict]) -> dict:
        """The change may be confirmed now; refused naming why (ORG-1)."""
        change = self.changes.get(change_id)
        if change is None:
            raise ContractError("ids", "unknown_change", f"区划变更 {change_id} 不存在")
        if change["state"] != PENDING:
            raise DomainError(
                f"区划变更（{change['code']} {change['name']}）已{STATE_LABELS[change['state']]}",
                code="already_confirmed", field="ids",
            )  # fmt: skip
        current = regions.get(change["code"])
        if change["kind"] == "add":
            if current is not None:
                raise DomainError(f"区划 {change['code']} 已存在", code="region_exists",
                                  field="ids")  # fmt: skip
            parent = regions.get(change["parent"])
            if parent is None or parent.get("revoked"):
                raise DomainError(
                    f"上级区划 {change['parent']} 尚未生效，请先确认其新增", code="parent_pending",
                    field="ids",
                )  # fmt: skip
        elif current is None or current.get("revoked"):
            raise DomainError(f"区划 {change['code']} 不存在", code="unknown_region", field="ids")
        return change

    @event("Confirmed")
    def confirm(self, change_id: str, at: str, meta: dict) -> None:
        change = self.changes[change_id]
        change.update(state=CONFIRMED, confirmed_at=at, confirmed_by=meta.get("account"))

    @event("Completed")
    def complete(self, change_id: str, disabled_accounts: list[str], at: str, meta: dict) -> None:
        """The change took effect: the region exists, is renamed, or is revoked."""
        change = self.changes[change_id]
        change.update(state=DONE, done_at=at, disabled_accounts=list(disabled_accounts))
        code = change["code"]
        fresh = {"code": code, "level": change["level"], "parent": change["parent"]}
        region = self.regions.get(code) or fresh | {"revoked": False}
        if change["kind"] == "revoke":
            region |= {"name": change["old_name"] or change["name"], "revoked": True}
        else:
            region |= {"name": change["name"]}
        self.regions[code] = region

    def waiting_revokes(self) -> list[dict]:
        return [
            c for c in self.changes.values() if c["kind"] == "revoke" and c["state"] == CONFIRMED
        ]

    def listing(self, year: int | None = None, state: str | None = None) -> list[dict]:
        found = [
            c for c in self.changes.values()
            if (year is None or c["year"] == year) and (state is None or c["state"] == state)
        ]  # fmt: skip
        return sorted(found, key=lambda c: (-c["year"], c["imported_at"], c["row"]))


def view(change: dict) -> dict:
    """A change as the API and the console show it."""
    shown = {k: v for k, v in change.items() if k != "duplicate"}
    return shown | {
        "kind_label": KIND_LABELS[change["kind"]],
        "state_label": STATE_LABELS[change["state"]],
        "level_label": LEVEL_LABELS.get(change["level"], ""),
    }
