"""控辍保学 use cases (DRP-1…DRP-5): record, mark dropped out, measures, return, decide, query,
export.

Each write runs on the node's writer and is idempotent by its command id (BUS-2): a case's and
a return's id come from the command that made them, and every later command is remembered on
the case (`DropoutCase.seen`), so a repeat answers the first result and stores nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.approval import check_opinion
from contracts.codes import ClassCode
from contracts.errors import ContractError, DomainError, Forbidden, NotFound
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.dropout import (
    LOCK,
    RETURN_LABELS,
    CaseState,
    DropoutCase,
    DropoutKind,
    DropoutReturn,
    check_day,
    check_measure,
    check_note,
    parse_kind,
)
from province_node.domain.status_change import grade_of
from province_node.domain.student import Student
from province_node.domain.student_status import check_may_start
from province_node.domain.workflow_defaults import BusinessType
from province_node.history import history_item
from province_node.processes import ProcessService
from province_node.views.dropouts import counts, find
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.clock import Clock
from xueji.store import Writer

BUSINESS = BusinessType.DROPOUT_RETURN  # SYS-1 row of the return; TRANSITIONS row of both
MOST_DECISIONS = 500  # one batch decision (DRP-4)
EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = {
    "student_number": "全国学籍号",
    "student_name": "学生姓名",
    "state": "学生状态",
    "return_status": "返校申请",
    "suspected_date": "疑似辍学日期",
    "suspected_note": "疑似辍学说明",
    "dropout_date": "辍学日期",
    "dropout_note": "辍学说明",
    "school_name": "学校名称",
    "grade_name": "年级名称",
    "class_code": "班级",
    "measures": "措施数",
    "return_date": "返校日期",
    "return_class_code": "返校班级",
    "finished_at": "办结时间",
}


@dataclass(frozen=True)
class DropoutForm:
    """DRP-1 (`POST /api/v1/dropouts`): which student, suspected or dropped out, when, why."""

    student_number: str
    kind: str | None
    date: date | None
    note: str | None
    student_name: str | None = None


@dataclass(frozen=True)
class ReturnForm:
    """DRP-4 返校申请 (`POST /api/v1/dropouts/{id}/return`): when, into which class."""

    date: date | None
    class_code: str | None
    note: str | None
    grade: str | None = None  # 返校年级: the class's 年级名称 (初中2025级) or national grade


class DropoutService(ProcessService):
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, exports: AccessService) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.exports = clock, exports

    # --- DRP-1 ------------------------------------------------------------------------------

    async def record(self, form: DropoutForm, meta: CommandMeta) -> dict:
        kind = parse_kind(form.kind)
        day = check_day(form.date, "date", f"{kind.label}日期", self.clock.today())
        note = check_note(form.note, "note", f"{kind.label}说明")
        at = self.clock.now().isoformat()
        return await self.writer(self._record, form, kind, day, note, at, meta)

    def _record(self, form: DropoutForm, kind: DropoutKind, day: date, note: str, at: str,
                meta: CommandMeta) -> dict:  # fmt: skip
        known = self._find(DropoutCase.create_id(meta.command_id))
        if known is not None:
            return known.view()
        student = self.node.get_student(form.student_number)
        if student.school_code != meta.unit_code:
            raise Forbidden("只能为本校学生登记疑似辍学或辍学", code="outside_jurisdiction",
                            field="student_number")  # fmt: skip
        if form.student_name and form.student_name.strip() != student.name:
            raise NotFound("姓名与全国学籍号不符", field="student_name")
        check_may_start(BUSINESS, student.status)
        student.check_nothing_in_flight(LOCK, self.node.open_problems(student.student_number))
        case = DropoutCase(
            command_id=meta.command_id,
            kind=kind.value,
            student_id=str(student.id),
            student_number=student.student_number,
            student_name=student.name,
            school_code=student.school_code,
            class_code=student.class_code,
            record_date=day.isoformat(),
            note=note,
            at=at,
            meta=meta.as_dict(),
        )
        student.start_application(str(case.id), LOCK, meta.as_dict())
        self.node.save(case, student)
        return case.view()

    # --- DRP-2 ------------------------------------------------------------------------------

    async def confirm(self, case_id: UUID, day: date | None, note: str | None,
                      meta: CommandMeta) -> dict:  # fmt: skip
        day = check_day(day, "date", "辍学日期", self.clock.today())
        text = check_note(note, "note", "辍学说明")
        at = self.clock.now().isoformat()
        return await self.writer(self._confirm, case_id, day, text, at, meta)

    def _confirm(self, case_id: UUID, day: date, note: str, at: str, meta: CommandMeta) -> dict:
        case = self._get(case_id)
        if case.seen(meta.command_id):
            return case.view()
        self._check_school(case, meta, "标记辍学")
        case.check_confirmable(day)
        case.mark_dropped_out(dropout_date=day.isoformat(), note=note, at=at, meta=meta.as_dict())
        self.node.save(case)
        return case.view()

    # --- DRP-3 ------------------------------------------------------------------------------

    async def add_measure(self, case_id: UUID, fields: dict, meta: CommandMeta) -> dict:
        measure = _checked_time(check_measure(fields))
        at = self.clock.now().isoformat()
        return await self.writer(self._add_measure, case_id, measure, at, meta)

    def _add_measure(self, case_id: UUID, measure: dict, at: str, meta: CommandMeta) -> dict:
        case = self._get(case_id)
        if case.seen(meta.command_id):
            return case.view()
        if case.state == CaseState.FINISHED:
            raise DomainError("已办结的控辍保学记录不能再采取措施", code="case_finished")
        case.add_measure(measure=measure, at=at, meta=meta.as_dict())
        self.node.save(case)
        return case.view()

    async def edit_measure(self, case_id: UUID, n: int, fields: dict, meta: CommandMeta) -> dict:
        changes = _checked_time(check_measure(fields, partial=True))
        at = self.clock.now().isoformat()
        return await self.writer(self._edit_measure, case_id, n, changes, at, meta)

    def _edit_measure(self, case_id: UUID, n: int, changes: dict, at: str,
                      meta: CommandMeta) -> dict:  # fmt: skip
        case = self._get(case_id)
        if case.seen(meta.command_id):
            return case.view()
        if case.state == CaseState.FINISHED:
            raise DomainError("已办结的控辍保学记录不能再修改措施", code="case_finished")
        case.measure(n)
        case.edit_measure(n=n, changes=changes, at=at, meta=meta.as_dict())
        self.node.save(case)
        return case.view()

    # --- DRP-4 ------------------------------------------------------------------------------

    async def apply_return(self, case_id: UUID, form: ReturnForm, meta: CommandMeta) -> dict:
        today = self.clock.today()
        day = check_day(form.date, "date", "返校日期", today)
        if not (form.class_code or "").strip():
            raise ContractError("class_code", "missing_field", "请选择返校班级")
        note = check_note(form.note, "note", "返校说明")
        at = self.clock.now().isoformat()
        return await self.writer(self._apply_return, case_id, form, day, note, today, at, meta)

    def _apply_return(self, case_id: UUID, form: ReturnForm, day: date, note: str, today: date,
                      at: str, meta: CommandMeta) -> dict:  # fmt: skip
        case = self._get(case_id)
        if case.seen(meta.command_id):
            return self._case_reply(case)
        self._check_school(case, meta, "申请返校")
        case.check_returnable()
        latest = max(d for d in (case.suspected_date, case.dropout_date) if d)
        if day < date.fromisoformat(latest):
            message = f"返校日期不能早于{latest}（辍学记录日期）"
            raise ContractError("date", "before_dropout", message)
        class_code = str(form.class_code).strip()
        self.node.check_placement(case.school_code, class_code, "class_code")
        system = self.node.get_school(case.school_code).school_system
        grade = grade_of(class_code, system, today, "class_code")
        grade_name = ClassCode.parse(class_code).grade_name
        if form.grade and form.grade.strip() not in (grade_name, str(grade)):
            message = f"返校年级与返校班级不符：班级 {class_code} 属于{grade_name}"
            raise ContractError("grade", "grade_mismatch", message)
        placement = {"date": day.isoformat(), "class_code": class_code, "grade": grade,
                     "grade_name": grade_name, "note": note}  # fmt: skip
        student: Student = self.node.repository.get(UUID(case.student_id))
        if not case.needs_approval:  # DRP-4: a suspected case closes at once
            case.finish(returned=placement, return_id=None, at=at, meta=meta.as_dict())
            self._place(student, case, placement, None, meta.as_dict())
            self.node.save(case, student)
            return self._case_reply(case)
        stage = ClassCode.parse(class_code).stage
        chain = self.node.frozen_chain(BUSINESS, case.school_code, stage, self.org)
        application = DropoutReturn(
            command_id=meta.command_id,
            case_id=str(case.id),
            student_id=case.student_id,
            student_number=case.student_number,
            student_name=case.student_name,
            school_code=case.school_code,
            return_date=day.isoformat(),
            class_code=class_code,
            grade=grade,
            grade_name=grade_name,
            note=note,
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        case.apply_return(return_id=str(application.id), at=at, meta=meta.as_dict())
        self.node.save(application, case)
        return self._case_reply(case)

    @staticmethod
    def _place(student: Student, case: DropoutCase, placement: dict, opinion: str | None,
               meta: dict) -> None:  # fmt: skip
        """The return's effect on the record: in the chosen class, 在校, the lock released."""
        student.change(
            application_id=str(case.id),
            business=BUSINESS.value,
            status=student.status,
            school_code=student.school_code,
            class_code=placement["class_code"],
            change_date=placement["date"],
            suspension=None,
            opinion=opinion,
            meta=meta,
        )

    async def decide_many(self, ids: list[UUID], approve: bool, opinion: str | None,
                          meta: CommandMeta) -> list[dict]:  # fmt: skip
        """DRP-4: one or several returns (batch approval allowed), all or none."""
        check_opinion(approve, opinion, DropoutReturn.OPINION_REQUIRED)
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ContractError("ids", "missing_field", "请选择要审核的返校申请")
        if len(unique) > MOST_DECISIONS:
            raise ContractError("ids", "too_many", f"一次最多审核{MOST_DECISIONS}条返校申请")
        at = self.clock.now().isoformat()
        return await self.writer(self._decide_many, unique, approve, opinion, at, meta)

    def _decide_many(self, ids: list[UUID], approve: bool, opinion: str | None, at: str,
                     meta: CommandMeta) -> list[dict]:  # fmt: skip
        returns = [self._get_return(i) for i in ids]
        changed = [c for r in returns for c in self.decision(r, approve, opinion, at, meta)]
        if changed:
            self.node.save(*changed)
        return [r.view() for r in returns]

    def decided(self, application: DropoutReturn, opinion: str | None, at: str,
                meta: dict) -> list:  # fmt: skip
        """Approved: the case ends with the student placed again; rejected: the case goes on."""
        case = self._get(UUID(application.case_id))
        if application.status == application.APPROVED:
            student = self.node.repository.get(UUID(application.student_id))
            placement = application.placement
            case.finish(returned=placement, return_id=str(application.id), at=at, meta=meta)
            self._place(student, case, placement, opinion, meta)
            return [case, student]
        if application.status == application.REJECTED:
            case.end_return(return_id=str(application.id), outcome="rejected", at=at, meta=meta)
            return [case]
        return []

    def withdrawn(self, application: DropoutReturn, at: str, meta: dict) -> list:
        case = self._get(UUID(application.case_id))
        case.end_return(return_id=str(application.id), outcome="revoked", at=at, meta=meta)
        return [case]

    # --- reads (DRP-5) ----------------------------------------------------------------------

    async def get(self, case_id: UUID) -> dict:
        def read() -> dict:
            case = self._get(case_id)
            stored = [history_item(e) for e in self.node.events.get(case.id)]
            return self._case_reply(case) | {"events": stored}

        return await self.writer(read)

    async def search(self, filters: dict, schools: list[str] | None, page: int = 1,
                     page_size: int = 20) -> dict:  # fmt: skip
        await self.views.caught_up()
        table = self.views.view("dropouts").table("dropouts")
        offset = (page - 1) * page_size
        found = await self.views.read(find, table, filters, schools, page_size, offset)
        for item in found["items"]:
            item["school_name"] = self._school_name(item["school_code"])
            item["state_label"] = CaseState(item["state"]).label
            item["return_label"] = RETURN_LABELS.get(item["return_status"], item["return_status"])
        return found | {"page": page, "page_size": page_size}

    async def counts(self, schools: list[str] | None) -> dict:
        """Cases by state in sight (statistics)."""
        await self.views.caught_up()
        table = self.views.view("dropouts").table("dropouts")
        return await self.views.read(counts, table, schools)

    async def export(self, filters: dict, schools: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """DRP-5: the current query as Excel; SEC-4: confirmed by a second account."""
        found = await self.search(filters, schools, 1, EXPORT_LIMIT)
        rows = [tuple(_cell(c, item) for c in EXPORT_COLUMNS) for item in found["items"]]
        columns = list(EXPORT_COLUMNS)
        await export.record(columns, len(rows), "控辍保学查询导出")
        return await asyncio.to_thread(excel.workbook, columns, rows, EXPORT_COLUMNS, "控辍保学")

    # --- helpers ----------------------------------------------------------------------------

    def _case_reply(self, case: DropoutCase) -> dict:
        """The case, with its return application (in review or last decided) when it has one."""
        application = self._find(UUID(case.return_id)) if case.return_id else None
        shown = application.view() if isinstance(application, DropoutReturn) else None
        return case.view() | {"return_application": shown}

    def _school_name(self, code: str) -> str:
        return self.org.unit(code).name if code in self.org else code

    @staticmethod
    def _check_school(case: DropoutCase, meta: CommandMeta, what: str) -> None:
        if case.school_code != meta.unit_code or meta.role != "registrar":
            raise Forbidden(f"只有学生所在学校的学籍管理员可以{what}", code="outside_jurisdiction")

    def _find(self, aggregate_id: UUID) -> object | None:
        try:
            return self.node.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _get(self, case_id: UUID) -> DropoutCase:
        found = self._find(case_id)
        if not isinstance(found, DropoutCase):
            raise NotFound("控辍保学记录不存在", field="id")
        return found

    def _get_return(self, return_id: UUID) -> DropoutReturn:
        found = self._find(return_id)
        if not isinstance(found, DropoutReturn):
            raise NotFound(f"返校申请 {return_id} 不存在", field="ids")
        return found

    _process = _get_return


def _checked_time(measure: dict) -> dict:
    """处理时间: a day or a day and time (2026-11-20, 2026-11-20 14:26)."""
    if "time" in measure:
        try:
            datetime.fromisoformat(measure["time"])
        except ValueError:
            raise ContractError(
                "time", "bad_time", f"处理时间应为“年-月-日”或“年-月-日 时:分”：{measure['time']}"
            ) from None
    return measure


def _cell(column: str, item: dict) -> object:
    if column == "state":
        return CaseState(item["state"]).label
    if column == "return_status":
        return RETURN_LABELS.get(item["return_status"], item["return_status"])
    return item.get(column)
