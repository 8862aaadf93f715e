"""The national identity index 全国学籍查重 (REG-5): one aggregate per dedup key."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:hub:identity")


class NationalIdentity(Aggregate):
    """Who holds an identity nationwide.

    A registration claims it (near-real-time dedup, request/reply); the province's
    `StudentRegistered` event, consumed from its stream, then confirms it. A claim by
    another registration is a conflict, answered with the holder's province.
    """

    @staticmethod
    def create_id(dedup_key: str) -> UUID:
        return uuid5(_NS, dedup_key)

    @event("Claimed")
    def __init__(
        self,
        dedup_key: str,
        province: str,
        registration_id: str,
        id_type: str,
        id_number: str | None,
        name: str,
        sex: str | None,
        birth_date: date | None,
        school_code: str,
        meta: dict,
    ) -> None:
        self.dedup_key = dedup_key
        self.province = province
        self.registration_id = registration_id
        self.id_type, self.id_number = id_type, id_number
        self.name, self.sex, self.birth_date = name, sex, birth_date
        self.school_code = school_code
        self.class_code: str | None = None
        self.student_number: str | None = None
        self.status = "claimed"
        self.duplicates: list[dict] = []
        #: PRB-2: when the holding record was registered (its province's time), or "".
        self.since = ""

    def is_held_by(self, registration_id: str) -> bool:
        return self.registration_id == registration_id

    def claimed_by(self, province: str, registration_id: str) -> bool:
        """Held by this registration of `province`, and no student holds it yet: only then may
        that province move the claim (REG-5: the registration ended or was never stored,
        which only the province knows) or release it (it ended without a student)."""
        return (
            self.status == "claimed"
            and self.province == province
            and self.is_held_by(registration_id)
        )

    @event("ClaimMoved")
    def move_claim(
        self, registration_id: str, replaces: str, school_code: str, name: str, meta: dict
    ) -> None:
        self.registration_id, self.school_code, self.name = registration_id, school_code, name

    @event("ClaimReleased")
    def release_claim(self, province: str, registration_id: str, reason: str, meta: dict) -> None:
        """REG-5/REG-9: the holding registration ended without a student (deleted, refused,
        abandoned); the next registration may claim the identity."""
        self.status = "released"

    @event("Released")
    def release(self, province: str, student_number: str, meta: dict) -> None:
        """REG-9: the holding record was deleted; the next registration may claim it."""
        self.status = "released"

    @event("Reclaimed")
    def reclaim(
        self, province: str, registration_id: str, school_code: str, name: str, meta: dict
    ) -> None:
        self.province, self.registration_id = province, registration_id
        self.school_code, self.name = school_code, name
        self.student_number, self.class_code = None, None
        self.status = "claimed"

    @event("Enrolled")
    def enroll(
        self,
        province: str,
        student_number: str,
        school_code: str,
        class_code: str,
        name: str,
        meta: dict,
        at: str | None = None,
    ) -> None:
        self.province, self.student_number = province, student_number
        self.school_code, self.class_code, self.name = school_code, class_code, name
        self.status = "enrolled"
        self.since = at or getattr(self, "since", "")

    @event("PersonCorrected")
    def correct(
        self, name: str, sex: str | None, birth_date: date | None, id_type: str,
        id_number: str | None, meta: dict,
    ) -> None:  # fmt: skip
        """KDC-3: the record's approved key data change, on the same dedup key."""
        self.name, self.sex, self.birth_date = name, sex, birth_date
        self.id_type, self.id_number = id_type, id_number

    #: ID-3: the numbers the student held before its present one (each still finds it).
    former_numbers: tuple[str, ...] | list[str] = ()

    @event("Renumbered")
    def renumber(self, province: str, old_number: str, new_number: str, reason: str,
                 meta: dict) -> None:  # fmt: skip
        """ID-3: the record's new national student number (the old one stays indexed)."""
        self.former_numbers = [*self.former_numbers, old_number]
        self.student_number = new_number

    @event("TransferredTo")
    def transfer_to(
        self, province: str, school_code: str, class_code: str, case_id: str, meta: dict
    ) -> None:
        """XPT-6: the record now lives in another province, under the same number."""
        self.province, self.school_code, self.class_code = province, school_code, class_code

    @event("DuplicateObserved")
    def observe_duplicate(
        self, province: str, student_number: str, registration_id: str, meta: dict,
        school_code: str | None = None, class_code: str | None = None,
    ) -> None:  # fmt: skip
        """A second record with this identity arrived without a claim (dedup was off):
        kept as evidence for the problem record (PRB-1) the hub or the node opens."""
        self.duplicates.append(
            {
                "province": province,
                "student_number": student_number,
                "registration_id": registration_id,
                "school_code": school_code,
                "class_code": class_code,
            }
        )

    def duplicate(self, student_number: str) -> dict | None:
        return next((d for d in self.duplicates if d["student_number"] == student_number), None)

    @event("DuplicateDropped")
    def drop_duplicate(self, student_number: str, why: str, meta: dict) -> None:
        """PRB-3: a duplicate record was deleted or changed away: no longer evidence."""
        self.duplicates = [d for d in self.duplicates if d["student_number"] != student_number]

    @event("HandedOver")
    def hand_over(self, student_number: str, deleted: str, meta: dict) -> None:
        """PRB-3: the holding record was deleted while a duplicate of it lives: the identity
        goes to that record (enrolled for it) instead of being released — one identity."""
        survivor = self.duplicate(student_number) or {}
        self.province = survivor.get("province", self.province)
        self.registration_id = survivor.get("registration_id", self.registration_id)
        self.student_number = student_number
        self.school_code = survivor.get("school_code") or self.school_code
        self.class_code = survivor.get("class_code")
        self.status = "enrolled"
        self.duplicates = [d for d in self.duplicates if d["student_number"] != student_number]

    def view(self) -> dict:
        return {
            "dedup_key": self.dedup_key,
            "province": self.province,
            "status": self.status,
            "student_number": self.student_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "id_type": self.id_type,
            "id_number": self.id_number,
            "school_code": self.school_code,
            "class_code": self.class_code,
            "duplicates": list(self.duplicates),
            "former_numbers": list(self.former_numbers),
            "last_change": self.modified_on.isoformat(),
        }


