"""招生入学 use cases (ADM-1…ADM-4, QRY-3): import the list, admit, decide, pull, assign, roll back.

Commands run on the node's writer and are idempotent by command id (BUS-2): a list's id comes
from the command that imported it, a decision repeated under its command id answers the first
result, and the batch commands (admit, pull) answer a repeat with the state they left.
"""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

from contracts.codes import Level, Stage
from contracts.errors import ContractError, DomainError, Forbidden, NotFound
from contracts.ids import parse_student_number
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.admission import (
    DEFAULT_IMPORT,
    LEVEL_LABELS,
    Admission,
    AdmissionList,
    ImportRule,
    admission_year,
    check_admissible,
    check_class_for,
    check_window,
    crosses_bureaus,
    graduating_bureau_step,
    importing_unit,
    parse_stage,
)
from province_node.excel import table
from province_node.processes import ProcessService
from province_node.views.admissions import admissions, open_admissions
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.clock import Clock
from xueji.store import Writer

MOST_ROWS = 5_000  # one list: the new entrants of a large county
MAX_LIST_BYTES = 3 * 2**20  # 5,000 rows of four short columns are well under 1 MB
MOST_IDS = 500  # one batch admit or pull
EXPORT_LIMIT = 100_000
LIST_COLUMNS = (
    table.Column("student_number", "全国学籍号", note="毕业生的全国学籍号（G/J/L 开头）"),
    table.Column("name", "姓名", note="须与学籍一致"),
    table.Column("school_code", "录取学校标识码", note="10 位学校标识码"),
    table.Column("class_code", "录取班级号", required=False, note="可不填，调档后分班"),
)
EXPORT_LABELS = {
    "year": "招生年度",
    "stage": "录取教育阶段",
    "status": "状态",
    "student_number": "全国学籍号",
    "name": "学生姓名",
    "id_number": "身份证件号",
    "graduating_school_code": "毕业学校",
    "graduation_date": "毕业日期",
    "school_code": "招生学校",
    "class_code": "录取班级",
}
_STAGE_LABELS = {s.value: s.label for s in Stage}


