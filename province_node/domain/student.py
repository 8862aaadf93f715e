"""The student record (学籍) and the index from student number to record."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import StudentStatus

_NS = uuid5(NAMESPACE_URL, "xueji:province:student")


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
