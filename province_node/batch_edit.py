"""DAY-2 非关键数据批量修改 (and the Excel round trips of DAY-3/4/5): a class's students' non-key
fields out to Excel, edited, back in. The key columns (学籍号, 姓名) only identify the row: a
row whose name differs from the record is refused, so a key datum can never change here; only
the cells that differ from the record become events, one edit per student."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

from contracts.errors import ContractError, DomainError
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.profile import FIELDS, SPECIAL_FIELDS, Field, check_edit
from province_node.excel import table
from province_node.views.students import class_numbers
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.clock import Clock
from xueji.store import Writer

#: The fields a cell holds: one value each (lists are edited on the record page); DAY-5's
#: special-education block is one cell per field, `special_needs.<key>`.
CELL_FIELDS = [
    *(f for f in FIELDS.values() if f.kind in ("text", "choice", "bool", "number", "month")),
    *(replace(f, key=f"special_needs.{f.key}") for f in SPECIAL_FIELDS),
]
CELLS = {f.key: f for f in CELL_FIELDS}
SPECIAL = "special_needs."
KEY_COLUMNS = (
    table.Column("student_number", "全国学籍号", note="不可修改：用于识别学生"),
    table.Column("name", "姓名", note="不可修改：关键数据须通过关键数据变更办理"),
)
MOST_ROWS = 2_000  # a grade of a large school
BATCH_EDIT_BYTES = 3 * 2**20
KEY_CHANGED = "姓名与学籍不一致：关键数据不能批量修改，请通过关键数据变更办理"


def columns_for(keys: list[str] | None) -> list[table.Column]:
    """The file's columns: the key columns, then the chosen fields (default: every one)."""
    chosen = [f for f in CELL_FIELDS if keys is None or f.key in keys]
    unknown = sorted(set(keys or []) - {f.key for f in CELL_FIELDS})
    if unknown:
        raise ContractError("fields", "unknown_field", f"不能批量修改的字段：{'、'.join(unknown)}")
    notes = {f.key: _note(f) for f in chosen}
    return [
        *KEY_COLUMNS,
        *[table.Column(f.key, f.label, required=False, note=notes[f.key]) for f in chosen],
    ]


def _note(field: Field) -> str:
    if field.kind == "bool":
        return "是 / 否"
    if field.kind == "choice":
        return "、".join(field.choices)
    if field.kind == "month":
        return "年-月，如 2026-09"
    return ""


def _cell(field: Field, value: object) -> object:
    if field.kind == "bool" and value is not None:
        return "是" if value else "否"
    return value


def _parsed(field: Field, text: str | None) -> object:
    """A cell's text as the record's value (the domain then checks it)."""
    if text is None:
        return None
    if field.kind == "bool":
        if text not in ("是", "否"):
            raise ContractError(field.key, "bad_value", f"“{field.label}”应填 是 或 否")
        return text == "是"
    if field.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ContractError(field.key, "bad_value", f"“{field.label}”须为数字") from None
    return text


def _changes(keys: list[str], values: dict) -> dict:
    """A row's cells as the record's fields; the special-education cells make one block
    (all empty: the block is cleared)."""
    changes = {k: _parsed(CELLS[k], values.get(k)) for k in keys if not k.startswith(SPECIAL)}
    special = [k for k in keys if k.startswith(SPECIAL)]
    if special:
        block = {k.removeprefix(SPECIAL): _parsed(CELLS[k], values.get(k)) for k in special}
        changes["special_needs"] = {k: v for k, v in block.items() if v is not None} or None
    return changes


class BatchEdits:
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, exports: AccessService) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.exports = clock, exports

    async def export(self, school_code: str, class_code: str, fields: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """The class's in-school students with the chosen fields (SEC-4 confirmed)."""
        columns = columns_for(fields)
        await self.writer(self.node.check_placement, school_code, class_code)
        await self.views.caught_up()
        students = self.views.view("students").table("students")
        numbers = await self.views.read(class_numbers, students, school_code, class_code)

        def rows() -> list[tuple]:
            found = []
            for number in numbers:
                record = self.node.student(number)
                profile = record["profile"]
                values = profile | {k: record[k] for k in ("student_number", "name")}
                values |= {SPECIAL + k: v for k, v in (profile.get("special_needs") or {}).items()}
                found.append(tuple(_cell(CELLS[c.key], values.get(c.key)) if c.key in CELLS
                                   else values.get(c.key) for c in columns))  # fmt: skip
            return found

        found = await self.writer(rows)
        keys = [c.key for c in columns]
        await export.record(keys, len(found), "非关键数据批量修改导出")
        labels = {c.key: c.title for c in columns}
        return await asyncio.to_thread(excel.workbook, keys, found, labels, "学生信息")

    async def import_file(self, data: bytes, meta: CommandMeta) -> dict:
        """Each row is one student of the caller's school; a refused row says why and stores
        nothing; the others' changed cells are stored, one edit per student."""
        titles = await asyncio.to_thread(table.titles, data)
        header_fields = [f.key for f in CELL_FIELDS if f.label in titles]
        rows = await asyncio.to_thread(table.read, data, columns_for(header_fields), MOST_ROWS)
        return await self.writer(self._import, rows, header_fields, self.clock.today(), meta)

    def _import(self, rows: list[table.Row], keys: list[str], today: date,
                meta: CommandMeta) -> dict:  # fmt: skip
        problems, changed, unchanged = [], [], 0
        controlled_by_school: dict[str, list[str]] = {}
        for row, values in rows:
            try:
                student = self.node.get_student(values["student_number"] or "")
                student.check_editable(meta.unit_code)
                if values["name"] != student.name:
                    raise DomainError(KEY_CHANGED, code="key_column_changed", field="name")
                record = student.record()
                changes = _changes(keys, values)
                code = student.school_code
                if code not in controlled_by_school:
                    controlled_by_school[code] = self.node.controlled_fields(code, self.org)[
                        "fields"
                    ]
                checked = check_edit(changes, record, controlled_by_school[code], today)
            except (ContractError, DomainError) as refused:
                label = CELLS[refused.field].label if refused.field in CELLS else None
                where = f"（{label}）" if label else ""
                problems.append({"row": row, "messages": [f"第{row}行{where}：{refused.message}"]})
                continue
            if not checked:
                unchanged += 1
                continue
            before = {k: record["profile"].get(k) for k in checked}
            student.edit(changes=checked, before=before, reason="批量修改导入", meta=meta.as_dict())
            changed.append(student)
        if changed:
            self.node.save(*changed)
        return {"rows": len(rows), "changed": len(changed), "unchanged": unchanged,
                "failed": len(problems), "problems": problems}  # fmt: skip
