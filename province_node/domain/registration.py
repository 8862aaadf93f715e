"""A registration 学籍注册 (REG): submitted, checked nationally, then a student or refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:province:registration")


@dataclass(frozen=True)
class NationalChecks:
    """What the hub's dedup and the population registry said about a registration (REG-5)."""

    holder_province: str | None = None  # set: the identity is held elsewhere (dedup failed)
    holder_student_number: str | None = None
    auth: str = "not_applicable"  # passed | failed | pending | not_applicable
    auth_reason: str | None = None
    auth_failure_blocks: bool = False  # the province switch (SYS-3)

    @property
    def refused_by_authentication(self) -> bool:
        return self.auth == "failed" and self.auth_failure_blocks


class RegistrationStatus:
    SUBMITTED = "submitted"
    REFUSED = "refused"  # closed by the system: national dedup failed (REG-5)
    REGISTERED = "registered"


class Registration(Aggregate):
    """Idempotent by command id: the same command always lands on the same registration."""

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, command_id)

    @event("Submitted")
    def __init__(
        self,
        command_id: str,
        province: str,
        entry: str,
        id_type: str,
        id_number: str | None,
        name: str,
        sex: str,
        birth_date: date,
        ethnicity: str | None,
        school_code: str,
        class_code: str,
        guardians: list[dict],
        dedup_key: str,
        meta: dict,
    ) -> None:
        self.command_id = command_id
        self.province = province
        self.entry = entry
        self.id_type = id_type
        self.id_number = id_number
        self.name = name
        self.sex = sex
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.school_code = school_code
        self.class_code = class_code
        self.guardians = list(guardians)
        self.dedup_key = dedup_key
        self.status = RegistrationStatus.SUBMITTED
        self.dedup_status = "pending"
        self.auth_status = "pending"
        self.auth_reason: str | None = None
        self.student_number: str | None = None
        self.holder_province: str | None = None
        self.problem_record_id: UUID | None = None

    @event("DedupRefused")
    def refuse_duplicate(
        self, holder_province: str, holder_student_number: str | None, meta: dict
    ) -> None:
        self.dedup_status = "conflict"
        self.holder_province = holder_province
        self.status = RegistrationStatus.REFUSED

    @event("Authenticated")
    def record_authentication(self, outcome: str, reason: str | None, meta: dict) -> None:
        """REG-5: `passed`, `failed`, `pending` (registry unreachable) or `not_applicable`."""
        self.auth_status = outcome
        self.auth_reason = reason

    @event("RefusedByAuthentication")
    def refuse_unauthenticated(self, meta: dict) -> None:
        """REG-5 with the province switch `auth_failure_blocks` on: closed by the system."""
        self.status = RegistrationStatus.REFUSED

    @event("ProblemRecordOpened")
    def note_problem_record(self, problem_record_id: UUID, meta: dict) -> None:
        self.problem_record_id = problem_record_id

    @event("DedupPassed")
    def pass_dedup(self, meta: dict) -> None:
        self.dedup_status = "passed"

    @event("StudentCreated")
    def create_student(self, student_number: str, meta: dict) -> None:
        self.student_number = student_number
        self.status = RegistrationStatus.REGISTERED

    def summary(self) -> dict:
        return {
            "id": str(self.id),
            "status": self.status,
            "dedup_status": self.dedup_status,
            "auth_status": self.auth_status,
            "student_number": self.student_number,
            "holder_province": self.holder_province,
            "school_code": self.school_code,
            "name": self.name,
            "id_type": self.id_type,
            "id_number": self.id_number,
            "auth_reason": self.auth_reason,
            "problem_record_id": str(self.problem_record_id) if self.problem_record_id else None,
        }
