"""Student records: the record now or then, its history, and REG-9 误操作删除 on the approval
engine (the school applies, the chain's unit confirms or refuses)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from contracts.errors import Forbidden
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.deletion import StudentDeletion
from province_node.domain.errors import DomainError
from province_node.domain.profile import check_edit
from province_node.domain.student import Student
from province_node.domain.term_review import TermReview
from province_node.domain.workflow_defaults import BusinessType
from province_node.views.students import updates_by_school
from xueji.clock import Clock
from xueji.store import Writer


class StudentService:
    def __init__(self, node: ProvinceNode, writer: Writer, org: OrgTree, clock: Clock,
                 views: Views) -> None:  # fmt: skip
        self.node, self.writer, self.org, self.clock = node, writer, org, clock
        self.views = views

    # --- reads ------------------------------------------------------------------------------

    async def record(self, student_number: str) -> dict:
        return await self.writer(self.node.student, student_number)

    async def record_as_of(self, student_number: str, at: datetime) -> dict:
        """AUD-2: the record as it was at `at`."""
        return await self.writer(self.node.student_as_of, student_number, at)

    async def history(self, student_number: str) -> list[dict]:
        """Every stored event of the record (and those it brought from another province)."""
        return await self.writer(self.node.student_history, student_number)

    # --- DAY-1…DAY-7 学籍数据维护 -------------------------------------------------------------

    async def edit(self, student_number: str, changes: dict, reason: str | None,
                   meta: CommandMeta) -> dict:  # fmt: skip
        """Non-key fields edited directly by the student's school; a controlled field is
        refused naming it (KDC-1); a repeat of the command answers the first result."""
        today = self.clock.today()
        return await self.writer(self._edit, student_number, changes, reason, today, meta)

    def _edit(self, student_number: str, changes: dict, reason: str | None, today: date,
              meta: CommandMeta) -> dict:  # fmt: skip
        student = self.node.get_student(student_number)
        if any(e.meta.get("command_id") == meta.command_id for e in self._edits(student)):
            return student.record()
        student.check_editable(meta.unit_code)
        controlled = self.node.controlled_fields(student.school_code, self.org)["fields"]
        record = student.record()
        checked = check_edit(changes, record, controlled, today)
        if "class_code" in checked:
            self.node.check_placement(student.school_code, checked["class_code"])
        if checked:
            before = {k: record["profile"].get(k, record.get(k)) for k in checked}
            student.edit(changes=checked, before=before, reason=reason, meta=meta.as_dict())
            self.node.save(student)
        return student.record()

    def _edits(self, student) -> list:
        return [e for e in self.node.events.get(student.id) if isinstance(e, Student.Edited)]

    # --- DAY-7: each term the county reviews its schools' updates ---------------------------

    async def term_updates(self, term: str, schools: list[str]) -> list[dict]:
        """Per school of `schools`: the records whose changing fields were updated in the term,
        and whether its county reviewed them (done / not done)."""
        await self.views.caught_up()
        table = self.views.view("students").table("updates")
        counts = await self.views.read(updates_by_school, table, term, schools)

        def read() -> list[dict]:
            rows = []
            for code in schools:
                county = self.node.get_school(code).supervising_unit
                review = self.node.find(TermReview.create_id(county, term))
                done = review.reviewed.get(code) if isinstance(review, TermReview) else None
                rows.append({"school_code": code, "school_name": self.org.unit(code).name,
                             "updated": counts.get(code, 0), "reviewed": done is not None,
                             "review": done})  # fmt: skip
            return rows

        return await self.writer(read)

    async def review_term(self, term: str, school_code: str, note: str | None,
                          meta: CommandMeta) -> dict:  # fmt: skip
        """DAY-7: the school's supervising bureau marks its term's updates reviewed."""
        at = self.clock.now().isoformat()

        def review() -> dict:
            county = self.node.get_school(school_code).supervising_unit
            if meta.unit_code != county:
                message = "只有学校的主管教育部门可以审核信息更新"
                raise Forbidden(message, code="outside_jurisdiction", field="school_code")
            found = self.node.find(TermReview.create_id(county, term))
            record = (
                found if isinstance(found, TermReview) else TermReview(county=county, term=term)
            )
            if school_code not in record.reviewed:
                record.review(school_code=school_code, note=note, at=at, meta=meta.as_dict())
                self.node.save(record)
            return {"term": term, "school_code": school_code} | record.reviewed[school_code]

        return await self.writer(review)

    # --- REG-9 误操作删除 --------------------------------------------------------------------

    async def request_deletion(self, student_number: str, reason: str, meta: CommandMeta) -> dict:
        """The school applies to delete a wrongly registered student; a repeat of the same
        command answers the same and stores nothing (BUS-2)."""
        at = self.clock.now().isoformat()
        return await self.writer(self._request_deletion, student_number, reason, at, meta)

    def _request_deletion(
        self, student_number: str, reason: str, at: str, meta: CommandMeta
    ) -> dict:
        student = self.node.get_student(student_number)
        deletion_id = StudentDeletion.create_id(meta.command_id)
        if student.deletion_id == str(deletion_id):
            return student.record()
        student.check_deletion_request(meta.unit_code)
        chain = self.node.frozen_chain(
            BusinessType.DELETION, student.school_code, student.stage, self.org
        )
        deletion = StudentDeletion(
            command_id=meta.command_id,
            student_number=student.student_number,
            school_code=student.school_code,
            reason=reason,
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        student.request_deletion(reason=reason, deletion_id=str(deletion.id), meta=meta.as_dict())
        self.node.save(student, deletion)
        return student.record()

    async def decide_deletion(
        self, student_number: str, approve: bool, opinion: str | None, meta: CommandMeta
    ) -> dict:
        """The chain's unit (the supervising bureau) confirms or refuses; the same command
        again answers the same and stores nothing (BUS-2)."""
        at = self.clock.now().isoformat()
        return await self.writer(self._decide_deletion, student_number, approve, opinion, at, meta)

    def _decide_deletion(
        self, student_number: str, approve: bool, opinion: str | None, at: str, meta: CommandMeta
    ) -> dict:
        student = self.node.get_student(student_number)
        if student.deletion_id is None:
            raise DomainError(StudentDeletion.NOT_YOUR_STEP, code="not_your_step")
        deletion = self.node.repository.get(UUID(student.deletion_id))
        if deletion.seen(meta.command_id):
            return student.record()
        if deletion.current is None:
            raise DomainError(deletion.NOT_IN_REVIEW, code="deletion_decided")
        deletion.check_decision(meta.unit_code, meta.role, approve, opinion)
        deletion.decide(approve=approve, opinion=opinion, at=at, meta=meta.as_dict())
        if deletion.status == deletion.APPROVED:
            student.delete(opinion=opinion, meta=meta.as_dict())
        elif deletion.status == deletion.REJECTED:
            student.refuse_deletion(opinion=opinion, meta=meta.as_dict())
        self.node.save(deletion, student)
        return student.record()
