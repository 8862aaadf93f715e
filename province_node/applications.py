"""学籍异动 and 省内转学 use cases (CHG-1…CHG-5): apply, decide, revoke, escalate, query, export.

Each command runs on the node's writer and is idempotent by its command id (BUS-2): the
application's id is derived from the command that made it, a decision or escalation repeated
under its command id answers the first result and stores nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.approval import Step
from contracts.calendar import CalendarNotCovered
from contracts.codes import StudentStatus
from contracts.errors import ContractError, DomainError, Forbidden, NotFound
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.calendar_client import HubCalendar
from province_node.domain.approval import Approval
from province_node.domain.key_data_change import KeyDataChange
from province_node.domain.proof import check_proof
from province_node.domain.status_change import (
    ChangeType,
    StudentApplication,
    Where,
    grade_of,
    parse_type,
    plan,
    province_step,
    transfer_chain,
)
from province_node.domain.student import Student
from province_node.domain.workflow_defaults import BusinessType
from province_node.key_data_changes import KeyDataChanges
from province_node.processes import ProcessService
from province_node.views.applications import find
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.blobs import BlobStore
from xueji.clock import Clock
from xueji.store import Writer

KEY_DATA_CHANGE = "key_data_change"
#: 省内转学: the transfer-in school shows why (证明材料) [003 §三.1]; other types may add one.
PROOF_REQUIRED = {ChangeType.TRANSFER}
EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = {
    "type_label": "异动类型",
    "student_number": "全国学籍号",
    "student_name": "姓名",
    "from_school_code": "原学校标识码",
    "school_code": "申请学校标识码",
    "change_date": "异动日期",
    "reason": "异动原因",
    "status_before": "原学籍状态",
    "status_after": "异动后学籍状态",
    "class_before": "原班级",
    "class_after": "异动后班级",
    "status": "办理状态",
    "applied_at": "申请时间",
    "closed_at": "办结时间",
}


@dataclass(frozen=True)
class ApplicationForm:
    """What the applying school sends (`POST /api/v1/applications`)."""

    type: str
    student_number: str
    date: date | None
    reason: str
    student_name: str | None = None
    note: str | None = None
    target_class_code: str | None = None
    proof: bytes | None = None
    changes: dict | None = None  # key data change: field → new value


class ApplicationService(ProcessService):
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        views: Views,
        org: OrgTree,
        clock: Clock,
        blobs: BlobStore,
        calendar: HubCalendar | None,
        exports: AccessService,
        key_data: KeyDataChanges,
    ) -> None:
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.blobs, self.calendar, self.exports = clock, blobs, calendar, exports
        self.key_data = key_data

    # --- commands --------------------------------------------------------------------------

    async def apply(self, form: ApplicationForm, meta: CommandMeta) -> dict:
        today, at = self.clock.today(), self.clock.now().isoformat()
        if form.type == KEY_DATA_CHANGE:
            return await self.key_data.apply(
                form.changes, form.student_number, form.reason, form.proof, today, at, meta
            )
        kind = parse_type(form.type)
        if form.date is None:
            raise ContractError("date", "missing_field", "请填写异动日期")
        if form.date > today:
            raise ContractError("date", "future_date", "异动日期不能晚于今天")
        proof = check_proof(form.proof) if form.proof else None
        if proof is None and kind in PROOF_REQUIRED:
            raise ContractError("proof", "proof_required", f"{kind.label}须上传证明材料（JPG/PNG）")
        if proof is not None:  # content-addressed: stored before the event that names it
            await asyncio.to_thread(self.blobs.put, form.proof)
        proof_facts = proof and {"sha256": proof.sha256, "content_type": proof.content_type,
                                 "size": proof.size}  # fmt: skip
        return await self.writer(self._apply, kind, form, proof_facts, today, at, meta)

    def _apply(self, kind: ChangeType, form: ApplicationForm, proof: dict | None, today: date,
               at: str, meta: CommandMeta) -> dict:  # fmt: skip
        known = self._find(StudentApplication.create_id(meta.command_id))
        if known is not None:
            return known.view()
        if kind is ChangeType.TRANSFER:
            freeze = self.node.settings().key_dates().transfer_freeze
            if freeze.contains(today):  # XPT-8 / [003 §三.5]: every transfer pauses
                raise DomainError(f"每年{freeze.said}暂停发起转学业务", code="window_closed")
        student = self._student_for(kind, form.student_number, form.student_name, meta.unit_code)
        student.check_nothing_in_flight(kind.business, self.node.open_problems(form.student_number))
        target_school = meta.unit_code if kind is ChangeType.TRANSFER else student.school_code
        before = self._where(student, today)
        target_grade = None
        if form.target_class_code:
            self.node.check_placement(target_school, form.target_class_code, "target_class_code")
            system = self.node.get_school(target_school).school_system
            target_grade = grade_of(form.target_class_code, system, today, "target_class_code")
        suspended = (student.suspension or {}).get("grade")
        after = plan(kind, before, student.stage, target_school, form.target_class_code,
                     target_grade, suspended)  # fmt: skip
        chain = self.node.frozen_chain(kind.business, target_school, student.stage, self.org)
        if kind is ChangeType.TRANSFER:
            out = self.node.frozen_chain(
                BusinessType.TRANSFER_OUT, student.school_code, student.stage, self.org
            )
            chain = transfer_chain(chain, out)
        application = StudentApplication(
            command_id=meta.command_id,
            type=kind.value,
            student_id=str(student.id),
            student_number=student.student_number,
            student_name=student.name,
            school_code=meta.unit_code,
            change_date=form.date.isoformat(),
            reason=form.reason,
            note=form.note,
            proof=proof,
            before=before.as_dict(),
            after=after.as_dict(),
            suspension=self._suspension(kind, student, before, form.date),
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        student.start_application(str(application.id), kind.business.value, meta.as_dict())
        self.node.save(application, student)
        return application.view()

    async def look_up(self, transfer: bool, number: str, name: str, school: str) -> dict:
        """The student an application would be for, as the form shows it (step 1)."""
        kind = ChangeType.TRANSFER if transfer else ChangeType.SUSPENSION
        today = self.clock.today()

        def read() -> dict:
            student = self._student_for(kind, number, name or None, school)
            where = self._where(student, today)
            school_name = self.node.get_school(student.school_code).name
            return student.record() | {"grade": where.grade, "school_name": school_name}

        return await self.writer(read)

    def _student_for(self, kind: ChangeType, number: str, name: str | None, school: str) -> Student:
        """A status change is for the school's own student; a transfer finds the student
        anywhere in the province by name and number (CHG-4, as a cross-province case does)."""
        if kind is ChangeType.TRANSFER:
            if not name:
                raise ContractError("student_name", "name_required", "省内转学须填写学生姓名")
            student = self.node.student_for_case(number, name)
            if student.school_code == school:
                raise DomainError("该学生已在本校就读，不需要转学", code="same_school")
            return student
        student = self.node.get_student(number)
        if student.school_code != school:
            raise Forbidden("只能为本校学生申请学籍异动", code="outside_jurisdiction",
                            field="student_number")  # fmt: skip
        if name and name != student.name:
            raise NotFound("姓名与全国学籍号不符", field="student_name")
        return student

    def _where(self, student: Student, today: date) -> Where:
        system = self.node.get_school(student.school_code).school_system
        try:
            grade = grade_of(student.class_code, system, today)
        except ContractError:
            grade = None
        return Where(student.status, student.school_code, student.class_code, grade)

    @staticmethod
    def _suspension(kind: ChangeType, student: Student, before: Where, day: date) -> dict | None:
        """休学 records when and where it began; 复学 shows it (CHG-1)."""
        if kind is ChangeType.SUSPENSION:
            return {"date": day.isoformat(), "grade": before.grade,
                    "class_code": before.class_code}  # fmt: skip
        return student.suspension if kind is ChangeType.RESUMPTION else None

    def decided(self, application: Approval, opinion: str | None, at: str,
                meta: dict) -> list:  # fmt: skip
        """What the decision does to the record: the effect once approved; a status change
        rejected ends and frees it; a key data change returned stays with the school."""
        student = self.node.repository.get(UUID(application.student_id))
        if isinstance(application, KeyDataChange):
            if application.status == application.APPROVED:
                return [student, *self.key_data.approved(application, student, opinion, at, meta)]
            return []
        if application.status == application.APPROVED:
            after = application.after
            suspended = after["status"] == StudentStatus.SUSPENDED.value
            student.change(
                application_id=str(application.id),
                business=application.kind.business.value,
                status=after["status"],
                school_code=after["school_code"],
                class_code=after["class_code"],
                change_date=application.change_date,
                suspension=application.suspension if suspended else None,
                opinion=opinion,
                meta=meta,
            )
        elif application.status == application.REJECTED:
            student.end_application(str(application.id), "rejected", meta)
        return [student]

    def withdrawn(self, application: Approval, at: str, meta: dict) -> list:
        student = self.node.repository.get(UUID(application.student_id))
        student.end_application(str(application.id), "revoked", meta)
        if isinstance(application, KeyDataChange):
            return [student, *self.key_data.withdrawn(application, student, at, meta)]
        return [student]

    async def escalate(self, application_id: UUID, meta: CommandMeta) -> dict:
        """CHG-5 强制干预: straight to the province, once the bureau's working days are over."""
        today, at = self.clock.today(), self.clock.now().isoformat()
        province = self.org.province()
        step = province_step(province.code[:2], province.name)

        entered = self.calendar.years if self.calendar is not None else {}
        return await self.writer(self._escalate, application_id, step, today, entered, at, meta)

    def _escalate(self, application_id: UUID, step: dict, today: date, entered: dict, at: str,
                  meta: CommandMeta) -> dict:  # fmt: skip
        application = self._get(application_id)
        if application.escalated_by == meta.command_id:
            return application.view()
        application.check_escalation(meta.unit_code, Step.model_validate(step), today, entered)
        application.escalate(province_step=step, at=at, meta=meta.as_dict())
        self.node.save(application)
        return application.view()

    # --- reads -----------------------------------------------------------------------------

    async def due(self, application: dict) -> str | None:
        """The last working day of the current step (CHG-5's deadline), for the screens."""
        found = await self.writer(self._get, UUID(application["id"]))
        try:
            day = found.step_due(self.calendar.years if self.calendar else {})
        except CalendarNotCovered:  # shown as unknown until the ministry enters the year
            return None
        return day.isoformat() if day else None

    async def search(self, filters: dict, schools: list[str] | None, page: int = 1,
                     page_size: int = 20) -> dict:  # fmt: skip
        await self.views.caught_up()
        table = self.views.view("applications").table("applications")
        offset = (page - 1) * page_size
        found = await self.views.read(find, table, filters, schools, page_size, offset)
        return found | {"page": page, "page_size": page_size}

    async def export(self, filters: dict, schools: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """`[004 Q77]` the results by type as Excel; SEC-4: confirmed by a second account."""
        found = await self.search(filters, schools, 1, EXPORT_LIMIT)
        rows = [tuple(_cell(c, item[c]) for c in EXPORT_COLUMNS) for item in found["items"]]
        purpose = "学籍异动查询导出" + (f"（{','.join(filters['types'])}）" if filters.get("types")
                                      else "")  # fmt: skip
        columns = list(EXPORT_COLUMNS)
        await export.record(columns, len(rows), purpose)
        return await asyncio.to_thread(excel.workbook, columns, rows, EXPORT_COLUMNS, "学籍异动")

    def _find(self, application_id: UUID) -> Approval | None:
        try:
            return self.node.repository.get(application_id)
        except AggregateNotFoundError:
            return None

    def _get(self, application_id: UUID) -> StudentApplication | KeyDataChange:
        found = self._find(application_id)
        if not isinstance(found, StudentApplication | KeyDataChange):
            raise NotFound("申请不存在", field="id")
        return found

    _process = _get


def _cell(column: str, value: object) -> object:
    labels = StudentApplication.STATUS_LABELS
    return labels.get(str(value), value) if column == "status" else value


def sides(application: dict) -> list[str]:
    """The applying school and the original one (an in-province transfer): either side sees
    the application (SEC-1)."""
    return [application["school_code"], application["from_school_code"]]
