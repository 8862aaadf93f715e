"""The workflow table's vocabulary and rows, and the shipped nationwide defaults (SYS-1).

The business list follows the seed's 业务流程配置 form [002 §22]: 41 province-local types
plus the two sides of the two hub flows (cross-province transfer, post-graduation
enrollment), 45 in all.
"""

from __future__ import annotations

import re
from enum import StrEnum
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from contracts.approval import StepLevel
from contracts.codes import SchoolType, Stage
from contracts.errors import ContractError

NATIONWIDE = "*"
_REGION = re.compile(r"[0-9]{6}")


class BusinessType(StrEnum):
    """A business whose approval chain is configurable; `label` is the seed's wording."""

    _label: str

    def __new__(cls, value: str, label: str) -> BusinessType:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label

    REGISTER_PRIMARY_RESIDENT = "register_primary_resident", "居民身份证小学新生注册"
    REGISTER_NON_PRIMARY_RESIDENT = "register_non_primary_resident", "居民身份证非小学新生注册"
    REGISTER_PRIMARY_HMT_FOREIGN = "register_primary_hmt_foreign", "港澳台和外籍小学新生注册"
    REGISTER_NON_PRIMARY_HMT_FOREIGN = (
        "register_non_primary_hmt_foreign",
        "港澳台和外籍非小学新生注册",
    )
    REGISTER_PRIMARY_NO_DOCUMENT = "register_primary_no_document", "无身份证件小学新生注册"
    REGISTER_NON_PRIMARY_NO_DOCUMENT = (
        "register_non_primary_no_document",
        "无身份证件非小学新生注册",
    )
    APPEAL = "appeal", "学籍申诉"
    KEY_DATA_CHANGE = "key_data_change", "学籍变更"
    RESTORE_ENROLLMENT = "restore_enrollment", "恢复入学资格"
    SUSPENSION = "suspension", "休学"
    RESUMPTION = "resumption", "复学"
    REPEAT = "repeat", "留级"
    SKIP = "skip", "跳级"
    EXPULSION = "expulsion", "开除"
    WITHDRAWAL = "withdrawal", "退学"
    DEATH = "death", "死亡"
    MISSING = "missing", "失踪"
    # Phase 2 renamed 出国/出国复学 to 出境/入境复学 (CHG-1); the seed form still shows the old.
    EXIT = "exit", "出境"
    RETURN = "return", "入境复学"
    TRANSFER_IN = "transfer_in", "省内转学"
    TRANSFER_OUT = "transfer_out", "省内转学（转出）"
    CROSS_PROVINCE_TRANSFER_IN = "cross_province_transfer_in", "跨省转学（转入）"
    CROSS_PROVINCE_TRANSFER_OUT = "cross_province_transfer_out", "跨省转学（转出）"
    POST_GRADUATION_ADMITTING = "post_graduation_admitting", "毕业后跨省就学（录取方）"
    POST_GRADUATION_GRADUATING = "post_graduation_graduating", "毕业后跨省就学（毕业方）"
    GRADUATION_PRIMARY = "graduation_primary", "小学毕业"
    COMPLETION_PRIMARY = "completion_primary", "小学结业"
    GRADUATION_JUNIOR = "graduation_junior", "初中毕业"
    COMPLETION_JUNIOR = "completion_junior", "初中结业"
    GRADUATION_SENIOR = "graduation_senior", "高中毕业"
    COMPLETION_SENIOR = "completion_senior", "高中结业"
    # The seed lists 肄业 once, not per stage; a stage-specific rule can still narrow it.
    INCOMPLETE = "incomplete", "肄业"
    # The seed form's 辍学 row: the one dropout business that climbs a chain is the return of
    # a dropped-out student 辍学返校 (DRP-4, [002 §12] 控辍保学返校审核).
    DROPOUT_RETURN = "dropout_return", "辍学"
    TO_VOCATIONAL = "to_vocational", "去中职就读"
    PROMOTION_TRANSFER = "promotion_transfer", "升级转学"
    ADMISSION_PRIMARY = "admission_primary", "小学招生录取"
    ADMISSION_JUNIOR = "admission_junior", "初中招生录取"
    ADMISSION_SENIOR = "admission_senior", "高中招生录取"
    PROBLEM_CHANGE = "problem_change", "问题学籍变更"
    PROBLEM_CHANGE_NO_DOCUMENT = "problem_change_no_document", "问题学籍变更（无身份证件号）"
    PROBLEM_CORROBORATE = "problem_corroborate", "问题学籍佐证"
    PROBLEM_DELETE = "problem_delete", "问题学籍删除"
    CROSS_PROVINCE_PROBLEM_CHANGE = "cross_province_problem_change", "跨省问题学籍变更"
    CROSS_PROVINCE_PROBLEM_CORROBORATE = (
        "cross_province_problem_corroborate",
        "跨省问题学籍佐证",
    )
    CROSS_PROVINCE_PROBLEM_DELETE = "cross_province_problem_delete", "跨省问题学籍删除"
    # REG-9: an approved student registered by mistake, deleted on the county's word [004 Q60]
    DELETION = "deletion", "误操作删除"
    # SYS-6: a bureau's bulk export of its records, approved up to the province [004 Q103]
    BULK_EXPORT = "bulk_export", "学籍数据批量导出"


