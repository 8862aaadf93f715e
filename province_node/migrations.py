"""学生学籍转移 (ORG-3): the use cases of `Migration` (start, decide, list).

The common superior (a bureau that sees both schools; the route checks it with the policy)
picks whole grades, classes or single students of a school being revoked; each is held by
the migration until the receiving school confirms it into one of its classes (the student's
national grade stays, XPT-9's rule) or refuses it. A decision may let the revoked school's
revocation complete: `settle` (ORG-2's) runs after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import select

from contracts.codes import ClassCode, SchoolSystem, class_grade
from contracts.errors import ContractError, DomainError, NotFound
from contracts.meta import CommandMeta
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.migration import BUSINESS, Migration, MigrationIndex
from province_node.domain.school import REVOKING, School
from province_node.domain.student import Student
from province_node.org_changes import ON_ROLL
from xueji.clock import Clock
from xueji.store import Writer


class MigrationService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        views: Views,
        clock: Clock,
        settle: Callable[[CommandMeta], Awaitable[dict]],
    ) -> None:
        self.node, self.writer, self.views, self.clock = node, writer, views, clock
        self.settle = settle

    def _index(self) -> MigrationIndex:
        found = self.node.find(MigrationIndex.create_id(self.node.province))
        return found or MigrationIndex(province=self.node.province)

    def _get(self, migration_id: UUID) -> Migration:
        found = self.node.find(migration_id)
        if not isinstance(found, Migration):
            raise NotFound(f"学籍转移 {migration_id} 不存在", field="migration_id")
        return found

    async def start(
        self,
        from_school: str,
        to_school: str,
        class_codes: list[str],
        grades: list[str],
        student_numbers: list[str],
        note: str,
        meta: CommandMeta,
    ) -> dict:
        await self.views.caught_up()
        numbers = await self._on_roll(from_school, class_codes, grades, student_numbers)
        return await self.writer(self._start, from_school, to_school, numbers, note, meta)

    async def _on_roll(
        self, school_code: str, class_codes: list[str], grades: list[str], numbers: list[str]
    ) -> list[str]:
        school = await self.writer(self.node.get_school, school_code)
        wanted = set(class_codes)
        for code in class_codes:
            if code not in school.classes:
                raise ContractError(
                    "class_codes", "unknown_class", f"班级 {code} 不属于学校 {school_code}"
                )
        for grade in grades:
            found = {c for c, k in school.classes.items() if k["grade"] == grade}
            if not found:
                raise ContractError("grades", "unknown_grade", f"学校 {school_code} 没有{grade}")
            wanted |= found
        if not wanted:
            return list(dict.fromkeys(numbers))
        table = self.views.view("students").table("students")

        def query(connection: Any) -> list[str]:
            statement = select(table.c.student_number).where(
                table.c.school_code == school_code,
                table.c.class_code.in_(sorted(wanted)),
                table.c.status.in_(ON_ROLL),
            )
            return list(connection.execute(statement).scalars())

        return list(dict.fromkeys([*await self.views.read(query), *numbers]))

    def _start(
        self, from_code: str, to_code: str, numbers: list[str], note: str, meta: CommandMeta
    ) -> dict:
        done = self.node.find(Migration.create_id(meta.command_id))
        if done is not None:  # BUS-2: a repeat answers the first result
            return done.view()
        source, target = self.node.get_school(from_code), self.node.get_school(to_code)
        if source.state != REVOKING:
            raise DomainError(
                f"学校 {from_code}（{source.name}）不是待撤销的学校，不能转出学籍",
                code="not_revoking",
                field="from_school",
            )
        target.check_active()
        if from_code == to_code:
            raise ContractError("to_school", "same_school", "转入学校不能是转出学校")
        if not numbers:
            raise ContractError("student_numbers", "no_students", "请选择要转移的年级、班级或学生")
        students = [self.node.get_student(n) for n in numbers]
        items = []
        for student in students:
            if student.school_code != from_code or student.status not in ON_ROLL:
                raise DomainError(
                    f"学生 {student.name}（{student.student_number}）不是转出学校的在籍学生",
                    code="not_eligible",
                    field="student_numbers",
                )
            student.check_nothing_in_flight(
                BUSINESS, self.node.open_problems(student.student_number)
            )
            items.append(
                {
                    "student_number": student.student_number,
                    "name": student.name,
                    "from_class": student.class_code,
                    "grade": self._grade(source, student.class_code),
                }
            )
        m = meta.as_dict()
        migration = Migration(
            command_id=meta.command_id,
            from_school=from_code,
            to_school=to_code,
            unit_code=meta.unit_code,
            items=items,
            note=note,
            at=self._now(),
            meta=m,
        )
        for student in students:
            student.start_application(application_id=str(migration.id), business=BUSINESS, meta=m)
        index = self._index()
        index.add(migration_id=str(migration.id), from_school=from_code, to_school=to_code)
        self.node.save(migration, index, *students)
        return migration.view()

    def _grade(self, school: School, class_code: str) -> int:
        year = self.node.settings().key_dates().school_year(self.clock.today())
        return class_grade(ClassCode.parse(class_code), year, SchoolSystem(school.school_system))

    async def decide(
        self,
        migration_id: UUID,
        student_numbers: list[str],
        accept: bool,
        class_code: str | None,
        opinion: str | None,
        meta: CommandMeta,
    ) -> dict:
        """学籍转入确认: the receiving school confirms (into a class) or refuses each."""
        result = await self.writer(
            self._decide, migration_id, student_numbers, accept, class_code, opinion, meta
        )
        await self.settle(meta)
        return result

    def _decide(
        self,
        migration_id: UUID,
        numbers: list[str],
        accept: bool,
        class_code: str | None,
        opinion: str | None,
        meta: CommandMeta,
    ) -> dict:
        migration, m, at = self._get(migration_id), meta.as_dict(), self._now()
        target = self.node.get_school(migration.to_school)
        if accept and not class_code:
            raise ContractError("class_code", "class_required", "确认转入须选择分入的班级")
        if not accept and not (opinion or "").strip():
            raise ContractError("opinion", "opinion_required", "拒绝转入须填写原因")
        changed: list[Student] = []
        for number in dict.fromkeys(numbers):
            item = migration.check_decision(meta.unit_code, number)
            student = self.node.get_student(number)
            if accept:
                self.node.check_placement(target.school_code, class_code)
                grade = self._grade(target, class_code)
                if grade != item["grade"]:
                    raise DomainError(
                        f"学生 {item['name']} 为{item['grade']}年级，"
                        f"班级 {class_code} "
                        f"为{grade}年级",
                        code="grade_mismatch",
                        field="class_code",
                    )
                student.change(
                    application_id=str(migration.id),
                    business=BUSINESS,
                    status=student.status,
                    school_code=target.school_code,
                    class_code=class_code,
                    change_date=self.clock.today().isoformat(),
                    suspension=student.suspension,
                    opinion=opinion,
                    meta=m,
                )
            else:
                student.end_application(application_id=str(migration.id), outcome="refused", meta=m)
            migration.decide(
                student_number=number,
                accept=accept,
                class_code=class_code or "",
                opinion=opinion,
                at=at,
                meta=m,
            )
            changed.append(student)
        self.node.save(migration, *changed)
        return migration.view()

    async def get(self, migration_id: UUID) -> dict:
        return (await self.writer(self._get, migration_id)).view()

    async def listing(
        self, sees: Callable[[str], bool], pending_for: str | None = None
    ) -> list[dict]:
        """The migrations either school of which the caller sees; `pending_for`: only those
        with students awaiting that receiving school."""
        return await self.writer(self._listing, sees, pending_for)

    def _listing(self, sees: Callable[[str], bool], pending_for: str | None) -> list[dict]:
        found = []
        for entry in self._index().migrations:
            if not (sees(entry["from_school"]) or sees(entry["to_school"])):
                continue
            view = self._get(UUID(entry["id"])).view()
            if pending_for is None or (
                view["to_school"] == pending_for and view["status"] != "done"
            ):
                found.append(view)
        return found

    def _now(self) -> str:
        return self.clock.now().isoformat()
