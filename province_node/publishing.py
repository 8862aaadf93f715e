"""What the node's outbox publishes (BUS-1, issue 12 item 9): one table from a stored event
type to the integration event it becomes. A type not in the table stays in the province;
`PUBLISHED_TOPICS` is the table's keys, so the relay and the table never disagree.

Each builder gets the stored event with what it needs around it (`Stored`) and answers the
subject and the message; `translate` adds the envelope's trace and makes the `Outgoing`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from contracts import subjects
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
from province_node.domain.dead_notices import DeadNotices
from province_node.domain.key_data_change import KeyDataChange
from province_node.domain.problem import Problem
from province_node.domain.registration import Registration
from province_node.domain.student import Student
from xueji.blobs import BlobStore
from xueji.logs import get_logger
from xueji.outbox import Outgoing

log = get_logger("province_node.publishing")


@dataclass(frozen=True)
class Stored:
    """A stored event on its way out: the node (`app`), the event, its command's meta, where
    it was stored (`source`), and the blob store (a transfer's archive carries the photo)."""

    app: Application
    event: object
    meta: CommandMeta
    source: EventSource
    blobs: BlobStore | None

    @property
    def envelope(self):
        return self.meta.envelope()

    def subject(self, aggregate: str, event: str) -> str:
        return subjects.province_event(self.app.province, aggregate, event)

    def student(self):
        """The student as this event left it."""
        event = self.event
        return self.app.repository.get(event.originator_id, version=event.originator_version)


Built = tuple[str, BaseModel]


def _registered(s: Stored) -> Built:
    e = s.event
    person = {f: getattr(e, f) for f in ("id_type", "id_number", "name", "sex", "birth_date")}
    return s.subject("student", "registered"), StudentRegistered(
        envelope=s.envelope, source=s.source, registration_id=e.registration_id,
        student_number=e.student_number, dedup_key=e.dedup_key, school_code=e.school_code,
        class_code=e.class_code, **person,
    )  # fmt: skip


def _deleted(s: Stored) -> Built:
    e = s.event
    return s.subject("student", "deleted"), StudentDeleted(
        envelope=s.envelope, source=s.source, student_number=e.student_number,
        dedup_key=e.dedup_key,
    )  # fmt: skip


def _transferred_out(s: Stored) -> Built:
    """XPT-6: the archive leaving this province (with the photo, ID-7)."""
    e = s.event
    archive = s.app.archive_of(e.originator_id, e.originator_version, _photo_reader(s.blobs))
    return s.subject("student", "transferred_out"), StudentTransferredOut(
        envelope=s.envelope, source=s.source, case_id=e.case_id,
        student_number=s.app.repository.get(e.originator_id).student_number,
        archive=archive.wire(),
    )  # fmt: skip


def _transferred_in(s: Stored) -> Built:
    e = s.event
    return s.subject("student", "transferred_in"), StudentTransferredIn(
        envelope=s.envelope, source=s.source, case_id=e.case_id,
        student_number=e.student_number, school_code=e.school_code, class_code=e.class_code,
    )  # fmt: skip


def _registration_released(s: Stored) -> Built:
    e = s.event
    return subjects.claim_released(s.app.province), IdentityReleased(
        envelope=s.envelope, source=s.source, registration_id=e.originator_id,
        dedup_key=e.dedup_key, reason=e.reason,
    )  # fmt: skip


def _key_data_change_released(s: Stored) -> Built:
    e = s.event  # the key data change that claimed the new key was withdrawn
    return subjects.claim_released(s.app.province), IdentityReleased(
        envelope=s.envelope, source=s.source, registration_id=e.registration_id,
        dedup_key=e.dedup_key, reason="withdrawn",
    )  # fmt: skip


def _key_data_changed(s: Stored) -> Built:
    e, student = s.event, s.student()
    fields = ("id_type", "id_number", "name", "sex", "birth_date", "school_code", "class_code")
    return s.subject("student", "key_data_changed"), StudentKeyDataChanged(
        envelope=s.envelope, source=s.source, registration_id=student.registration_id,
        student_number=student.student_number, old_dedup_key=e.old_dedup_key,
        dedup_key=e.dedup_key, **{f: getattr(student, f) for f in fields},
    )  # fmt: skip


def _renumbered(s: Stored) -> Built:
    e, student = s.event, s.student()
    return s.subject("student", "renumbered"), StudentRenumbered(
        envelope=s.envelope, source=s.source, registration_id=student.registration_id,
        old_number=e.old_number, new_number=e.new_number, dedup_key=student.dedup_key,
        reason=e.reason,
    )  # fmt: skip


def _problem_reported(s: Stored) -> Built:
    """PRB-4: this side of a problem group moved; the hub decides."""
    e = s.event
    return s.subject("problem", "side_reported"), ProblemSideReported(
        envelope=s.envelope, source=s.source, group_id=e.originator_id,
        student_number=e.student_number, action=e.action, stage=e.stage,
    )  # fmt: skip


def _notice_set_aside(s: Stored) -> Built:
    """BUS-4: a hub notice this node set aside, told back to the hub — which notice (its kind
    and case, when it can be read) and why."""
    e = s.event
    kind, case_id = None, None
    try:
        notice = json.loads(e.payload)
        kind = str(notice.get("notice") or notice.get("kind"))[:40]
        case_id = UUID(str(notice["case_id"])) if notice.get("case_id") else None
    except (ValueError, AttributeError, TypeError):
        pass  # not a notice one can read: its subject and reason say enough
    return s.subject("notice", "set_aside"), NoticeSetAside(
        envelope=s.envelope, source=s.source, subject=e.subject[:200], notice=kind,
        case_id=case_id, code=e.code[:60], message=e.message[:500], deliveries=e.deliveries,
    )  # fmt: skip


#: Stored event type → its integration event. Everything else stays in the province.
TRANSLATIONS: dict[type, Callable[[Stored], Built]] = {
    Student.Registered: _registered,
    Student.Deleted: _deleted,
    Student.TransferredOut: _transferred_out,
    Student.TransferredIn: _transferred_in,
    Registration.ClaimReleased: _registration_released,
    Student.KeyDataChanged: _key_data_changed,
    KeyDataChange.ClaimReleased: _key_data_change_released,
    Student.Renumbered: _renumbered,
    Problem.Reported: _problem_reported,
    DeadNotices.SetAside: _notice_set_aside,
}
PUBLISHED_TOPICS = [get_topic(cls) for cls in TRANSLATIONS]


def translate(
    app: Application, notification: Notification, blobs: BlobStore | None = None
) -> Outgoing:
    """The integration event for a stored event of `PUBLISHED_TOPICS`."""
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
    subject, message = TRANSLATIONS[type(event)](Stored(app, event, meta, source, blobs))
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
