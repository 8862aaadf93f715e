"""What the admitting school's registrar fills in to start a cross-province case (XPT-2,
PGE-1): checked here once, for the JSON API and the console form alike."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import ContractError

#: Required fields and what the refusal says next to each.
_REQUIRED = (
    ("student_name", "请输入学生姓名"),
    ("student_number", "请输入全国学籍号"),
    ("target_class_code", "请选择转入班级"),
    ("reason", "请填写申请理由"),
)
MAX_REASON = 500


@dataclass(frozen=True)
class CaseApplication:
    student_name: str
    student_number: str
    target_class_code: str
    reason: str
    #: Years of schooling 1–12 (XPT-9); None: the target class's grade.
    target_grade: int | None = None
    #: The uploaded proof material, if any (JPG/PNG ≤ 2 MB, checked when it is stored).
    proof: bytes | None = None

    def __post_init__(self) -> None:
        for field, message in _REQUIRED:
            if not getattr(self, field).strip():
                raise ContractError(field, "required", message)
        if len(self.reason) > MAX_REASON:
            raise ContractError("reason", "too_long", f"申请理由不能超过{MAX_REASON}个字符")
        if len(self.student_number.strip()) != 19:  # which student: the hub looks it up
            raise ContractError("student_number", "bad_number", "全国学籍号应为19位")

    def fields(self) -> dict[str, str]:
        """The application as the hub's `InitiateCase` carries it."""
        return {
            "student_name": self.student_name.strip(),
            "student_number": self.student_number.strip().upper(),
            "target_class_code": self.target_class_code,
            "reason": self.reason.strip(),
        }
