"""Where a cross-province case places the student (XPT-9, PGE-1): pure rules.

Until graduation (GRD-1) exists a student's grade is the one their class holds (see
`contracts.codes.class_grade`). A transfer keeps the stage — or takes the stage the grade
maps to across 6-3 / 5-4 — and a primary graduate goes on to junior; only post-graduation
enrollment goes from junior to senior.
"""

from __future__ import annotations

from contracts.codes import (
    ClassCode,
    SchoolSystem,
    Stage,
    StudentStatus,
    national_grade,
    stage_grade,
)
from contracts.errors import DomainError


def _placement(flow: str, student: dict, school_system: str) -> tuple[set[Stage], int | None]:
    """The stages the receiving school may place the student in, and the grade the
    student maps to there (None: PGE, where junior 9 → senior 1 is the point)."""
    system, stage = SchoolSystem(school_system), Stage(student["stage"])
    if flow == "enrollment":
        return {Stage.SENIOR}, None
    if student["status"] == StudentStatus.GRADUATED.value:
        if stage is not Stage.PRIMARY:  # junior graduates go on by PGE, not by a transfer
            return set(), None
        return {Stage.JUNIOR}, national_grade(Stage.JUNIOR, 1, system)
    grade = student["national_grade"]
    # The same stage, or the one the grade maps to in the receiving system (6-3 / 5-4).
    return {stage, stage_grade(grade, system)[0]}, grade


def check_placement(flow: str, student: dict, target_class_code: str, school_system: str) -> None:
    """A case keeps the student's stage unless the rules move it (XPT-9, PGE-1)."""
    stages, _ = _placement(flow, student, school_system)
    if not stages:
        raise DomainError("初中毕业生到外省就读高中，请办理毕业后跨省就学", code="not_eligible")
    target = ClassCode.parse(target_class_code, field="target_class_code").stage
    if target not in stages:
        allowed = "、".join(s.label for s in sorted(stages))
        raise DomainError(
            f"该学生只能转入{allowed}班级，不能转入{target.label}班级",
            code="stage_mismatch",
            field="target_class_code",
        )


def grade_changed(flow: str, student: dict, target_grade: int, school_system: str) -> bool:
    """XPT-9: the receiving side placed the student in another grade than the mapped one."""
    _, mapped = _placement(flow, student, school_system)
    return mapped is not None and target_grade != mapped
