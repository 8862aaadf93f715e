"""学籍异动 and 省内转学 (SPEC §6, CHG-1…CHG-5): one application type on the approval engine.

A school registrar applies for a status change of its own student (休学, 复学, 去中职就读, 出境,
入境复学, 退学, 开除, 死亡, 失踪, 留级, 跳级), or — for an in-province transfer — for a student
of another school of the province to join it. The application freezes its chain from the SYS-1
table, climbs it on the engine (`Approval`), and when the last step approves, its effect,
fixed when it was applied (`after`: status, school, class), is made on the record. A
rejection ends it ([002 §7]: 审核不通过的，业务结束，申请驳回); the school may apply again.

What each type may start from and what status it leaves is the student's transition table
(`student_status.TRANSITIONS`); where its class goes is `PLACEMENT` below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from contracts.approval import Step, StepLevel
from contracts.codes import ClassCode, SchoolSystem, Stage, class_grade, school_year_of
from contracts.errors import ContractError, DomainError
from province_node.domain.approval import Approval
from province_node.domain.student_status import check_may_start, status_after
from province_node.domain.workflow_defaults import BusinessType as B

_NS = uuid5(NAMESPACE_URL, "xueji:province:application")


class ChangeType(StrEnum):
    """The application types of `POST /api/v1/applications` (API names)."""

    SUSPENSION = "suspension"
    RESUMPTION = "resumption"
    TO_VOCATIONAL = "to_vocational"
    EXIT = "exit"
    RETURN_FROM_ABROAD = "return_from_abroad"
    WITHDRAWAL = "withdrawal"
    EXPULSION = "expulsion"
    DEATH = "death"
    MISSING = "missing"
    REPEAT_GRADE = "repeat_grade"
    SKIP_GRADE = "skip_grade"
    TRANSFER = "transfer"  # 省内转学 (CHG-4): the transfer-in school applies

    @property
    def business(self) -> B:
        return BUSINESS[self]

    @property
    def label(self) -> str:
        return "省内转学" if self is ChangeType.TRANSFER else self.business.label


#: The SYS-1 business each type's chain is configured under (the transfer's in side; its out
#: side is `B.TRANSFER_OUT`).
BUSINESS: dict[ChangeType, B] = {
    ChangeType.SUSPENSION: B.SUSPENSION,
    ChangeType.RESUMPTION: B.RESUMPTION,
    ChangeType.TO_VOCATIONAL: B.TO_VOCATIONAL,
    ChangeType.EXIT: B.EXIT,
    ChangeType.RETURN_FROM_ABROAD: B.RETURN,
    ChangeType.WITHDRAWAL: B.WITHDRAWAL,
    ChangeType.EXPULSION: B.EXPULSION,
    ChangeType.DEATH: B.DEATH,
    ChangeType.MISSING: B.MISSING,
    ChangeType.REPEAT_GRADE: B.REPEAT,
    ChangeType.SKIP_GRADE: B.SKIP,
    ChangeType.TRANSFER: B.TRANSFER_IN,
}


def parse_type(raw: str) -> ChangeType:
    try:
        return ChangeType(raw)
    except ValueError:
        known = (
            "、".join(f"{t.value}（{t.label}）" for t in ChangeType)
            + "、key_data_change（关键数据变更）"
        )
        raise ContractError(
            "type", "unknown_type", f"未知的异动类型：{raw}；可选：{known}"
        ) from None


class Placement(StrEnum):
    """Where a type puts the student's class (grades are national, 1–12)."""

    SAME_GRADE = "same_grade"  # 省内转学: a class of the student's grade at the new school
    RESUME = "resume"  # 复学: the grade the suspension began in, or one the class reached since
    ANY_GRADE = "any_grade"  # 入境复学: any grade [004 Q82]
    DOWN_ONE = "down_one"  # 留级
    UP_ONE = "up_one"  # 跳级


PLACEMENT: dict[ChangeType, Placement] = {
    ChangeType.TRANSFER: Placement.SAME_GRADE,
    ChangeType.RESUMPTION: Placement.RESUME,
    ChangeType.RETURN_FROM_ABROAD: Placement.ANY_GRADE,
    ChangeType.REPEAT_GRADE: Placement.DOWN_ONE,
    ChangeType.SKIP_GRADE: Placement.UP_ONE,
}

#: Types a stage cannot have, with the reason and its source.
REFUSED_FOR_STAGE: dict[ChangeType, tuple[frozenset[Stage], str]] = {
    ChangeType.EXPULSION: (
        frozenset({Stage.PRIMARY, Stage.JUNIOR}),
        "义务教育阶段学生不能开除（《中小学生学籍管理办法》，教基一〔2013〕7号：义务教育阶段学校不得开除学生）",
    ),
    ChangeType.TO_VOCATIONAL: (
        frozenset({Stage.PRIMARY}),
        "小学生不能办理去中职就读（中等职业学校招收初中阶段以上学生）",
    ),
}


