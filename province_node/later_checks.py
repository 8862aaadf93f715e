"""What `RegistrationService` finishes after the entry, by itself or on a sysadmin's word
(REG-5): deferred dedup, authentications left pending while the population registry was
away, returned entries left lying."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from province_node.domain.registration import NationalChecks, Registration, RegistrationStatus
from province_node.domain.student import Student, StudentNumberIndex
from province_node.registry_client import authentication_of

if TYPE_CHECKING:
    from province_node.registrations import RegistrationService


class LaterChecks:
    """Goes on with the registrations' own flow (`RegistrationService`: its national claim,
    its candidates from the registrations view — each aggregate decides — and its recording
    of a dedup, a problem record, a number)."""

    def __init__(self, registrations: RegistrationService) -> None:
        self.flow = r = registrations
        self.node, self.writer, self.registry, self.relay = r.node, r.writer, r.registry, r.relay
        self.clock = r.clock

    async def run_deferred_dedup(self, meta: CommandMeta) -> dict:
        """REG-5 with instant dedup off: ask the hub for every registration still waiting."""
        ids = await self.flow.open_ids(status=RegistrationStatus.SUBMITTED, dedup_status="pending")
        waiting = await self.writer(self._deferred_dedups, ids)
        done = refused = 0
        for identity in waiting:
            checks = await self.flow.claim(identity["id"], identity, NationalChecks(), meta)
            summary = await self.writer(
                self._complete_deferred_dedup, UUID(identity["id"]), checks, meta
            )
            done += 1
            refused += summary["status"] == RegistrationStatus.REFUSED
        self.relay.wake()
        return {"checked": done, "refused": refused}

    def _deferred_dedups(self, ids: list[UUID]) -> list[dict]:
        """Of these registrations (the view's open ones), those still waiting for the hub's
        dedup (instant dedup off, REG-5), as the hub needs them."""
        return [
            r.claim_view()
            for r in self.node.get_registrations(ids)
            if r.dedup_status == "pending" and r.status == RegistrationStatus.SUBMITTED
        ]

    def _complete_deferred_dedup(
        self, registration_id: UUID, checks: NationalChecks, meta: CommandMeta
    ) -> dict:
        """The hub answered for a registration whose dedup was deferred."""
        registration = self.node.get_registration(registration_id)
        if registration.dedup_status != "pending":
            return registration.summary()
        if not registration.has_ended:
            chain, m = registration.chain, meta.as_dict()
            self.node.save(*self.flow.conclude_dedup(registration, checks, chain, m, deferred=True))
        elif checks.holder_province is None:  # ended while the hub was asked: give it back
            reason = registration.release_reason or "refused"
            registration.release_claim(reason=reason, meta=meta.as_dict())
            self.node.save(registration)
        return registration.summary()

    async def abandon_returned(self, meta: CommandMeta, expiry_days: int) -> int:
        """REG-5: returned entries left longer than `expiry_days` end (abandoned)."""
        before = self.clock.now() - timedelta(days=expiry_days)
        ids = await self.flow.open_ids(status=RegistrationStatus.RETURNED)
        abandoned = await self.writer(self._abandon_returned, ids, before, meta)
        self.relay.wake()
        return abandoned

    def _abandon_returned(self, ids: list[UUID], before: datetime, meta: CommandMeta) -> int:
        """Of these registrations (the view's returned ones), those returned and not
        resubmitted since `before` are closed by the system (abandoned) and release their
        claims, in one transaction; how many."""
        m = meta.as_dict()
        ended = [r for r in self.node.get_registrations(ids) if r.returned_before(before)]
        for registration in ended:
            registration.abandon(meta=m)
        if ended:
            self.node.save(*ended)
        return len(ended)

    async def retry_pending_authentications(self, meta: CommandMeta) -> dict:
        """REG-5: ask the population registry again for every authentication left pending
        (one request), and go on with each it answers. `pending`: those it still could not."""
        ids = await self.flow.open_ids(
            auth_status="pending", id_type=DocumentType.RESIDENT_ID.value
        )
        waiting = await self.writer(self._pending_authentications, ids)
        answers = []
        if waiting:
            queries = [(w["id_number"], w["name"], meta) for w in waiting]
            answers = await self.registry.authenticate_many(queries, meta)
        blocks = (await self.writer(self.node.settings)).switches().auth_failure_blocks
        counts = {"checked": len(waiting), "answered": 0, "refused": 0, "pending": 0}
        for item, answer in zip(waiting, answers, strict=True):
            if answer is None:
                counts["pending"] += 1
                continue
            outcome, reason = authentication_of(answer)
            summary = await self.writer(
                self._complete_authentication, UUID(item["id"]), outcome, reason, blocks, meta
            )
            counts["answered"] += 1
            counts["refused"] += summary["status"] == RegistrationStatus.REFUSED
        self.relay.wake()
        return counts

    def _pending_authentications(self, ids: list[UUID]) -> list[dict]:
        """Of these registrations (the view's candidates), the open ones whose resident ID
        the registry could not check yet."""
        return [
            {"id": str(r.id), "id_number": r.id_number, "name": r.name}
            for r in self.node.get_registrations(ids)
            if r.status in RegistrationStatus.OPEN
            and r.auth_status == "pending"
            and r.id_type == DocumentType.RESIDENT_ID.value
        ]

    def _complete_authentication(
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
        registration = self.node.get_registration(registration_id)
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
        self.node.save(*new)  # with dedup still deferred, the sweep numbers it later
        return registration.summary()

    def _after_authentication(self, registration: Registration, m: dict) -> list:
        if registration.auth_status == "failed":
            return self.flow.open_problem(registration, m)
        number = self.flow.issue_number(registration, "passed")  # ID-3: G replaces the temporary L
        if self.node.number_taken(number):
            return []
        registration.assign_number(student_number=number, meta=m)
        student_id = Student.create_id(registration.id)
        return [StudentNumberIndex(student_number=number, student_id=student_id)]
