"""The student record (学籍) and the index from student number to record."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import StudentStatus
from contracts.errors import DomainError, Forbidden

_NS = uuid5(NAMESPACE_URL, "xueji:province:student")
DELETED = "已删除"  # REG-9: removed after the bureau confirmed a mistaken registration


class Student(Aggregate):
    """One student's record. Born from a registration whose national dedup passed."""

    @staticmethod
    def create_id(registration_id: UUID) -> UUID:
        return uuid5(_NS, str(registration_id))

    @event("Registered")
    def __init__(
        self,
        registration_id: UUID,
        student_number: str,
        dedup_key: str,
        id_type: str,
        id_number: str | None,
        name: str,
        sex: str,
        birth_date: date,
        ethnicity: str | None,
        school_code: str,
        class_code: str,
        guardians: list[dict],
        auth_status: str,
        meta: dict,
    ) -> None:
        self.registration_id = registration_id
        self.student_number = student_number
        self.dedup_key = dedup_key
        self.id_type = id_type
        self.id_number = id_number
        self.name = name
        self.sex = sex
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.school_code = school_code
        self.class_code = class_code
        self.guardians = list(guardians)
        self.auth_status = auth_status
        self.status = StudentStatus.ENROLLED.value
        self.deletion_reason: str | None = None

    # --- REG-9: "apply for deletion" (误操作删除) → the supervising bureau confirms -------------

    def check_deletion_request(self, school_code: str) -> None:
        if school_code != self.school_code:
            raise Forbidden("只能为本校学生申请删除", code="outside_jurisdiction")
        if self.student_number[0] in "GJ":
            raise DomainError("已获得正式学籍号的学生不能删除", code="formal_number")
        if self.status != StudentStatus.ENROLLED.value or self.deletion_reason is not None:
            raise DomainError("该学生当前不能申请删除", code="business_in_flight")

    @event("DeletionRequested")
    def request_deletion(self, reason: str, meta: dict) -> None:
        self.deletion_reason = reason

    def decide_deletion(self, approve: bool, opinion: str | None, meta: dict) -> None:
        if approve:
            self._deleted(
                student_number=self.student_number,
                dedup_key=self.dedup_key,
                opinion=opinion,
                meta=meta,
            )
        else:
            self._deletion_refused(opinion=opinion, meta=meta)

    @event("Deleted")
    def _deleted(
        self, student_number: str, dedup_key: str, opinion: str | None, meta: dict
    ) -> None:
        """Carries the number and identity key: the hub frees the identity (published)."""
        self.status = DELETED

    @event("DeletionRefused")
    def _deletion_refused(self, opinion: str | None, meta: dict) -> None:
        self.deletion_reason = None

    def record(self) -> dict:
        return {
            "id": str(self.id),
            "student_number": self.student_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "id_type": self.id_type,
            "id_number": self.id_number,
            "ethnicity": self.ethnicity,
            "school_code": self.school_code,
            "class_code": self.class_code,
            "status": self.status,
            "auth_status": self.auth_status,
            "guardians": self.guardians,
            "registration_id": str(self.registration_id),
            "version": self.version,
            "deletion_requested": self.deletion_reason is not None and self.status != DELETED,
        }


class StudentNumberIndex(Aggregate):
    """Points a student number at its record (a G/J number never changes, ID-3)."""

    @staticmethod
    def create_id(student_number: str) -> UUID:
        return uuid5(_NS, f"number:{student_number}")

    @event("Assigned")
    def __init__(self, student_number: str, student_id: UUID) -> None:
        self.student_number = student_number
        self.student_id = student_id
