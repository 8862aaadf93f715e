"""毕业升级 (GRD-1…GRD-3): graduation on the approval engine, its rollback, and who graduates.

A graduation is one application by the school for a batch of students of one stage (a class,
several classes, or picked students); it climbs the SYS-1 chain of its business type
(毕业/结业 per stage, 肄业) and, once approved, graduates each of them. Students of a
graduating grade graduate, and so do past years' students whose class has run out but whose
status is not a graduate one — except the statuses the seed names (休学、出国、开除、退学、失踪、
死亡) [002 §13]. A graduated student may be rolled back 毕业退回 by the supervising bureau within
six months, later only by the province (GRD-2).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from contracts.codes import ClassCode, SchoolSystem, Stage, StudentStatus, stage_length
from contracts.errors import ContractError, DomainError, Forbidden
from province_node.domain.approval import Approval
from province_node.domain.workflow_defaults import BusinessType as B

_NS = uuid5(NAMESPACE_URL, "xueji:province:graduation")
#: GRD-2: the supervising bureau rolls a graduation back within this many months.
ROLLBACK_MONTHS = 6
GRADUATED_STATUSES = frozenset(
    {StudentStatus.GRADUATED, StudentStatus.COMPLETED, StudentStatus.INCOMPLETE}
)


class GraduationKind(StrEnum):
    """毕业 / 结业 / 肄业, as the API names them."""

    GRADUATE = "graduate"
    COMPLETION = "completion"
    INCOMPLETE = "incomplete"

    @property
    def status(self) -> StudentStatus:
        return {
            GraduationKind.GRADUATE: StudentStatus.GRADUATED,
            GraduationKind.COMPLETION: StudentStatus.COMPLETED,
            GraduationKind.INCOMPLETE: StudentStatus.INCOMPLETE,
        }[self]

    def business(self, stage: Stage) -> B:
        """The SYS-1 row this graduation climbs (肄业 has one row for every stage)."""
        if self is GraduationKind.INCOMPLETE:
            return B.INCOMPLETE
        graduate = self is GraduationKind.GRADUATE
        return {
            Stage.PRIMARY: B.GRADUATION_PRIMARY if graduate else B.COMPLETION_PRIMARY,
            Stage.JUNIOR: B.GRADUATION_JUNIOR if graduate else B.COMPLETION_JUNIOR,
            Stage.SENIOR: B.GRADUATION_SENIOR if graduate else B.COMPLETION_SENIOR,
        }[stage]


def parse_kind(raw: str | None) -> GraduationKind:
    try:
        return GraduationKind(raw or "graduate")
    except ValueError:
        allowed = "、".join(k.value for k in GraduationKind)
        raise ContractError("kind", "unknown_kind", f"毕业类型应为 {allowed} 之一：{raw}") from None


def check_graduating_class(class_code: str, system: str, school_year: int) -> Stage:
    """GRD-1: a class graduates in its stage's last grade, or later (past years' students).

    Returns the class's stage; a class not yet in its last grade is refused, naming it."""
    code = ClassCode.parse(class_code)
    last = stage_length(code.stage, SchoolSystem(system))
    if code.grade_in(school_year) < last:
        raise DomainError(
            f"班级 {class_code}（{code.grade_name}）本学年不是毕业年级，不能办理毕业",
            code="not_graduating_grade",
        )
    return code.stage


def rollback_deadline(graduated_on: date) -> date:
    """The last day the supervising bureau may roll the graduation back (GRD-2)."""
    month = graduated_on.month - 1 + ROLLBACK_MONTHS
    year, month = graduated_on.year + month // 12, month % 12 + 1
    for day in (graduated_on.day, 30, 29, 28):  # the same day, or the month's last
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def check_rollback(graduation: dict, today: date, unit_code: str, supervising_unit: str,
                   province_unit: str) -> None:  # fmt: skip
    """GRD-2: within six months by the supervising bureau, later only by the province."""
    graduated_on = date.fromisoformat(graduation["date"])
    if unit_code == province_unit:
        return
    if today > rollback_deadline(graduated_on):
        raise Forbidden(
            f"毕业已超过半年（{graduated_on.isoformat()}毕业），须由省级学籍管理员办理退回",
            code="rollback_by_province",
        )
    if unit_code != supervising_unit:
        raise Forbidden("只有学校的主管教育部门可以办理毕业退回", code="outside_jurisdiction")


class Graduation(Approval):
    """One graduation application: `students` ({id, student_number, name, class_code}) of one
    school and stage, graduating as `kind` on `graduation_date` once the chain approves."""

    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "已毕业",
        "rejected": "已驳回",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该毕业申请已办结，不能再审核"
    NOT_YOUR_STEP = "该毕业申请当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        kind: str,
        stage: str,
        school_code: str,
        graduation_date: str,
        students: list[dict],
        chain: list[dict],
        at: str,
        meta: dict,
    ) -> None:
        self.kind, self.stage, self.school_code = kind, stage, school_code
        self.graduation_date, self.students = graduation_date, list(students)
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)

    @property
    def title(self) -> str:
        label = GraduationKind(self.kind).status.value
        return f"{Stage(self.stage).label}{label}：{len(self.students)}名学生"

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "kind_label": GraduationKind(self.kind).status.value,
            "stage": self.stage,
            "school_code": self.school_code,
            "graduation_date": self.graduation_date,
            "students": self.students,
            "count": len(self.students),
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            **self.process_view(),
        }
