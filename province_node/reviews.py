"""Registration review use cases (REG-6, REG-7, REG-9): the chain's units decide, the school
registrar reports its school-approved entries, resubmits a returned one or deletes one before
the report. The last approval creates the student record.

Each command runs on the node's writer; a decision repeated under its command id changes
nothing (BUS-2).
"""

from __future__ import annotations

from uuid import UUID

from contracts.approval import check_opinion
from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from contracts.problems import ProblemKind
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.problem import open_duplicate
from province_node.domain.registration import Registration, RegistrationStatus
from province_node.domain.student import Student
from province_node.views.pending import awaiting_unit, awaits
from xueji.clock import Clock
from xueji.faults import fault_point
from xueji.store import Writer

#: How long the batch review waits for the views to hold every stored event: it acts on
#: what it reads, so it waits longer than a page would.
_CATCH_UP_SECONDS = 10.0


class ReviewService:
    def __init__(self, node: ProvinceNode, writer: Writer, clock: Clock, views: Views,
                 org: OrgTree) -> None:  # fmt: skip
        self.node, self.writer, self.clock, self.views = node, writer, clock, views
        self.org = org

    # --- reads ------------------------------------------------------------------------------

    async def registration(self, registration_id: UUID) -> dict:
        """One registration and its current state."""
        return await self.writer(self.node.registration, registration_id)

    # --- decisions (REG-6, REG-7) -------------------------------------------------------------

    async def decide(
        self, registration_id: UUID, approve: bool, opinion: str | None, meta: CommandMeta
    ) -> dict:
        """The current step's unit approves, or returns it to the school with an opinion."""
        at = self.clock.now().isoformat()
        return await self.writer(self._decide_one, registration_id, approve, opinion, at, meta)

    def _decide_one(
        self, registration_id: UUID, approve: bool, opinion: str | None, at: str, meta: CommandMeta
    ) -> dict:
        registration = self.node.get_registration(registration_id)
        return self._decide([registration], approve, opinion, at, meta)[0]

    async def decide_school_batch(
        self,
        school_code: str,
        id_group: str | None,
        approve: bool,
        opinion: str | None,
        meta: CommandMeta,
    ) -> list[dict]:
        """REG-7: every entry of a school (or one document-type group of it) awaiting the
        caller's decision. The pending view names the candidates; each registration's own
        state decides on the writer, so a view behind the log lets no wrong decision by."""
        await self.views.caught_up(_CATCH_UP_SECONDS)
        table = self.views.view("pending").table("pending")
        rows = await self.views.read(awaiting_unit, table, meta.unit_code)
        ids = [
            UUID(row["id"])
            for row in rows
            if row["business"] == "registration"
            and row["school_code"] == school_code
            and awaits(row, meta.unit_code, meta.role) == "decide"
        ]
        at = self.clock.now().isoformat()
        return await self.writer(
            self._decide_batch, school_code, id_group, ids, approve, opinion, at, meta
        )

    def _decide_batch(
        self,
        school_code: str,
        id_group: str | None,
        ids: list[UUID],
        approve: bool,
        opinion: str | None,
        at: str,
        meta: CommandMeta,
    ) -> list[dict]:
        """On the writer: of the candidates `ids`, those of the school (and group) whose own
        state awaits the caller's decision."""
        pending = [
            r
            for r in self.node.get_registrations(ids)
            if r.school_code == school_code
            and r.awaits(meta.unit_code, meta.role) == "decide"
            and (id_group is None or DocumentType(r.id_type).group.value == id_group)
        ]
        return self._decide(pending, approve, opinion, at, meta)

    def _decide(
        self,
        registrations: list[Registration],
        approve: bool,
        opinion: str | None,
        at: str,
        meta: CommandMeta,
    ) -> list[dict]:
        check_opinion(approve, opinion, Registration.OPINION_REQUIRED)  # before any change
        new = []
        for registration in registrations:
            if registration.seen(meta.command_id):  # BUS-2: a repeat changes nothing
                continue
            registration.check_decision(meta.unit_code, meta.role, approve, opinion)
            registration.decide(approve=approve, opinion=opinion, at=at, meta=meta.as_dict())
            new += [registration, *self._enrol_if(registration, meta)]
        self.node.save(*new)
        fault_point("node.decide.after_commit")
        return [r.summary() for r in registrations]

    # --- the school registrar's commands (REG-6, REG-9) ---------------------------------------

    async def report(self, ids: list[UUID], meta: CommandMeta) -> list[dict]:
        """REG-6: the school registrar submits its school-approved entries; all or none."""
        return await self.writer(self._report, ids, meta)

    def _report(self, ids: list[UUID], meta: CommandMeta) -> list[dict]:
        registrations = self.node.get_registrations(ids)
        new = []
        for registration in registrations:
            registration.check_reportable(meta.unit_code)
            registration.report(meta=meta.as_dict())
            new += [registration, *self._enrol_if(registration, meta)]
        self.node.save(*new)
        return [r.summary() for r in registrations]

    async def resubmit(self, registration_id: UUID, meta: CommandMeta) -> dict:
        """A returned entry goes back to the school approver."""
        return await self.writer(self._resubmit, registration_id, meta)

    def _resubmit(self, registration_id: UUID, meta: CommandMeta) -> dict:
        registration = self.node.get_registration(registration_id)
        registration.check_resubmittable(meta.unit_code)
        registration.resubmit(meta=meta.as_dict())
        self.node.save(registration)
        return registration.summary()

    async def delete(self, registration_id: UUID, meta: CommandMeta) -> dict:
        """REG-9: a registrar deletes one entry of its school before the report."""
        return await self.writer(self._delete, registration_id, meta)

    def _delete(self, registration_id: UUID, meta: CommandMeta) -> dict:
        registration = self.node.get_registration(registration_id)
        registration.check_deletable(meta.unit_code)
        registration.delete(meta=meta.as_dict())
        self.node.save(registration)
        return registration.summary()

    def _enrol_if(self, registration: Registration, meta: CommandMeta) -> list[Student]:
        """The last approval creates the student record (REG-6)."""
        if registration.status != RegistrationStatus.REGISTERED or registration.student_created:
            return []
        student = Student(
            registration_id=registration.id,
            student_number=registration.student_number,
            dedup_key=registration.dedup_key,
            auth_status=registration.auth_status,
            meta=meta.as_dict(),
            **registration.person(),
        )
        registration.create_student(student_number=registration.student_number, meta=meta.as_dict())
        return [student, *self._duplicate_group(registration, student, meta)]

    def _duplicate_group(self, registration: Registration, student: Student,
                         meta: CommandMeta) -> list:  # fmt: skip
        """PRB-1: a student whose deferred dedup found the identity held by another student of
        this province opens an in-province group of the two (the hub opens a cross-province
        one when it indexes the new student)."""
        holder = registration.duplicate_of
        if holder is None or holder["province"] != self.node.province:
            return []
        other = self.node.get_student(holder["student_number"])
        kind = (ProblemKind.DUPLICATE_ID if registration.id_type == DocumentType.RESIDENT_ID.value
                else ProblemKind.DUPLICATE_PERSON)  # fmt: skip
        return open_duplicate(self.node.find, kind, [other, student], self.node.province,
                              self.org, "查重发现同一学生的两条学籍", self.clock.now().isoformat(),
                              meta.as_dict())  # fmt: skip
