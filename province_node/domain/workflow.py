"""Approval chains per business type × school type × stage × region (SYS-1 业务流程配置).

A `WorkflowTable` picks the most specific `ChainRule` for a case and resolves its levels to
concrete units of the org tree. An application stores the result as a `FrozenChain` when it
is created, so later edits of the table never change a case in flight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from contracts.approval import Step
from contracts.codes import Level, SchoolType, Stage
from contracts.errors import ContractError, NotFound
from contracts.org import OrgTree, Unit
from province_node.domain.workflow_defaults import (
    DEFAULT_CHAIN_RULES,
    NATIONWIDE,
    BusinessType,
    ChainRule,
    StepLevel,
)

_PROVINCE = re.compile(r"([0-9]{2})(0000)?")
_FROZEN = ConfigDict(frozen=True, extra="forbid")


#: One step of a case: the level and the unit that decides it (the engine's `Step`).
ResolvedStep = Step


class FrozenChain(BaseModel):
    """The chain a case keeps for life, with the rule it came from (SYS-1)."""

    model_config = _FROZEN

    business_type: BusinessType
    scope: str
    school_type: SchoolType | None
    stage: Stage | None
    steps: tuple[ResolvedStep, ...] = Field(min_length=1)


class WorkflowTable:
    """The rules in the order they were added; `default()` is the shipped table."""

    def __init__(self, rules: Iterable[ChainRule]) -> None:
        self._rules = tuple(rules)

    @classmethod
    def default(cls) -> WorkflowTable:
        return cls(DEFAULT_CHAIN_RULES)

    @property
    def rules(self) -> tuple[ChainRule, ...]:
        return self._rules

    def with_rule(self, rule: ChainRule, province: str) -> WorkflowTable:
        """A province edits only inside itself; the edit replaces a rule with the same key."""
        prefix = _province_prefix(province)
        if rule.scope == NATIONWIDE or not rule.scope.startswith(prefix):
            raise ContractError(
                "scope", "outside_jurisdiction", f"只能配置本省范围内的业务流程：{rule.scope}"
            )
        return WorkflowTable([*(r for r in self._rules if r.key != rule.key), rule])

    def rule_for(
        self,
        business_type: BusinessType,
        school_type: SchoolType,
        stage: Stage,
        school_region_chain: list[str],
    ) -> ChainRule:
        """The most specific matching rule: scope, then school type, then stage, then latest."""
        best: tuple[tuple[int, bool, bool, int], ChainRule] | None = None
        for index, rule in enumerate(self._rules):
            if not _matches(rule, business_type, school_type, stage, school_region_chain):
                continue
            rank = (_scope_rank(rule.scope, school_region_chain), rule.school_type is not None)
            key = (*rank, rule.stage is not None, index)
            if best is None or key > best[0]:
                best = (key, rule)
        if best is None:
            raise NotFound(f"{business_type.label}没有适用的审核流程", field="business_type")
        return best[1]

    def chain_for(
        self,
        business_type: BusinessType,
        school_type: SchoolType,
        stage: Stage,
        school_region_chain: list[str],
    ) -> list[StepLevel]:
        return list(self.rule_for(business_type, school_type, stage, school_region_chain).steps)

    def resolve(self, chain: list[StepLevel], school_code: str, org: OrgTree) -> list[ResolvedStep]:
        """Levels → units; a unit never decides twice in a row (city-supervised schools)."""
        school, supervising = _school_and_supervisor(school_code, org)
        resolved: list[ResolvedStep] = []
        for level in chain:
            unit = _unit_for(level, school, supervising, org)
            if not resolved or resolved[-1].unit_code != unit.code:
                resolved.append(ResolvedStep(level=level, unit_code=unit.code, unit_name=unit.name))
        return resolved

    def chain_for_school(
        self,
        business_type: BusinessType,
        school_code: str,
        school_type: SchoolType,
        stage: Stage,
        org: OrgTree,
    ) -> list[ResolvedStep]:
        return list(self.freeze(business_type, school_code, school_type, stage, org).steps)

    def freeze(
        self,
        business_type: BusinessType,
        school_code: str,
        school_type: SchoolType,
        stage: Stage,
        org: OrgTree,
    ) -> FrozenChain:
        """The chain to store on an application at creation."""
        regions = school_region_chain(school_code, org)
        rule = self.rule_for(business_type, school_type, stage, regions)
        steps = self.resolve(list(rule.steps), school_code, org)
        return FrozenChain(
            business_type=rule.business_type,
            scope=rule.scope,
            school_type=rule.school_type,
            stage=rule.stage,
            steps=tuple(steps),
        )


def school_region_chain(school_code: str, org: OrgTree) -> list[str]:
    """Region codes of the school's supervising bureau and its superiors, nearest first."""
    _, supervising = _school_and_supervisor(school_code, org)
    bureaus = [supervising, *org.ancestors(supervising.code)]
    return [u.code for u in bureaus if u.level in (Level.COUNTY, Level.CITY, Level.PROVINCE)]


def _matches(
    rule: ChainRule,
    business: BusinessType,
    school_type: SchoolType,
    stage: Stage,
    regions: list[str],
) -> bool:
    return (
        rule.business_type == business
        and rule.school_type in (None, school_type)
        and rule.stage in (None, stage)
        and (rule.scope == NATIONWIDE or rule.scope in regions)
    )


def _scope_rank(scope: str, regions: list[str]) -> int:
    # The nearer the scope's bureau to the school, the more specific; nationwide is last.
    return 0 if scope == NATIONWIDE else len(regions) - regions.index(scope)


def _province_prefix(province: str) -> str:
    match = _PROVINCE.fullmatch(province)
    if match is None:
        raise ContractError("province", "bad_province", f"省份代码不合法：{province}")
    return match[1]


def _school_and_supervisor(school_code: str, org: OrgTree) -> tuple[Unit, Unit]:
    school = org.unit(school_code)
    if school.level is not Level.SCHOOL or school.parent is None:
        raise ContractError("school_code", "not_a_school", f"{school_code} 不是学校")
    return school, org.unit(school.parent)


def _unit_for(level: StepLevel, school: Unit, supervising: Unit, org: OrgTree) -> Unit:
    if level is StepLevel.SCHOOL:
        return school
    if level is StepLevel.SUPERVISING:
        return supervising
    target = {StepLevel.CITY: Level.CITY, StepLevel.PROVINCE: Level.PROVINCE}.get(
        level, Level.MINISTRY
    )
    order = list(Level)  # ministry first: a smaller index is a higher level
    if order.index(supervising.level) < order.index(target):
        # A bureau above the target level (a province-supervised school's CITY step) decides.
        return supervising
    return org.above_at_level(supervising.code, target)