class AdmissionService(ProcessService):
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, exports: AccessService) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.exports = clock, exports

    # --- ADM-1: who imports, and the import --------------------------------------------------

    def template(self) -> bytes:
        example = {"student_number": "G440106201301010012", "name": "张三",
                   "school_code": "3440106002"}  # fmt: skip
        return table.template(LIST_COLUMNS, "招生结果名单", example)

    async def import_settings(self, unit_code: str) -> dict:
        """The settings from the province down to the caller, and what is in force for it."""

        def read() -> dict:
            settings = self.node.settings()
            shown = {}
            for stage in (Stage.JUNIOR, Stage.SENIOR):
                rules = settings.import_rules(stage)
                chain = [u for u in [self.org.unit(unit_code), *self.org.ancestors(unit_code)]
                         if u.level in (Level.PROVINCE, Level.CITY, Level.COUNTY)]  # fmt: skip
                shown[stage.value] = [
                    {
                        "unit_code": u.code,
                        "unit_name": u.name,
                        "level": rules[u.code].level.value if u.code in rules else None,
                        "level_label": LEVEL_LABELS[rules[u.code].level] if u.code in rules
                        else None,
                        "delegate": rules[u.code].delegate if u.code in rules else None,
                    }
                    for u in reversed(chain)
                ]  # fmt: skip
            defaults = {s.value: DEFAULT_IMPORT[s].value for s in DEFAULT_IMPORT}
            return {"settings": shown, "defaults": defaults}

        return await self.writer(read)

    async def set_import(self, stage: str, level: str, delegate: bool, meta: CommandMeta) -> dict:
        """ADM-1 招生结果导入设置 by a bureau (the province first; below it only if delegated)."""
        checked_stage = parse_stage(stage)
        try:
            rule = ImportRule(Level(level), delegate)
        except ValueError:
            raise ContractError("level", "bad_level", f"未知的导入单位级别：{level}") from None
        unit = self.org.unit(meta.unit_code)

        def store() -> dict:
            settings = self.node.settings()
            settings.set_admission_import(checked_stage, unit, rule, meta.as_dict())
            self.node.save(settings)
            return {"stage": checked_stage.value, "unit_code": unit.code,
                    "level": rule.level.value, "delegate": rule.delegate}  # fmt: skip

        return await self.writer(store)

    async def import_list(self, data: bytes, filename: str, stage: str,
                          meta: CommandMeta) -> dict:  # fmt: skip
        """ADM-1: valid rows are listed even if others fail; each refused row says why."""
        checked = parse_stage(stage)
        known = await self.writer(self._list_view, AdmissionList.create_id(meta.command_id))
        if known is not None:
            return known
        rows = await asyncio.to_thread(table.read, data, LIST_COLUMNS, MOST_ROWS)
        numbers = [v["student_number"] for _, v in rows if v["student_number"]]
        already = await self._open(numbers)
        at, today = self.clock.now().isoformat(), self.clock.today()
        return await self.writer(self._import, filename, checked, rows, already, today, at, meta)

    def _import(self, filename: str, stage: Stage, rows: list[table.Row],
                already: set[tuple[str, str]], today: date, at: str,
                meta: CommandMeta) -> dict:  # fmt: skip
        known = self._list_view(AdmissionList.create_id(meta.command_id))
        if known is not None:
            return known
        key_dates = self.node.settings().key_dates()
        check_window(stage, today, key_dates)
        year = admission_year(today, key_dates)
        rules = self.node.settings().import_rules(stage)
        listed: list[Admission] = []
        problems: list[dict] = []
        seen: set[tuple[str, str]] = set()
        for row, values in rows:
            try:
                admission = self._listed(values, stage, year, rules, seen | already, at, meta)
            except (ContractError, DomainError) as exc:
                problems.append({"row": row, "messages": [f"第{row}行：{exc.message}"]})
                continue
            seen.add((admission.student["student_number"], admission.school_code))
            listed.append(admission)
        record = AdmissionList(
            command_id=meta.command_id,
            filename=filename,
            stage=stage.value,
            year=year,
            rows=len(rows),
            listed=[str(a.id) for a in listed],
            problems=problems,
            at=at,
            meta=meta.as_dict(),
        )
        self.node.save(record, *listed)
        return record.view()

    def _listed(self, values: dict, stage: Stage, year: int, rules: dict[str, ImportRule],
                taken: set[tuple[str, str]], at: str, meta: CommandMeta) -> Admission:  # fmt: skip
        for column in LIST_COLUMNS:
            if column.required and not values[column.key]:
                raise ContractError(column.key, "required", f"{column.title}不能为空")
        number = str(parse_student_number(values["student_number"], "student_number"))
        school_code = values["school_code"]
        try:
            school = self.node.get_school(school_code)
        except NotFound:
            raise ContractError("school_code", "unknown_school",
                                f"录取学校 {school_code} 不是本省学校") from None  # fmt: skip
        if stage.value not in school.stages:
            raise DomainError(
                f"录取学校 {school.name} 没有{stage.label}学段", code="stage_not_taught"
            )
        importer = importing_unit(stage, school_code, self.org, rules)
        if importer != meta.unit_code:
            raise Forbidden(
                f"{school.name}的{stage.label}招生结果由{self.org.unit(importer).name}导入",
                code="not_the_importing_unit",
            )
        student = self.node.get_student(number)
        if student.name != values["name"]:
            raise DomainError(f"姓名“{values['name']}”与学籍号 {number} 的学籍不一致",
                              code="name_mismatch", field="name")  # fmt: skip
        check_admissible(student.status, student.graduation, stage)
        if (number, school_code) in taken:
            raise DomainError(f"学生 {number} 已在{school.name}的招生名单中", code="already_listed")
        class_code = values.get("class_code")
        if class_code:
            self.node.check_placement(school_code, class_code)
            check_class_for(class_code, stage, year)
        graduating = dict(student.graduation)
        graduating["region_code"] = self.node.get_school(graduating["school_code"]).region_code
        return Admission(
            import_id=meta.command_id,
            year=year,
            stage=stage.value,
            school_code=school_code,
            student={
                "id": str(student.id),
                "student_number": number,
                "name": student.name,
                "sex": student.sex,
                "birth_date": student.birth_date.isoformat(),
                "id_number": student.id_number,
            },
            graduating=graduating,
            class_code=class_code,
            at=at,
            meta=meta.as_dict(),
        )

    # --- ADM-2: admit → the chain → pull → class ---------------------------------------------

    async def admit(self, ids: list[UUID], meta: CommandMeta) -> dict:
        """录取 one or many: each climbs its chain (all or none: a refusal names the student)."""
        _check_batch(ids)
        at, today = self.clock.now().isoformat(), self.clock.today()
        return await self.writer(self._admit, ids, today, at, meta)

    def _admit(self, ids: list[UUID], today: date, at: str, meta: CommandMeta) -> dict:
        found = [self._get(i) for i in ids]
        if found and all(a.admitted_by == meta.command_id for a in found):
            return {"items": [a.view() for a in found]}  # a repeat: the first answer
        key_dates = self.node.settings().key_dates()
        for admission in found:
            _about(admission, admission.check_admit, meta.unit_code)
            stage = Stage(admission.stage)
            check_window(stage, today, key_dates)
            student = self.node.repository.get(admission.student_id)
            _about(admission, check_admissible, student.status, student.graduation, stage)
            _about(admission, student.check_nothing_in_flight, admission.business.value)
            chain = self.node.frozen_chain(admission.business, admission.school_code, stage,
                                           self.org)  # fmt: skip
            admitting = self.node.get_school(admission.school_code).region_code
            if crosses_bureaus(stage, admitting, admission.graduating["region_code"]):
                chain.append(graduating_bureau_step(self.org, admission.graduating["school_code"]))
            admission.admit(chain=chain, at=at, meta=meta.as_dict())
        self.node.save(*found)
        return {"items": [a.view() for a in found]}

    async def pull(self, ids: list[UUID], meta: CommandMeta) -> dict:
        """调档: each student becomes the admitting school's; the student's other admissions
        not yet pulled are cancelled [004 Q95]."""
        _check_batch(ids)
        await self.views.caught_up()
        found = await self.writer(lambda: [self._get(i) for i in ids])
        others = await self._open_of([a.student["student_number"] for a in found])
        at = self.clock.now().isoformat()
        return await self.writer(self._pull, ids, others, at, meta)

    def _pull(self, ids: list[UUID], others: dict[str, list[str]], at: str,
              meta: CommandMeta) -> dict:  # fmt: skip
        found = [self._get(i) for i in ids]
        if found and all(a.pulled_by == meta.command_id for a in found):
            return {"items": [a.view() for a in found]}
        changed: list = []
        for admission in found:
            _about(admission, admission.check_pull, meta.unit_code)
            student = self.node.repository.get(admission.student_id)
            stage = Stage(admission.stage)
            _about(admission, check_admissible, student.status, student.graduation, stage)
            _about(admission, student.check_nothing_in_flight, admission.business.value)
            admission.pull(at=at, meta=meta.as_dict())
            student.join_by_admission(admission_id=str(admission.id),
                                      business=admission.business.value,
                                      school_code=admission.school_code, stage=admission.stage,
                                      meta=meta.as_dict())  # fmt: skip
            for row in others.get(admission.student["student_number"], []):
                other = self._get(UUID(row["id"]))
                if other.id != admission.id and other.status in Admission.OPEN:
                    school = self.node.get_school(admission.school_code).name
                    other.cancel(reason=f"已被{school}调档", at=at, meta=meta.as_dict())
                    changed.append(other)
            changed += [admission, student]
        self.node.save(*changed)
        return {"items": [a.view() for a in found]}

    async def assign(self, admission_id: UUID, class_code: str, meta: CommandMeta) -> dict:
        """分班: into a grade-1 class of the stage, of the admission's year."""
        at = self.clock.now().isoformat()

        def assign() -> dict:
            admission = self._get(admission_id)
            if admission.status == admission.DONE and admission.class_code == class_code:
                return admission.view()
            admission.check_assign(meta.unit_code)
            self.node.check_placement(admission.school_code, class_code)
            check_class_for(class_code, Stage(admission.stage), admission.year)
            student = self.node.repository.get(admission.student_id)
            admission.assign(class_code=class_code, at=at, meta=meta.as_dict())
            student.place_by_admission(admission_id=str(admission.id), class_code=class_code,
                                       meta=meta.as_dict())  # fmt: skip
            self.node.save(admission, student)
            return admission.view()

        return await self.writer(assign)

    async def roll_back(self, admission_id: UUID, reason: str, meta: CommandMeta) -> dict:
        """招生回退: the admitting school's county puts a wrongly admitted student back to the
        graduate it was [003 §四.3]."""
        at = self.clock.now().isoformat()

        def roll_back() -> dict:
            admission = self._get(admission_id)
            if admission.status == admission.ROLLED_BACK:
                return admission.view()
            school = self.node.get_school(admission.school_code)
            admission.check_rollback(meta.unit_code, school.supervising_unit,
                                     self.org.province().code)  # fmt: skip
            student = self.node.repository.get(admission.student_id)
            held = student.in_flight
            if held and held["id"] != str(admission.id):
                student.check_nothing_in_flight("admission_rollback")
            admission.roll_back(reason=reason, at=at, meta=meta.as_dict())
            student.roll_back_admission(admission_id=str(admission.id), reason=reason,
                                        meta=meta.as_dict())  # fmt: skip
            self.node.save(admission, student)
            return admission.view()

        return await self.writer(roll_back)

    # --- reads: the lists and QRY-3 --------------------------------------------------------

    async def search(self, filters: dict, schools: list[str] | None, page: int = 1,
                     page_size: int = 20) -> dict:  # fmt: skip
        await self.views.caught_up()
        found = await self.views.read(admissions, self._table(), filters, schools, page_size,
                                      (page - 1) * page_size)  # fmt: skip
        return found | {"page": page, "page_size": page_size}

    async def export(self, filters: dict, schools: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """QRY-3 省内招生升学查询 as Excel; SEC-4: confirmed by a second account."""
        found = await self.search(filters, schools, 1, EXPORT_LIMIT)
        columns = list(EXPORT_LABELS)
        rows = [tuple(_cell(c, item.get(c)) for c in columns) for item in found["items"]]
        await export.record(columns, len(rows), "省内招生升学查询导出")
        return await asyncio.to_thread(excel.workbook, columns, rows, EXPORT_LABELS, "招生")

    def _table(self):
        return self.views.view("admissions").table("admissions")

    async def _open(self, numbers: list[str]) -> set[tuple[str, str]]:
        return {(n, row["school_code"]) for n, rows in (await self._open_of(numbers)).items()
                for row in rows}  # fmt: skip

    async def _open_of(self, numbers: list[str]) -> dict:
        await self.views.caught_up()
        return await self.views.read(open_admissions, self._table(), numbers)

    def _list_view(self, list_id: UUID) -> dict | None:
        found = self.node.find(list_id)
        return found.view() if isinstance(found, AdmissionList) else None

    def _get(self, admission_id: UUID) -> Admission:
        found = self.node.find(admission_id)
        if not isinstance(found, Admission):
            raise NotFound("招生录取记录不存在", field="id")
        return found

    _process = _get


def _about(admission: Admission, check, *args) -> None:
    """A refusal in a batch names the student it is about."""
    try:
        check(*args)
    except DomainError as exc:
        student = admission.student
        exc.message = f"{student['name']}（{student['student_number']}）：{exc.message}"
        exc.args = (exc.message,)
        raise


def _check_batch(ids: list[UUID]) -> None:
    if not ids:
        raise ContractError("ids", "required", "请选择学生")
    if len(ids) > MOST_IDS:
        raise ContractError("ids", "too_many", f"一次最多办理{MOST_IDS}名学生")


def _cell(column: str, value: object) -> object:
    if column == "stage":
        return _STAGE_LABELS.get(str(value), value)
    if column == "status":
        return Admission.STATUS_LABELS.get(str(value), value)
    return value