class StudentNumberEntry(Aggregate):
    """Finds an identity by national student number (QRY-4 looks up by either)."""

    @staticmethod
    def create_id(student_number: str) -> UUID:
        return uuid5(_NS, f"number:{student_number}")

    @event("Indexed")
    def __init__(self, student_number: str, identity_id: UUID) -> None:
        self.student_number = student_number
        self.identity_id = identity_id

    @event("Repointed")
    def repoint(self, identity_id: UUID) -> None:
        """KDC-3: the student's identity moved to a new dedup key; the number stays (ID-3)."""
        self.identity_id = identity_id


class RejectedMessage(Aggregate):
    """A province message the hub could not accept (malformed, unknown version, forged
    province). Recorded, never retried, so the stream moves on and nothing is silently lost."""

    @staticmethod
    def create_id(province: str, sequence: int) -> UUID:
        return uuid5(_NS, f"rejected:{province}:{sequence}")

    @event("Recorded")
    def __init__(
        self,
        province: str,
        sequence: int,
        subject: str,
        code: str,
        field: str,
        message: str,
        payload: str,
    ) -> None:
        self.province, self.sequence, self.subject = province, sequence, subject
        self.code, self.field, self.message, self.payload = code, field, message, payload


class DeadLetters(Aggregate):
    """BUS-6: how many province messages were dead-lettered, per province, and the latest
    few — what `/healthz` and the monitoring page show without reading the log."""

    KEEP = 50

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NS, "dead-letters")

    @event("Opened")
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.latest: list[dict] = []

    @event("Added")
    def add(self, province: str, sequence: int, subject: str, code: str, message: str) -> None:
        self.counts[province] = self.counts.get(province, 0) + 1
        entry = {"province": province, "sequence": sequence, "subject": subject, "code": code,
                 "message": message}  # fmt: skip
        self.latest = [entry, *self.latest][: self.KEEP]

    def view(self) -> dict:
        return {"total": sum(self.counts.values()), "by_province": dict(self.counts),
                "latest": list(self.latest)}  # fmt: skip

    @staticmethod
    def empty() -> dict:
        return {"total": 0, "by_province": {}, "latest": []}
