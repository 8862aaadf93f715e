"""Registration use cases of the province node (REG-5…REG-7, REG-9), mixed into `ProvinceNode`.

A registration that passes the national checks gets its student number, its frozen
approval chain (SYS-1) and enters review: school approver → (school registrar reports) →
supervising bureau → … . The student record is created when the last step approves.
"""

from __future__ import annotations

import random
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.approval import check_opinion
from contracts.errors import ContractError
from contracts.ids import DocumentType, issue_g, issue_j, issue_l, parse_resident_id
from contracts.meta import CommandMeta
from contracts.regions import region
from province_node.domain.errors import DomainError, NotFound
from province_node.domain.problem import ProblemRecord
from province_node.domain.registration import NationalChecks, Registration, RegistrationStatus
from province_node.domain.registration_rules import RegistrationForm, ValidRegistration
from province_node.domain.student import Student, StudentNumberIndex
from xueji.faults import fault_point


class RegistrationUseCases:
    """Needs the eventsourcing Application's `repository`, `save` and `_school`."""

    _rng = random.Random()

    def registration(self, registration_id: UUID) -> dict:
        return self._registration(registration_id).summary()

    def _registration(self, registration_id: UUID) -> Registration:
        try:
            return self.repository.get(registration_id)
        except AggregateNotFoundError:
            raise NotFound(f"注册记录 {registration_id} 不存在") from None

    def find_registration(self, command_id: str) -> dict | None:
        try:
            return self.repository.get(Registration.create_id(command_id)).summary()
        except AggregateNotFoundError:
            return None

    def record_registration(
        self, valid: ValidRegistration, checks: NationalChecks, chain: list[dict], meta: CommandMeta
    ) -> dict:
        """Stores the registration, its number and its review: one transaction."""
        registration, new = self._new_registration(valid, checks, chain, meta)
        self.save(*new)
        return registration.summary()

    def registrations_to_record(
        self, entries: list[tuple[ValidRegistration, NationalChecks, list[dict], CommandMeta]]
    ) -> tuple[list[dict | DomainError | ContractError], list]:
        """`record_registration` for many rows (an import chunk, REG-4), left to the caller to
        save in one transaction: a summary per row, or the error of a row a rule refused,
        which leaves nothing behind."""
        results: list[dict | DomainError | ContractError] = []
        new: list = []
        for entry in entries:
            try:
                registration, aggregates = self._new_registration(*entry)
            except (DomainError, ContractError) as error:
                results.append(error)
                continue
            results.append(registration.summary())
            new += aggregates
        return results, new

    def _new_registration(
        self,
        valid: ValidRegistration,
        checks: NationalChecks,
        chain: list[dict],
        meta: CommandMeta,
    ) -> tuple[Registration, list]:
        """The registration and the aggregates to save with it."""
        form, m = valid.form, meta.as_dict()
        registration = Registration(
            command_id=meta.command_id,
            province=self.province,
            entry=form.entry,
            dedup_key=valid.dedup_key,
            meta=m,
            **valid.person(),
        )
        if valid.warnings:
            registration.flag(warnings=list(valid.warnings), meta=m)
        if valid.proof is not None:
            registration.attach_proof(
                sha256=valid.proof.sha256,
                size=valid.proof.size,
                content_type=valid.proof.content_type,
                meta=m,
            )
        registration.record_authentication(outcome=checks.auth, reason=checks.auth_reason, meta=m)
        if checks.refused_by_authentication:
            registration.refuse_unauthenticated(meta=m)
            return registration, [registration]
        if checks.dedup_deferred:  # REG-5 with instant dedup off: the sweep decides later
            registration.defer_dedup(chain=chain, meta=m)
            return registration, [registration]
        return registration, self._conclude_dedup(registration, checks, chain, m)

    def complete_deferred_dedup(
        self, registration_id: UUID, checks: NationalChecks, meta: CommandMeta
    ) -> dict:
        """The hub answered for a registration whose dedup was deferred."""
        registration = self._registration(registration_id)
        if registration.dedup_status != "pending":
            return registration.summary()
        if not registration.has_ended:
            chain, m = registration.chain, meta.as_dict()
            self.save(*self._conclude_dedup(registration, checks, chain, m))
        elif checks.holder_province is None:  # ended while the hub was asked: give it back
            reason = registration.release_reason or "refused"
            registration.release_claim(reason=reason, meta=meta.as_dict())
            self.save(registration)
        return registration.summary()

    def _conclude_dedup(
        self, registration: Registration, checks: NationalChecks, chain: list[dict], m: dict
    ) -> list:
        """Refused and closed (dedup conflict), or numbered and put in review."""
        if checks.holder_province is not None:
            registration.refuse_duplicate(
                holder_province=checks.holder_province,
                holder_student_number=checks.holder_student_number,
                meta=m,
            )
            return [registration]
        registration.pass_dedup(meta=m)
        number = self._issue_number(registration, registration.auth_status)
        registration.assign_number(student_number=number, meta=m)
        new = [
            registration,
            StudentNumberIndex(
                student_number=number, student_id=Student.create_id(registration.id)
            ),
        ]
        if registration.auth_status == "failed":  # PRB-1: goes on with an L number
            new.append(self._open_problem(registration, m))
        registration.start_review(chain=chain, meta=m)
        return new

    def _open_problem(self, registration: Registration, m: dict) -> ProblemRecord:
        """PRB-1: authentication failed; the registration goes on with its `L` number."""
        problem = ProblemRecord(
            kind="invalid_id",
            student_number=registration.student_number,
            school_code=registration.school_code,
            reason=registration.auth_reason or "身份认证未通过",
            meta=m,
        )
        registration.note_problem_record(problem_record_id=problem.id, meta=m)
        return problem

    def deferred_dedups(self, ids: list[UUID]) -> list[dict]:
        """Of these registrations (the view's open ones), those still waiting for the hub's
        dedup (instant dedup off, REG-5), as the hub needs them."""
        return [
            r.claim_view()
            for r in self._registrations(ids)
            if r.dedup_status == "pending" and r.status == RegistrationStatus.SUBMITTED
        ]

    def _registrations(self, ids: list[UUID]) -> list[Registration]:
        return [self._registration(i) for i in ids]

    # --- review (REG-6, REG-7) ----------------------------------------------------------------

    def decide_registration(
        self, registration_id: UUID, approve: bool, opinion: str | None, at: str, meta: CommandMeta
    ) -> dict:
        registration = self._registration(registration_id)
        return self._decide([registration], approve, opinion, at, meta)[0]

    def decide_school_batch(
        self,
        school_code: str,
        id_group: str | None,
        ids: list[UUID],
        approve: bool,
        opinion: str | None,
        at: str,
        meta: CommandMeta,
    ) -> list[dict]:
        """REG-7: every entry of one school (or one document-type group of it) awaiting the
        caller's decision, in one action. `ids` are the candidates the pending view named;
        each registration's own state decides whether it is one of them."""
        pending = [
            r
            for r in self._registrations(ids)
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
        self.save(*new)
        fault_point("node.decide.after_commit")
        return [r.summary() for r in registrations]

    def report_registrations(self, ids: list[UUID], meta: CommandMeta) -> list[dict]:
        """REG-6: the school registrar submits its school-approved entries; all or none."""
        registrations = [self._registration(i) for i in ids]
        new = []
        for registration in registrations:
            registration.check_reportable(meta.unit_code)
            registration.report(meta=meta.as_dict())
            new += [registration, *self._enrol_if(registration, meta)]
        self.save(*new)
        return [r.summary() for r in registrations]

    def resubmit_registration(self, registration_id: UUID, meta: CommandMeta) -> dict:
        registration = self._registration(registration_id)
        registration.check_resubmittable(meta.unit_code)
        registration.resubmit(meta=meta.as_dict())
        self.save(registration)
        return registration.summary()

    def delete_registration(self, registration_id: UUID, meta: CommandMeta) -> dict:
        """REG-9: a registrar deletes one entry of its school before the report."""
        registration = self._registration(registration_id)
        registration.check_deletable(meta.unit_code)
        registration.delete(meta=meta.as_dict())
        self.save(registration)
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
        return [student]

    # --- numbers and problems ------------------------------------------------------------------

    def _issue_number(self, form: RegistrationForm | Registration, auth: str) -> str:
        """ID-3: `G` + resident ID once authenticated; `J` for document-less students whose
        dedup passed; otherwise a temporary `L` number (same rights, [003 §一.4])."""
        if auth == "passed":
            formal = str(issue_g(parse_resident_id(form.id_number)))
            if not self._number_taken(formal):
                return formal
            # ID-3: a record whose ID number was corrected keeps its `G` number, so this
            # ID's `G` is taken; the newcomer gets a temporary number.
        region_code = self._school(form.school_code).region_code
        region(region_code)  # the school's region must be a known one
        if form.id_type == DocumentType.NONE.value:
            for sequence in range(1000):
                number = str(issue_j(region_code, form.birth_date, sequence))
                if not self._number_taken(number):
                    return number
        while True:
            number = str(issue_l(region_code, form.birth_date, self._rng))
            if not self._number_taken(number):
                return number

    def _number_taken(self, number: str) -> bool:
        try:
            self.repository.get(StudentNumberIndex.create_id(number))
        except AggregateNotFoundError:
            return False
        return True

    def problem_record(self, problem_id: UUID) -> dict:
        try:
            return self.repository.get(problem_id).view()
        except AggregateNotFoundError:
            raise NotFound(f"问题学籍 {problem_id} 不存在") from None
