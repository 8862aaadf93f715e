"""Past-tense integration events a province publishes (stream `PROV_<prov>`)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, ValidationError

from contracts.envelope import ContractModel, Envelope, decode
from contracts.errors import ContractError
from contracts.problems import ProblemAction


class EventSource(ContractModel):
    """Where an integration event was stored: the node's application and log position."""

    province: str = Field(pattern=r"^\d{2}$")
    application: str
    notification_id: int = Field(ge=1)
    aggregate_id: UUID
    aggregate_version: int = Field(ge=1)
    occurred_at: datetime
    #: AUD-4: the node's chain hash at this notification (hex sha256); the hub records the
    #: latest per province. Optional: messages from before the chain still decode.
    chain_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class StudentRegistered(ContractModel):
    """A student record was created at a province node (REG-5: enters the national index)."""

    kind: Literal["StudentRegistered"] = "StudentRegistered"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    registration_id: UUID
    student_number: str = Field(min_length=19, max_length=19)
    dedup_key: str
    id_type: str = Field(pattern=r"^[16789AZ]$")
    id_number: str | None = None
    name: str
    sex: str | None = Field(default=None, pattern=r"^[12]$")
    birth_date: date | None = None
    school_code: str
    class_code: str


class StudentDeleted(ContractModel):
    """REG-9: a wrongly registered student was deleted; the identity is free again."""

    kind: Literal["StudentDeleted"] = "StudentDeleted"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    student_number: str = Field(min_length=19, max_length=19)
    dedup_key: str


class IdentityReleased(ContractModel):
    """REG-5/REG-9: a registration ended without a student (deleted before its report,
    refused once its pending authentication failed, abandoned after its return): the national
    claim it holds, if it still holds it, is free. Applied once by the hub."""

    kind: Literal["IdentityReleased"] = "IdentityReleased"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    registration_id: UUID
    dedup_key: str
    reason: Literal["deleted", "refused", "abandoned", "withdrawn"]


#: ID-7: a photo is under 60 KB, so its base64 is at most this long.
_PHOTO_BASE64_MAX = 4 * -(-60 * 1024 // 3)


class ArchivePhoto(ContractModel):
    """ID-7: the student's photo travelling with a cross-province archive (XPT-6, PGE): the
    JPEG in base64 and its sha256. The receiving node checks it again with the photo rule
    before storing it; an archive without one (older nodes, a student without a photo) is
    fine."""

    kind: Literal["ArchivePhoto"] = "ArchivePhoto"
    version: Literal[1] = 1
    jpeg_base64: str = Field(min_length=4, max_length=_PHOTO_BASE64_MAX)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @classmethod
    def of(cls, data: bytes) -> ArchivePhoto:
        return cls(
            jpeg_base64=base64.b64encode(data).decode("ascii"),
            sha256=hashlib.sha256(data).hexdigest(),
        )

    def content(self) -> bytes:
        """The JPEG's bytes; refused when the base64 is broken or the hash does not match."""
        try:
            data = base64.b64decode(self.jpeg_base64, validate=True)
        except ValueError:
            raise ContractError("archive.photo", "malformed", "档案照片不是合法的 base64") from None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ContractError("archive.photo", "photo_mismatch", "档案照片与其校验值不符")
        return data


class StudentArchive(ContractModel):
    """XPT-6 / PGE: the record leaving a province, as `StudentTransferredOut.archive` and the
    hub's `archive_delivered` notice carry it (on the wire a plain object the hub keeps as it
    came; each node builds and reads it with this model). `problems` (PRB-6) and `photo`
    (ID-7) are optional: archives from before them still decode."""

    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    record: dict
    history: list[dict]
    problems: list[dict] = Field(default_factory=list)
    photo: ArchivePhoto | None = None

    @classmethod
    def parse(cls, data: dict | None) -> StudentArchive:
        """An archive from the wire; any problem is a ContractError naming the field."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(["archive", *(str(p) for p in first["loc"])])
            raise ContractError(field, "malformed", f"档案字段 {field} 不合法") from None

    def wire(self) -> dict:
        """The plain object for the wire (no `photo` key when there is none)."""
        return self.model_dump(mode="json", exclude={"photo"} if self.photo is None else None)


class StudentTransferredOut(ContractModel):
    """XPT-6: the out-province node exported the full record for a case and marked the
    student transferred out; `archive` is a `StudentArchive`: every field, the guardians,
    the history, open problems and the photo."""

    kind: Literal["StudentTransferredOut"] = "StudentTransferredOut"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    case_id: UUID
    student_number: str = Field(min_length=19, max_length=19)
    archive: dict


class StudentTransferredIn(ContractModel):
    """XPT-6: the in-province node created the student from the archive: the case is done."""

    kind: Literal["StudentTransferredIn"] = "StudentTransferredIn"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    case_id: UUID
    student_number: str = Field(min_length=19, max_length=19)
    school_code: str
    class_code: str


class StudentKeyDataChanged(ContractModel):
    """KDC-3: an approved key data change; the identity's fields as they now are. When the
    dedup key changed, the hub moves the identity: the new key (claimed when the change was
    applied) takes the student, the old one is released — never both held, never neither."""

    kind: Literal["StudentKeyDataChanged"] = "StudentKeyDataChanged"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    registration_id: UUID
    student_number: str = Field(min_length=19, max_length=19)
    old_dedup_key: str
    dedup_key: str
    id_type: str = Field(pattern=r"^[16789AZ]$")
    id_number: str | None = None
    name: str
    sex: str | None = Field(default=None, pattern=r"^[12]$")
    birth_date: date | None = None
    school_code: str
    class_code: str


class StudentRenumbered(ContractModel):
    """ID-3: a record's national student number changed (`L` → `G` once authenticated, `J` →
    `G` once a resident ID passed, a `G` turned HK/foreign → a new `L`). The hub's identity
    under `dedup_key` takes the new number; the old one still finds it (QRY-4)."""

    kind: Literal["StudentRenumbered"] = "StudentRenumbered"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    registration_id: UUID
    old_number: str = Field(min_length=19, max_length=19)
    new_number: str = Field(min_length=19, max_length=19)
    dedup_key: str
    reason: str


class ProblemSideReported(ContractModel):
    """PRB-4: what this province's side of a cross-province problem group did — its action
    went into approval (`started`), came back (`withdrawn`), or took effect (`acted`). The hub
    applies it to the group only if the record is the sending province's own."""

    kind: Literal["ProblemSideReported"] = "ProblemSideReported"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    group_id: UUID
    student_number: str = Field(min_length=19, max_length=19)
    action: ProblemAction
    stage: Literal["started", "withdrawn", "acted"]


