"""The hub's eventsourcing Application: national dedup and the provinces' event streams.

It is an `EventSourcedProjection`: each province event is applied with its tracking
record (`prov_<code>`, the stream sequence) in the same transaction as the hub's own new
events, so a redelivery is recognised and nothing is applied twice (DESIGN §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Literal
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import JSONTranscoder, Tracking
from eventsourcing.projection import EventSourcedProjection

from contracts.errors import ContractError
from contracts.events import (
    IdentityReleased,
    StudentDeleted,
    StudentKeyDataChanged,
    StudentRegistered,
    StudentTransferredIn,
    StudentTransferredOut,
    decode_event,
)
from contracts.meta import CommandMeta
from hub.calendar import CalendarUseCases
from hub.cases import CaseUseCases
from hub.domain.case import CrossProvinceCase
from hub.domain.identity import NationalIdentity, RejectedMessage, StudentNumberEntry
from hub.identities import IdentityUseCases
from xueji.chain import seen
from xueji.faults import fault_point
from xueji.store import DateAsISO

Outcome = Literal["applied", "duplicate", "gap", "rejected"]


@dataclass(frozen=True)
class Rejection:
    """A province message that could not be accepted, to be recorded in its place."""

    province: str
    sequence: int
    subject: str
    error: ContractError
    payload: bytes


class NationalHub(IdentityUseCases, CaseUseCases, CalendarUseCases, EventSourcedProjection[UUID]):
    name = "hub"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._touched: list[CrossProvinceCase] = []
        self.load_calendar()  # SYS-2: before any deadline is computed
        self.rebuild_board()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- province streams ------------------------------------------------------------------

    def apply_province_message(
        self, province: str, sequence: int, subject: str, data: bytes
    ) -> Outcome:
        """Applies message `sequence` of stream `PROV_<province>` exactly once, in order."""
        leader = f"prov_{province}"
        tracked = self.recorder.max_tracking_id(leader)
        if tracked is not None and sequence <= tracked:
            return "duplicate"
        if tracked is not None and sequence != tracked + 1:
            return "gap"
        tracking = Tracking(application_name=leader, notification_id=sequence)
        try:
            message = decode_event(data)
            if message.source.province != province:
                raise ContractError(
                    "source.province",
                    "forged_province",
                    f"消息声称来自 {message.source.province}，实际来自 {province}",
                )
        except ContractError as error:
            self.process_event(Rejection(province, sequence, subject, error, data), tracking)
            return "rejected"
        self._touched = []
        # AUD-4: the province's chain head is recorded with the tracking record.
        source = message.source
        self.process_event(message, seen(tracking, source.notification_id, source.chain_hash))
        fault_point("hub.applied." + subject.split(".", 3)[-1])  # e.g. student.transferred_out
        for case in self._touched:  # committed: the read model may show it now
            self.board.put(case)
        return "applied"

    def position(self, province: str) -> int:
        return self.recorder.max_tracking_id(f"prov_{province}") or 0

    @singledispatchmethod
    def policy(self, domain_event: object, processing_event: ProcessingEvent) -> None:
        """Integration events the hub does not need are tracked and otherwise ignored."""

    @policy.register(StudentRegistered)
    def _(self, event: StudentRegistered, processing_event: ProcessingEvent) -> None:
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        identity = self._identity(event.dedup_key)
        if identity is None:  # registered while instant dedup was off: index it now
            identity = NationalIdentity(
                dedup_key=event.dedup_key,
                province=event.source.province,
                registration_id=str(event.registration_id),
                id_type=event.id_type,
                id_number=event.id_number,
                name=event.name,
                sex=event.sex,
                birth_date=event.birth_date,
                school_code=event.school_code,
                meta=meta,
            )
        if identity.student_number == event.student_number:
            return  # the same event published again after the stream's duplicate window
        if identity.is_held_by(str(event.registration_id)):
            identity.enroll(
                province=event.source.province,
                student_number=event.student_number,
                school_code=event.school_code,
                class_code=event.class_code,
                name=event.name,
                meta=meta,
            )
            entry = StudentNumberEntry(student_number=event.student_number, identity_id=identity.id)
            processing_event.collect_events(identity, entry)
        else:
            identity.observe_duplicate(
                province=event.source.province,
                student_number=event.student_number,
                registration_id=str(event.registration_id),
                meta=meta,
            )
            processing_event.collect_events(identity)

    @policy.register(StudentDeleted)
    def _(self, event: StudentDeleted, processing_event: ProcessingEvent) -> None:
        identity = self._identity(event.dedup_key)
        if identity is None or identity.student_number != event.student_number:
            return  # not the record that holds the identity: nothing to free
        identity.release(
            province=event.source.province,
            student_number=event.student_number,
            meta=CommandMeta.from_envelope(event.envelope).as_dict(),
        )
        processing_event.collect_events(identity)

    @policy.register(StudentKeyDataChanged)
    def _(self, event: StudentKeyDataChanged, processing_event: ProcessingEvent) -> None:
        """KDC-3: the identity follows the record. Same key: its fields are corrected. New
        key: the new identity (claimed when the change was applied) takes the student and
        the number, and the old one is released — both in this one transaction."""
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        person = {"name": event.name, "sex": event.sex, "birth_date": event.birth_date}
        person |= {"id_type": event.id_type, "id_number": event.id_number}
        old = self._identity(event.old_dedup_key)
        holds = old is not None and old.student_number == event.student_number
        if event.dedup_key == event.old_dedup_key:
            if holds:
                old.correct(**person, meta=meta)
                processing_event.collect_events(old)
            return
        new = self._moved_identity(event, person, meta)
        if new is None:
            return  # applied already (redelivered)
        if new.student_number != event.student_number:  # held by another record
            processing_event.collect_events(new)  # PRB-1 evidence; the old key stays held
            return
        changed: list = [new, self._repointed_number(event.student_number, new.id)]
        if holds:
            old.release(province=event.source.province, student_number=event.student_number,
                        meta=meta)  # fmt: skip
            changed.append(old)
        processing_event.collect_events(*changed)

    def _moved_identity(
        self, event: StudentKeyDataChanged, person: dict, meta: dict
    ) -> NationalIdentity | None:
        """The identity under the new key, enrolled for the student if its claim is the
        record's; None if that happened already."""
        province, registration_id = event.source.province, str(event.registration_id)
        new = self._identity(event.dedup_key)
        if new is not None and new.student_number == event.student_number:
            return None
        if new is None:  # claimed while the hub was unreachable, or instant dedup was off
            new = NationalIdentity(
                dedup_key=event.dedup_key,
                province=province,
                registration_id=registration_id,
                school_code=event.school_code,
                meta=meta,
                **person,
            )
        elif new.status == "released":
            new.reclaim(
                province=province,
                registration_id=registration_id,
                school_code=event.school_code,
                name=event.name,
                meta=meta,
            )
            new.correct(**person, meta=meta)
        elif new.is_held_by(registration_id):
            new.correct(**person, meta=meta)
        if not new.is_held_by(registration_id):
            new.observe_duplicate(
                province=province,
                student_number=event.student_number,
                registration_id=registration_id,
                meta=meta,
            )
            return new
        new.enroll(
            province=province,
            student_number=event.student_number,
            school_code=event.school_code,
            class_code=event.class_code,
            name=event.name,
            meta=meta,
        )
        return new

    def _repointed_number(self, student_number: str, identity_id: UUID) -> StudentNumberEntry:
        entry = self._number_entry(student_number)
        if entry is None:
            return StudentNumberEntry(student_number=student_number, identity_id=identity_id)
        entry.repoint(identity_id=identity_id)
        return entry

    @policy.register(IdentityReleased)
    def _(self, event: IdentityReleased, processing_event: ProcessingEvent) -> None:
        """REG-5/REG-9: exactly once, and only the claim this registration still holds."""
        identity = self._identity(event.dedup_key)
        registration_id = str(event.registration_id)
        if identity is None or not identity.claimed_by(event.source.province, registration_id):
            return  # never claimed, released already, moved on, or a student holds it
        identity.release_claim(
            province=event.source.province,
            registration_id=registration_id,
            reason=event.reason,
            meta=CommandMeta.from_envelope(event.envelope).as_dict(),
        )
        processing_event.collect_events(identity)

    @policy.register(StudentTransferredOut)
    def _(self, event: StudentTransferredOut, processing_event: ProcessingEvent) -> None:
        """XPT-6: the archive arrived from the out side; the hub hands it to the in side."""
        case = self._case(event.case_id)
        if case.archive is not None or case.out_side["province"] != event.source.province:
            return  # a repeat, or not the province that holds the record
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        case.receive_archive(archive=event.archive, at=event.source.occurred_at, meta=meta)
        processing_event.collect_events(case)
        self._touched.append(case)

    @policy.register(StudentTransferredIn)
    def _(self, event: StudentTransferredIn, processing_event: ProcessingEvent) -> None:
        """XPT-6: the student exists in the new province: the case is done, the index moves."""
        case = self._case(event.case_id)
        if case.status != "approved" or case.in_side["province"] != event.source.province:
            return
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        case.complete(at=event.source.occurred_at, meta=meta)
        identity = self._by_number(event.student_number)
        if identity is not None:
            identity.transfer_to(
                province=event.source.province,
                school_code=event.school_code,
                class_code=event.class_code,
                case_id=str(case.id),
                meta=meta,
            )
            processing_event.collect_events(identity)
        processing_event.collect_events(case)
        self._touched.append(case)

    @policy.register(Rejection)
    def _(self, rejection: Rejection, processing_event: ProcessingEvent) -> None:
        error = rejection.error
        processing_event.collect_events(
            RejectedMessage(
                province=rejection.province,
                sequence=rejection.sequence,
                subject=rejection.subject,
                code=error.code,
                field=error.field,
                message=error.message,
                payload=rejection.payload[:4096].decode(errors="replace"),
            )
        )