#: Businesses whose chain may begin above the school (SYS-1 otherwise requires the school's
#: step first): the second side of a two-sided process, which starts when the first side's
#: chain is done, REG-9's deletion, which the school registrar asks for and the county
#: confirms without a school stamp [004 Q60], and DRP-4's return of a dropped-out student,
#: which the school applies for and the bureau approves (控辍保学返校审核 [002 §12]).
STARTS_ABOVE_SCHOOL = frozenset(
    {
        BusinessType.TRANSFER_OUT,
        BusinessType.CROSS_PROVINCE_TRANSFER_OUT,
        BusinessType.POST_GRADUATION_GRADUATING,
        BusinessType.DELETION,
        BusinessType.DROPOUT_RETURN,
        BusinessType.BULK_EXPORT,  # applied for by a bureau, never a school
    }
)


class ChainRule(BaseModel):
    """One row of the table; None school type or stage means "any"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_type: BusinessType
    school_type: SchoolType | None = None
    stage: Stage | None = None
    scope: str
    steps: tuple[StepLevel, ...]

    def __init__(self, **data: Any) -> None:
        # Callers (config API, stored config) expect the one boundary error type.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _contract_error(exc) from None

    @field_validator("steps", mode="before")
    @classmethod
    def _known_levels(cls, raw: Any) -> list[StepLevel]:
        if not isinstance(raw, list | tuple):
            raise ContractError("steps", "bad_chain", "审核环节须为列表")
        return [_level(item) for item in raw]

    @field_validator("steps")
    @classmethod
    def _climbing(cls, steps: tuple[StepLevel, ...]) -> tuple[StepLevel, ...]:
        ranks = [step.rank for step in steps]
        if not ranks or any(a >= b for a, b in pairwise(ranks)):
            raise ContractError(
                "steps",
                "bad_chain",
                "审核环节不能为空、不能重复，且须按学校→主管教育局→地市→省级→教育部排列",
            )
        return steps

    @model_validator(mode="after")
    def _starts_at_the_school(self) -> ChainRule:
        """SYS-1: a chain always starts at the school, except the side a process reaches only
        after another one's school has decided (PGE-1's graduating side [002 §19], the
        transfer-out sides of XPT-1 and CHG-4); and the ministry decides nothing in a
        province's table (its cross-province work is done on the hub)."""
        if StepLevel.MINISTRY in self.steps:
            raise ContractError(
                "steps", "bad_chain", "省内业务流程的审核环节最高到省级，教育部不参与"
            )
        if self.business_type not in STARTS_ABOVE_SCHOOL and self.steps[0] is not StepLevel.SCHOOL:
            raise ContractError(
                "steps",
                "must_start_at_school",
                f"{self.business_type.label}的审核流程须从学校开始（学校→主管教育局→…）",
            )
        return self

    @field_validator("scope")
    @classmethod
    def _region_or_nationwide(cls, scope: str) -> str:
        if scope != NATIONWIDE and (not _REGION.fullmatch(scope) or scope == "000000"):
            raise ContractError(
                "scope", "bad_scope", f"作用范围须为省、地市或区县的行政区划代码：{scope}"
            )
        return scope

    @property
    def key(self) -> tuple[BusinessType, SchoolType | None, Stage | None, str]:
        return self.business_type, self.school_type, self.stage, self.scope