class NoticeSetAside(ContractModel):
    """BUS-4 (issue 17 item 6): a hub notice this province could not apply — refused by the
    contract or its rules, or given up after its retries — and set aside in its own log; told
    back so the hub lists it with its dead letters (`/healthz`, the monitoring page)."""

    kind: Literal["NoticeSetAside"] = "NoticeSetAside"
    version: Literal[1] = 1
    envelope: Envelope
    source: EventSource
    subject: str = Field(max_length=200)  # the notice's subject on HUB_OUT
    notice: str | None = Field(default=None, max_length=40)  # its kind, when it could be read
    case_id: UUID | None = None
    code: str = Field(max_length=60)
    message: str = Field(max_length=500)
    deliveries: int = Field(ge=1)


#: Every integration event, by its `kind`.
INTEGRATION_EVENTS: dict[str, type[ContractModel]] = {
    "StudentRegistered": StudentRegistered,
    "StudentDeleted": StudentDeleted,
    "StudentTransferredOut": StudentTransferredOut,
    "StudentTransferredIn": StudentTransferredIn,
    "IdentityReleased": IdentityReleased,
    "StudentKeyDataChanged": StudentKeyDataChanged,
    "StudentRenumbered": StudentRenumbered,
    "ProblemSideReported": ProblemSideReported,
    "NoticeSetAside": NoticeSetAside,
}


def decode_event(data: bytes) -> ContractModel:
    """Parses any integration event by its `kind`; unknown kinds and fields are refused."""
    try:
        kind = json.loads(data).get("kind")
    except (ValueError, AttributeError):
        raise ContractError("message", "malformed", "消息不是合法的 JSON 对象") from None
    model = INTEGRATION_EVENTS.get(kind)
    if model is None:
        raise ContractError("kind", "unknown_kind", f"未知的事件类型 {kind!r}")
    return decode(model, data)


class DeadLetter(ContractModel):
    """BUS-6: a province message the hub recorded instead of applying — malformed, forged, or
    refused by its rules, or given up after its retries — with the reason, on `DEAD_LETTERS`."""

    kind: Literal["DeadLetter"] = "DeadLetter"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    sequence: int = Field(ge=1)
    subject: str
    code: str
    field: str
    message: str
    payload: str = Field(max_length=4096)