@dataclass(frozen=True)
class Where:
    """A student's place: status, school, class and the national grade it gives today."""

    status: str
    school_code: str
    class_code: str
    grade: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def grade_of(class_code: str, school_system: str, today: date, field: str = "class_code") -> int:
    """The national grade a class's students are in today (ID-5, XPT-9)."""
    code = ClassCode.parse(class_code, field)
    try:
        return class_grade(code, school_year_of(today), SchoolSystem(school_system))
    except ContractError:
        raise ContractError(
            field, "class_not_started", f"班级 {class_code} 本学年尚未开班"
        ) from None


def plan(
    kind: ChangeType,
    before: Where,
    stage: Stage,
    target_school: str,
    target_class: str | None,
    target_grade: int | None,
    suspended_grade: int | None,
) -> Where:
    """CHG-1: whether this type may be applied for this record now, and where it leaves it.

    `target_grade` is the national grade of `target_class` (at `target_school`) today;
    `suspended_grade` the grade a suspension began in (复学 shows it and places by it).
    """
    refused = REFUSED_FOR_STAGE.get(kind)
    if refused is not None and stage in refused[0]:
        raise DomainError(refused[1], code="not_allowed_for_stage", field="type")
    if kind is ChangeType.TRANSFER and before.status == "休学":
        # [003 §三.2]: 休学 students resume at their old school first.
        raise DomainError("休学学生须在原学校办理复学后才能转学", code="not_eligible")
    check_may_start(kind.business, before.status)
    placement = PLACEMENT.get(kind)
    if placement is None:
        if target_class:
            raise ContractError(
                "target_class_code", "no_class_for_type", f"{kind.label}不需要选择班级"
            )
        return replace(before, status=status_after(kind.business, before.status))
    if not target_class or target_grade is None:
        raise ContractError("target_class_code", "class_required", f"{kind.label}须选择班级")
    _check_grade(placement, before.grade, target_grade, suspended_grade)
    if placement is not Placement.SAME_GRADE and target_class == before.class_code:
        raise ContractError("target_class_code", "same_class", "请选择另一个年级的班级")
    status = status_after(kind.business, before.status)
    return Where(status, target_school, target_class, target_grade)


def _check_grade(
    placement: Placement, grade: int | None, target: int, suspended: int | None
) -> None:
    def refuse(message: str) -> None:
        raise ContractError("target_class_code", "wrong_grade", message)

    if placement is Placement.ANY_GRADE or grade is None:
        return
    if placement is Placement.SAME_GRADE and target != grade:
        refuse(f"转入班级须为学生所在年级（{grade}年级），所选班级为{target}年级")
    if placement is Placement.DOWN_ONE and target != grade - 1:
        refuse(f"留级须转入低一个年级（{grade - 1}年级）的班级，所选班级为{target}年级")
    if placement is Placement.UP_ONE and target != grade + 1:
        refuse(f"跳级须转入高一个年级（{grade + 1}年级）的班级，所选班级为{target}年级")
    if placement is Placement.RESUME:
        lowest = suspended if suspended is not None else grade
        if not lowest <= target <= max(grade, lowest):
            span = f"{lowest}年级" if lowest >= grade else f"{lowest}至{grade}年级"
            refuse(f"复学须进入休学时所在年级或之后的年级（{span}），所选班级为{target}年级")


def transfer_chain(in_side: list[dict], out_side: list[dict]) -> list[dict]:
    """CHG-4: the in-school's chain, then the out-school's; a bureau on both (both schools in
    one county) decides once, after both schools agreed."""
    later = {s["unit_code"] for s in out_side if s["level"] != StepLevel.SCHOOL.value}
    return [s for s in in_side if s["unit_code"] not in later] + list(out_side)


def province_step(province: str, name: str) -> dict:
    """CHG-5: where an escalated application goes."""
    step = Step(level=StepLevel.PROVINCE, unit_code=f"{province}0000", unit_name=name)
    return step.model_dump(mode="json")


class StudentApplication(Approval):
    """One application: a status change, or an in-province transfer (`type == "transfer"`).

    `school_code` is the applying school (the transfer-in school for a transfer);
    `before` and `after` are the record's place when applied and once approved.
    """

    #: the statuses as the screens and exports say them
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "已生效",
        "rejected": "已驳回",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该申请已办结，不能再审核"
    NOT_YOUR_STEP = "该申请当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        type: str,
        student_id: str,
        student_number: str,
        student_name: str,
        school_code: str,
        change_date: str,
        reason: str,
        note: str | None,
        proof: dict | None,
        before: dict,
        after: dict,
        suspension: dict | None,
        chain: list[dict],
        at: str,
        meta: dict,
    ) -> None:
        self.type, self.student_id, self.student_number = type, student_id, student_number
        self.student_name, self.school_code = student_name, school_code
        self.change_date, self.reason, self.note, self.proof = change_date, reason, note, proof
        self.before, self.after, self.suspension = before, after, suspension
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)

    @property
    def kind(self) -> ChangeType:
        return ChangeType(self.type)

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "type": self.type,
            "type_label": self.kind.label,
            "student_number": self.student_number,
            "student_name": self.student_name,
            "school_code": self.school_code,
            "from_school_code": self.before["school_code"],
            "date": self.change_date,
            "reason": self.reason,
            "note": self.note,
            "proof": self.proof,
            "before": self.before,
            "after": self.after,
            "suspension": self.suspension,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            **self.process_view(),
        }