def _level(item: Any) -> StepLevel:
    by_name = {level.value: level for level in StepLevel} | {lv.label: lv for lv in StepLevel}
    if isinstance(item, str) and item.strip() in by_name:
        return by_name[item.strip()]
    raise ContractError("steps", "unknown_level", f"未知的审核环节：{item}")


def _contract_error(exc: ValidationError) -> ContractError:
    first = exc.errors()[0]
    original = first.get("ctx", {}).get("error")
    if isinstance(original, ContractError):
        return original
    field = ".".join(str(part) for part in first["loc"]) or "rule"
    return ContractError(field, "bad_rule", f"业务流程规则的 {field} 不合法：{first['msg']}")


_LOCAL = (StepLevel.SCHOOL, StepLevel.SUPERVISING)  # the seed table's usual "<-主管教育局<-学校"
_TO_CITY = (*_LOCAL, StepLevel.CITY)
_UP_TO_PROVINCE = (*_TO_CITY, StepLevel.PROVINCE)

#: Chains whose default is not the plain school → supervising bureau, with the reason.
_SPECIAL: dict[BusinessType, tuple[StepLevel, ...]] = {
    # No-document students climb to the province [002 §1] (REG-6; seed table row).
    BusinessType.REGISTER_PRIMARY_NO_DOCUMENT: _UP_TO_PROVINCE,
    BusinessType.REGISTER_NON_PRIMARY_NO_DOCUMENT: _UP_TO_PROVINCE,
    # Fixing a problem record to "no document" follows the no-document registration
    # chain (KDC-3, [002 §6]).
    BusinessType.PROBLEM_CHANGE_NO_DOCUMENT: _UP_TO_PROVINCE,
    # The graduating side only has its bureau confirm; no school step (PGE-1, [002 §19]).
    BusinessType.POST_GRADUATION_GRADUATING: (StepLevel.SUPERVISING,),
    # Senior-high graduation is checked by the city too; provinces may add themselves
    # [004 Q89] (GRD-1).
    BusinessType.GRADUATION_SENIOR: _TO_CITY,
    # The school registrar asks, the county confirms (系统管理 → 误操作删除) [004 Q60].
    BusinessType.DELETION: (StepLevel.SUPERVISING,),
    # A dropped-out student's return: the school applies, its bureau approves [002 §12].
    BusinessType.DROPOUT_RETURN: (StepLevel.SUPERVISING,),
    # SYS-6: the province governs its data exports (教基一司函[2014]33号, [004 Q103]).
    BusinessType.BULK_EXPORT: (StepLevel.PROVINCE,),
}

#: One nationwide rule per business type. The hub flows (cross-province transfer and
#: post-graduation enrollment) run one chain per side, each resolved in its own province,
#: and the hub sequences the sides: in-side chain, then out-side chain (XPT-1, PGE-1).
#: In-province transfer does the same on the node (CHG-4).
DEFAULT_CHAIN_RULES: tuple[ChainRule, ...] = tuple(
    ChainRule(business_type=business, scope=NATIONWIDE, steps=_SPECIAL.get(business, _LOCAL))
    for business in BusinessType
)
