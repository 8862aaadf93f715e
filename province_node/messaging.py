"""The node's side of the bus: asking the hub (request/reply) and what the outbox publishes."""

from __future__ import annotations

import json
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from contracts import subjects
from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.events import (
    EventSource,
    IdentityReleased,
    NoticeSetAside,
    ProblemSideReported,
    StudentDeleted,
    StudentKeyDataChanged,
    StudentRegistered,
    StudentRenumbered,
    StudentTransferredIn,
    StudentTransferredOut,
)
from contracts.meta import CommandMeta
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from province_node.domain.dead_notices import DeadNotices
from province_node.domain.key_data_change import KeyDataChange
from province_node.domain.problem import Problem
from province_node.domain.registration import Registration
from province_node.domain.student import Student
from xueji.blobs import BlobStore
from xueji.bus import Bus
from xueji.logs import get_logger
from xueji.outbox import Outgoing

log = get_logger("province_node.messaging")

#: Stored event types the outbox publishes; everything else stays in the province.
PUBLISHED_TOPICS = [
    get_topic(Student.Registered),
    get_topic(Student.Deleted),
    get_topic(Student.TransferredOut),
    get_topic(Student.TransferredIn),
    get_topic(Registration.ClaimReleased),
    get_topic(Student.KeyDataChanged),
    get_topic(KeyDataChange.ClaimReleased),
    get_topic(Student.Renumbered),
    get_topic(Problem.Reported),
    get_topic(DeadNotices.SetAside),
]


class HubClient:
    """Commands the node sends to the hub and waits for."""

    def __init__(self, bus: Bus, province: str, timeout: float) -> None:
        self.bus, self.province, self.timeout = bus, province, timeout

    async def claim_identity(
        self,
        registration_id: str,
        identity: dict,
        meta: CommandMeta,
        replaces: str | None = None,
    ) -> IdentityClaimReply:
        """REG-5 dedup: `identity` holds dedup_key, id_type, id_number, name, sex, birth_date
        and school_code (a form's `person()` plus its key, or a stored registration's);
        `replaces`: this province's registration whose claim moves here (see ClaimIdentity)."""
        command = self._claim(registration_id, identity, meta, replaces)
        subject = subjects.hub_rpc(self.province, subjects.HUB_IDENTITY_CLAIM)
        return await self.bus.ask(subject, command, IdentityClaimReply, self.timeout)

    async def claim_identities(
        self, claims: list[tuple[str, dict, CommandMeta]], meta: CommandMeta
    ) -> list[IdentityClaimReply]:
        """The same for an import chunk, one request: (registration_id, identity, row meta)
        per row; the answers in the same order."""
        command = ClaimIdentities(
            envelope=meta.envelope(), items=[self._claim(*claim) for claim in claims]
        )
        subject = subjects.hub_rpc(self.province, subjects.HUB_IDENTITY_CLAIM_BATCH)
        reply = await self.bus.ask(subject, command, IdentityClaimsReply, self.timeout)
        return reply.replies

    def _claim(
        self, registration_id: str, identity: dict, meta: CommandMeta, replaces: str | None = None
    ) -> ClaimIdentity:
        fields = ("dedup_key", "id_type", "id_number", "name", "sex", "birth_date", "school_code")
        return ClaimIdentity(
            envelope=meta.envelope(),
            province=self.province,
            registration_id=registration_id,
            replaces=replaces,
            **{f: identity[f] for f in fields},
        )


