"""National checks that finish after the entry (REG-5), mixed into `ProvinceNode`: an
authentication left pending while the population registry was away, and the claims a
registration of this province holds on the hub."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from province_node.domain.registration import Registration, RegistrationStatus
from province_node.domain.student import Student, StudentNumberIndex


class PendingCheckUseCases:
    """Needs `RegistrationUseCases` (the registrations and their numbers)."""

    def pending_authentications(self, ids: list[UUID]) -> list[dict]:
        """Of these registrations (the view's candidates), the open ones whose resident ID
        the registry could not check yet."""
        return [
            {"id": str(r.id), "id_number": r.id_number, "name": r.name}
            for r in self._registrations(ids)
            if r.status in RegistrationStatus.OPEN
            and r.auth_status == "pending"
            and r.id_type == DocumentType.RESIDENT_ID.value
        ]

    def complete_authentication(
        self,
        registration_id: UUID,
        outcome: str,
        reason: str | None,
        blocks: bool,
        meta: CommandMeta,
    ) -> dict:
        """The registry answered at last: the flow goes on as if it had answered at entry —
        failed under the province's `auth_failure_blocks` switch: refused, its claim released;
        otherwise, once numbered, passed → `G` number, failed → PRB-1 problem record."""
        registration = self._registration(registration_id)
        if registration.auth_status != "pending" or registration.status not in (
            RegistrationStatus.OPEN
        ):
            return registration.summary()  # answered before, or ended meanwhile
        m = meta.as_dict()
        registration.record_authentication(outcome=outcome, reason=reason, meta=m)
        new: list = [registration]
        if outcome == "failed" and blocks:
            registration.refuse_after_authentication(meta=m)
        elif registration.student_number is not None:  # dedup passed: numbered already
            new += self._after_authentication(registration, m)
        self.save(*new)  # with dedup still deferred, the sweep numbers it later
        return registration.summary()

    def _after_authentication(self, registration: Registration, m: dict) -> list:
        if registration.auth_status == "failed":
            return [self._open_problem(registration, m)]
        number = self._issue_number(registration, "passed")  # ID-3: G replaces the temporary L
        if self._number_taken(number):
            return []
        registration.assign_number(student_number=number, meta=m)
        student_id = Student.create_id(registration.id)
        return [StudentNumberIndex(student_number=number, student_id=student_id)]

    def abandon_returned(self, ids: list[UUID], before: datetime, meta: CommandMeta) -> int:
        """REG-5: of these registrations (the view's returned ones), those returned and not
        resubmitted since `before` are closed by the system (abandoned) and release their
        claims, in one transaction; how many."""
        m = meta.as_dict()
        ended = [r for r in self._registrations(ids) if r.returned_before(before)]
        for registration in ended:
            registration.abandon(meta=m)
        if ended:
            self.save(*ended)
        return len(ended)

    def claim_is_lost(self, registration_id: str) -> bool:
        """REG-5: this province's registration the hub names as holding a claim has ended
        without a student, or was never stored (the hub's reply to it was lost, or the node
        stopped before storing it): its claim may move to a new registration. The caller
        excludes the registrations whose claim is still on its way to the store."""
        try:
            registration = self.repository.get(UUID(registration_id))
        except AggregateNotFoundError:
            return True
        return isinstance(registration, Registration) and registration.has_ended
