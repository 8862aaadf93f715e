"""The node's side of the bus: asking the hub (request/reply) and what the outbox publishes."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from contracts import subjects
from contracts.commands import AuthenticateIdentity, ClaimIdentity
from contracts.events import (
    EventSource,
    StudentDeleted,
    StudentRegistered,
    StudentTransferredIn,
    StudentTransferredOut,
)
from contracts.meta import CommandMeta
from contracts.replies import IdentityAuthentication, IdentityClaimReply
from province_node.domain.student import Student
from xueji.bus import Bus, BusUnavailable
from xueji.logs import get_logger
from xueji.outbox import Outgoing

log = get_logger("province_node.messaging")

#: Stored event types the outbox publishes; everything else stays in the province.
PUBLISHED_TOPICS = [
    get_topic(Student.Registered),
    get_topic(Student.Deleted),
    get_topic(Student.TransferredOut),
    get_topic(Student.TransferredIn),
]


class HubClient:
    """Commands the node sends to the hub and waits for."""

    def __init__(self, bus: Bus, province: str, timeout: float) -> None:
        self.bus, self.province, self.timeout = bus, province, timeout

    async def claim_identity(
        self, registration_id: str, identity: dict, meta: CommandMeta
    ) -> IdentityClaimReply:
        """REG-5 dedup: `identity` holds dedup_key, id_type, id_number, name, sex, birth_date
        and school_code (a form's `person()` plus its key, or a stored registration's)."""
        fields = ("dedup_key", "id_type", "id_number", "name", "sex", "birth_date", "school_code")
        command = ClaimIdentity(
            envelope=meta.envelope(),
            province=self.province,
            registration_id=registration_id,
            **{f: identity[f] for f in fields},
        )
        return await self.bus.ask(
            subjects.HUB_IDENTITY_CLAIM, command, IdentityClaimReply, self.timeout
        )


class RegistryClient:
    """The population registry (REG-5 authentication); None when it cannot be reached."""

    def __init__(self, bus: Bus, timeout: float) -> None:
        self.bus, self.timeout = bus, timeout

    async def authenticate(
        self, id_number: str, name: str, meta: CommandMeta
    ) -> IdentityAuthentication | None:
        query = AuthenticateIdentity(envelope=meta.envelope(), id_number=id_number, name=name)
        try:
            return await self.bus.ask(
                subjects.POP_AUTHENTICATE, query, IdentityAuthentication, self.timeout
            )
        except BusUnavailable:
            log.warning("population_registry_unavailable")
            return None


def translate(app: Application, notification: Notification) -> Outgoing:
    """The integration event for a stored `Student.Registered` or `Student.Deleted`."""
    event = app.mapper.to_domain_event(notification)
    meta = CommandMeta.from_dict(event.meta)
    source = EventSource(
        province=app.province,
        application=app.name,
        notification_id=notification.id,
        aggregate_id=event.originator_id,
        aggregate_version=event.originator_version,
        occurred_at=event.timestamp,
    )
    if isinstance(event, Student.TransferredOut | Student.TransferredIn):
        return _case_event(app, event, meta, source)
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
    app: Application, event: object, meta: CommandMeta, source: EventSource
) -> Outgoing:
    """XPT-6: the archive leaving this province, or the student arriving in it."""
    if isinstance(event, Student.TransferredOut):
        message = StudentTransferredOut(
            envelope=meta.envelope(),
            source=source,
            case_id=event.case_id,
            student_number=app.repository.get(event.originator_id).student_number,
            archive=app.archive_of(event.originator_id, event.originator_version),
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