def translate(
    app: Application, notification: Notification, blobs: BlobStore | None = None
) -> Outgoing:
    """The integration event for a stored event of `PUBLISHED_TOPICS`; `blobs` (the node's
    blob store) lets a transfer's archive carry the student's photo (ID-7)."""
    event = app.mapper.to_domain_event(notification)
    meta = CommandMeta.from_dict(event.meta)
    source = EventSource(
        province=app.province,
        application=app.name,
        notification_id=notification.id,
        aggregate_id=event.originator_id,
        aggregate_version=event.originator_version,
        occurred_at=event.timestamp,
        chain_hash=getattr(notification, "chain_hash", None),  # AUD-4, see xueji/chain.py
    )
    if isinstance(event, Student.TransferredOut | Student.TransferredIn):
        return _case_event(app, event, meta, source, blobs)
    if isinstance(event, DeadNotices.SetAside):  # BUS-4: told back to the hub
        return _set_aside(app, event, meta, source)
    if isinstance(event, Problem.Reported):  # PRB-4: this side moved, the hub decides
        reported = ProblemSideReported(
            envelope=meta.envelope(),
            source=source,
            group_id=event.originator_id,
            student_number=event.student_number,
            action=event.action,
            stage=event.stage,
        )
        subject = subjects.province_event(app.province, "problem", "side_reported")
        return Outgoing(subject=subject, message=reported, traceparent=meta.traceparent)
    if isinstance(event, Registration.ClaimReleased):
        released = IdentityReleased(
            envelope=meta.envelope(),
            source=source,
            registration_id=event.originator_id,
            dedup_key=event.dedup_key,
            reason=event.reason,
        )
        subject = subjects.claim_released(app.province)
        return Outgoing(subject=subject, message=released, traceparent=meta.traceparent)
    if isinstance(event, KeyDataChange.ClaimReleased):
        released = IdentityReleased(
            envelope=meta.envelope(),
            source=source,
            registration_id=event.registration_id,
            dedup_key=event.dedup_key,
            reason="withdrawn",  # the key data change that claimed it was withdrawn
        )
        subject = subjects.claim_released(app.province)
        return Outgoing(subject=subject, message=released, traceparent=meta.traceparent)
    if isinstance(event, Student.KeyDataChanged):
        student = app.repository.get(event.originator_id, version=event.originator_version)
        changed = StudentKeyDataChanged(
            envelope=meta.envelope(),
            source=source,
            registration_id=student.registration_id,
            student_number=student.student_number,
            old_dedup_key=event.old_dedup_key,
            dedup_key=event.dedup_key,
            id_type=student.id_type,
            id_number=student.id_number,
            name=student.name,
            sex=student.sex,
            birth_date=student.birth_date,
            school_code=student.school_code,
            class_code=student.class_code,
        )
        subject = subjects.province_event(app.province, "student", "key_data_changed")
        return Outgoing(subject=subject, message=changed, traceparent=meta.traceparent)
    if isinstance(event, Student.Renumbered):
        student = app.repository.get(event.originator_id, version=event.originator_version)
        renumbered = StudentRenumbered(
            envelope=meta.envelope(),
            source=source,
            registration_id=student.registration_id,
            old_number=event.old_number,
            new_number=event.new_number,
            dedup_key=student.dedup_key,
            reason=event.reason,
        )
        subject = subjects.province_event(app.province, "student", "renumbered")
        return Outgoing(subject=subject, message=renumbered, traceparent=meta.traceparent)
    if isinstance(event, Student.Deleted):
        deleted = StudentDeleted(
            envelope=meta.envelope(),
            source=source,
            student_number=event.student_number,
            dedup_key=event.dedup_key,
        )
        subject = subjects.province_event(app.province, "student", "deleted")
        return Outgoing(subject=subject, message=deleted, traceparent=meta.traceparent)
    message = StudentRegistered(
        envelope=meta.envelope(),
        source=source,
        registration_id=event.registration_id,
        student_number=event.student_number,
        dedup_key=event.dedup_key,
        id_type=event.id_type,
        id_number=event.id_number,
        name=event.name,
        sex=event.sex,
        birth_date=event.birth_date,
        school_code=event.school_code,
        class_code=event.class_code,
    )
    subject = subjects.province_event(app.province, "student", "registered")
    return Outgoing(subject=subject, message=message, traceparent=meta.traceparent)


def _case_event(
    app: Application,
    event: object,
    meta: CommandMeta,
    source: EventSource,
    blobs: BlobStore | None,
) -> Outgoing:
    """XPT-6: the archive leaving this province, or the student arriving in it."""
    if isinstance(event, Student.TransferredOut):
        message = StudentTransferredOut(
            envelope=meta.envelope(),
            source=source,
            case_id=event.case_id,
            student_number=app.repository.get(event.originator_id).student_number,
            archive=app.archive_of(
                event.originator_id, event.originator_version, _photo_reader(blobs)
            ).wire(),
        )
        subject = subjects.province_event(app.province, "student", "transferred_out")
    else:
        message = StudentTransferredIn(
            envelope=meta.envelope(),
            source=source,
            case_id=event.case_id,
            student_number=event.student_number,
            school_code=event.school_code,
            class_code=event.class_code,
        )
        subject = subjects.province_event(app.province, "student", "transferred_in")
    return Outgoing(subject=subject, message=message, traceparent=meta.traceparent)


def _photo_reader(blobs: BlobStore | None):
    """ID-7: reads the photo for the archive; a blob that cannot be read leaves the photo
    out (logged) rather than holding the archive, and every event after it, in the outbox."""
    if blobs is None:
        return None

    def read(digest: str) -> bytes | None:
        try:
            return blobs.get(digest)
        except Exception:  # noqa: BLE001 - missing file, a key the ring lost
            log.exception("archive_photo_unreadable", blob=digest)
            return None

    return read


def _set_aside(app: Application, event, meta: CommandMeta, source: EventSource) -> Outgoing:
    """`NoticeSetAside`: which notice (its kind and case, when it can be read) and why."""
    kind, case_id = None, None
    try:
        notice = json.loads(event.payload)
        kind = str(notice.get("notice") or notice.get("kind"))[:40]
        case_id = UUID(str(notice["case_id"])) if notice.get("case_id") else None
    except (ValueError, AttributeError, TypeError):
        pass  # not a notice one can read: its subject and reason say enough
    told = NoticeSetAside(
        envelope=meta.envelope(),
        source=source,
        subject=event.subject[:200],
        notice=kind,
        case_id=case_id,
        code=event.code[:60],
        message=event.message[:500],
        deliveries=event.deliveries,
    )
    subject = subjects.province_event(app.province, "notice", "set_aside")
    return Outgoing(subject=subject, message=told, traceparent=meta.traceparent)
