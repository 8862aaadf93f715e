"""Problem records 问题学籍 (PRB-1): opened when data arrives that breaks an identity rule.

Resolving them (change, delete, corroborate, arbitration: PRB-2…PRB-4) is a later issue;
this holds what was found, about whom, and why.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:province:problem")

#: PRB-1 types [004 Q61].
KINDS = {
    "duplicate_id": "身份证件号重复",
    "duplicate_name_sex_birth": "姓名、性别、出生日期重复",
    "invalid_id": "身份证件号无效（身份认证未通过）",
}


class ProblemRecord(Aggregate):
    @staticmethod
    def create_id(kind: str, student_number: str) -> UUID:
        return uuid5(_NS, f"{kind}:{student_number}")

    @event("Opened")
    def __init__(
        self, kind: str, student_number: str, school_code: str, reason: str, meta: dict
    ) -> None:
        self.kind, self.student_number, self.school_code = kind, student_number, school_code
        self.reason = reason
        self.status = "open"

    @event("Closed")
    def close(self, reason: str, meta: dict) -> None:
        self.status = "closed"
        self.closed_reason = reason

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "kind_name": KINDS[self.kind],
            "student_number": self.student_number,
            "school_code": self.school_code,
            "reason": self.reason,
            "status": self.status,
            "opened_at": self.created_on.isoformat(),
        }
