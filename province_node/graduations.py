"""毕业 / 结业 / 肄业 use cases (GRD-1, GRD-2, GRD-4): apply, decide, revoke, roll back, query.

Commands run on the node's writer and are idempotent by command id (BUS-2): a graduation's
id comes from the command that applied it, a decision repeated under its command id answers
the first result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.codes import Stage
from contracts.errors import ContractError, DomainError, Forbidden, NotFound
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.graduation import (
    GRADUATED_STATUSES,
    Graduation,
    GraduationKind,
    check_graduating_class,
    check_rollback,
    parse_kind,
)
from province_node.domain.student import Student
from province_node.domain.student_status import check_may_start
from province_node.processes import ProcessService
from province_node.views.graduates import graduates, in_classes
from xueji.access.exports import ConfirmedExport
from xueji.access.service import AccessService
from xueji.clock import Clock
from xueji.store import Writer

MOST_STUDENTS = 2_000  # one application: a graduating grade of a large school
EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = {
    "student_number": "全国学籍号",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证件号",
    "graduation_kind": "结束学业类型",
    "graduation_stage": "毕业教育阶段",
    "graduation_date": "毕业/结业年月",
    "school_name": "毕业学校",
    "class_name": "毕业班级",
    "status": "学籍状态",
}
_KIND_LABELS = {k.value: k.status.value for k in GraduationKind}
_STAGE_LABELS = {s.value: s.label for s in Stage}


@dataclass(frozen=True)
class GraduationForm:
    """What the school sends (`POST /api/v1/graduations`): classes or picked students."""

    school_code: str
    kind: str | None = None
    class_codes: tuple[str, ...] = ()
    student_numbers: tuple[str, ...] = ()
    date: date | None = None


class GraduationService(ProcessService):
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, exports: AccessService) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.exports = clock, exports

    # --- GRD-1 -------------------------------------------------------------------------------

    async def apply(self, form: GraduationForm, meta: CommandMeta) -> dict:
        kind = parse_kind(form.kind)
        if form.school_code != meta.unit_code:
            raise Forbidden(
                "只能为本校学生办理毕业", code="outside_jurisdiction", field="school_code"
            )
        if bool(form.class_codes) == bool(form.student_numbers):
            raise ContractError(
                "class_codes", "classes_or_students", "请选择毕业班级或学生（二选一）"
            )
        day = form.date or self.clock.today()
        if day > self.clock.today():
            raise ContractError("date", "future_date", "毕业日期不能晚于今天")
        picked: list[dict] = []
        if form.class_codes:
            await self.views.caught_up()
            table = self.views.view("students").table("students")
            codes = list(dict.fromkeys(form.class_codes))
            picked = await self.views.read(in_classes, table, form.school_code, codes)
        at = self.clock.now().isoformat()
        return await self.writer(self._apply, kind, form, picked, day, at, meta)

    def _apply(self, kind: GraduationKind, form: GraduationForm, picked: list[dict], day: date,
               at: str, meta: CommandMeta) -> dict:  # fmt: skip
        known = self._find(Graduation.create_id(meta.command_id))
        if known is not None:
            return known.view()
        school = self.node.get_school(form.school_code)
        year = self.node.settings().key_dates().school_year(day)
        skipped: list[dict] = []
        if form.class_codes:
            for class_code in form.class_codes:
                self.node.check_placement(form.school_code, class_code, "class_codes")
                check_graduating_class(class_code, school.school_system, year)
            students = []
            for row in picked:
                student = self.node.repository.get(UUID(row["student_id"]))
                if student.in_flight:  # the class graduates without it; the reply says why
                    reason = f"有正在办理的{student.in_flight_label}"
                    skipped.append({"student_number": student.student_number, "reason": reason})
                else:
                    students.append(student)
        else:
            students = [
                self._picked(n, form.school_code) for n in dict.fromkeys(form.student_numbers)
            ]
        if not students:
            raise DomainError("所选班级没有可以毕业的学生", code="no_students")
        if len(students) > MOST_STUDENTS:
            raise ContractError(
                "student_numbers", "too_many", f"一次最多为{MOST_STUDENTS}名学生办理毕业"
            )
        stages = {s.stage for s in students}
        if len(stages) > 1:
            raise ContractError("class_codes", "mixed_stages", "一次只能为同一学段的学生办理毕业")
        stage = stages.pop()
        business = kind.business(stage)
        for student in students:
            check_graduating_class(student.class_code, school.school_system, year)
            check_may_start(business, student.status)
            student.check_nothing_in_flight(business.value)  # PRB-6: problems do not block
        chain = self.node.frozen_chain(business, form.school_code, stage, self.org)
        graduation = Graduation(
            command_id=meta.command_id,
            kind=kind.value,
            stage=stage.value,
            school_code=form.school_code,
            graduation_date=day.isoformat(),
            students=[
                {
                    "id": str(s.id),
                    "student_number": s.student_number,
                    "name": s.name,
                    "class_code": s.class_code,
                }
                for s in students
            ],  # fmt: skip
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        for student in students:
            student.start_application(str(graduation.id), business.value, meta.as_dict())
        self.node.save(graduation, *students)
        return graduation.view() | {"skipped": skipped}

    def _picked(self, number: str, school_code: str) -> Student:
        student = self.node.get_student(number)
        if student.school_code != school_code:
            raise Forbidden(f"学生 {number} 不是本校学生", code="outside_jurisdiction",
                            field="student_numbers")  # fmt: skip
        return student

    def decided(self, graduation: Graduation, opinion: str | None, at: str,
                meta: dict) -> list:  # fmt: skip
        """Approved: each student graduates (or completes, …); rejected: each is freed."""
        students = self._students(graduation)
        kind = GraduationKind(graduation.kind)
        for student in students:
            if graduation.status == graduation.APPROVED:
                student.graduate(graduation_id=str(graduation.id), kind=kind.value,
                                 status=kind.status.value,
                                 graduation_date=graduation.graduation_date, opinion=opinion,
                                 meta=meta)  # fmt: skip
            elif graduation.status == graduation.REJECTED:
                student.end_application(str(graduation.id), "rejected", meta)
        return students

    def withdrawn(self, graduation: Graduation, at: str, meta: dict) -> list:
        students = self._students(graduation)
        for student in students:
            student.end_application(str(graduation.id), "revoked", meta)
        return students

    def _students(self, graduation: Graduation) -> list[Student]:
        return [self.node.repository.get(UUID(s["id"])) for s in graduation.students]

    async def graduating_classes(self, school_code: str) -> list[dict]:
        """The school's classes that graduate this school year (the last grade, or later)."""
        today = self.clock.today()

        def read() -> list[dict]:
            school = self.node.get_school(school_code)
            year = self.node.settings().key_dates().school_year(today)
            found = []
            for klass in school.classes.values():
                try:
                    check_graduating_class(klass["class_code"], school.school_system, year)
                except DomainError:
                    continue
                found.append(klass)
            return sorted(found, key=lambda k: k["class_code"])

        return await self.writer(read)

    # --- GRD-2 -------------------------------------------------------------------------------

    async def roll_back(self, student_number: str, reason: str, meta: CommandMeta) -> dict:
        today = self.clock.today()
        return await self.writer(self._roll_back, student_number, reason, today, meta)

    def _roll_back(self, student_number: str, reason: str, today: date,
                   meta: CommandMeta) -> dict:  # fmt: skip
        student = self.node.get_student(student_number)
        if student.status not in GRADUATED_STATUSES or student.graduation is None:
            if student.version and meta.command_id in _rollbacks(self.node, student):
                return student.record()  # a repeat: the first answer
            raise DomainError("该学生不是毕业（结业、肄业）状态，不能退回", code="not_graduated")
        student.check_nothing_in_flight("graduation_rollback")
        school = self.node.get_school(student.graduation["school_code"])
        province = self.org.province().code
        check_rollback(student.graduation, today, meta.unit_code, school.supervising_unit,
                       province)  # fmt: skip
        student.roll_back_graduation(reason=reason, meta=meta.as_dict())
        self.node.save(student)
        return student.record()

    # --- GRD-4 -------------------------------------------------------------------------------

    async def graduates(self, filters: dict, schools: list[str] | None, page: int = 1,
                        page_size: int = 20) -> dict:  # fmt: skip
        await self.views.caught_up()
        table = self.views.view("students").table("students")
        offset = (page - 1) * page_size
        found = await self.views.read(graduates, table, filters, schools, page_size, offset)
        return found | {"page": page, "page_size": page_size}

    async def export(self, filters: dict, schools: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """GRD-4 毕业生 as Excel; SEC-4: confirmed by a second account."""
        found = await self.graduates(filters, schools, 1, EXPORT_LIMIT)
        rows = [tuple(_cell(c, item.get(c)) for c in EXPORT_COLUMNS) for item in found["items"]]
        columns = list(EXPORT_COLUMNS)
        await export.record(columns, len(rows), "毕业生查询导出")
        return await asyncio.to_thread(excel.workbook, columns, rows, EXPORT_COLUMNS, "毕业生")

    def _find(self, graduation_id: UUID) -> Graduation | None:
        try:
            found = self.node.repository.get(graduation_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Graduation) else None

    def _get(self, graduation_id: UUID) -> Graduation:
        found = self._find(graduation_id)
        if found is None:
            raise NotFound("毕业申请不存在", field="id")
        return found

    _process = _get


def _rollbacks(node: ProvinceNode, student: Student) -> set[str]:
    """The command ids of the record's rollbacks (a repeated rollback answers the first)."""
    return {
        (e.meta or {}).get("command_id")
        for e in node.events.get(student.id)
        if isinstance(e, Student.GraduationRolledBack)
    }


def _cell(column: str, value: object) -> object:
    if column == "graduation_kind":
        return _KIND_LABELS.get(str(value), value)
    if column == "graduation_stage":
        return _STAGE_LABELS.get(str(value), value)
    return value
