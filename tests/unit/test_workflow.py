"""Workflow configuration 业务流程配置: chain rules, specificity, resolution (SYS-1, REG-6)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codes import Level, SchoolType, Stage
from contracts.errors import ContractError
from contracts.org import MINISTRY, OrgTree, Unit
from province_node.domain.workflow import (
    DEFAULT_CHAIN_RULES,
    BusinessType,
    ChainRule,
    FrozenChain,
    StepLevel,
    WorkflowTable,
)
from province_node.domain.workflow_defaults import STARTS_ABOVE_SCHOOL
from simulations.demo import demo_schools

S, B, C, P, M = list(StepLevel)
SCHOOL = "3440106002"  # junior school under county 440106, city 440100
TIANHE = ["440106", "440100", "440000"]
YUEXIU = ["440103", "440100", "440000"]  # same city, other county
SHENZHEN = ["440303", "440300", "440000"]  # same province, other city
BEIJING = ["110101", "110100", "110000"]  # other province
ORDINARY, JUNIOR = SchoolType.ORDINARY, Stage.JUNIOR
# Labels from the seed's 业务流程配置 form [002 §22] (出国/出国复学 renamed 出境/入境复学).
_SEED_FORM = """
居民身份证小学新生注册 居民身份证非小学新生注册
港澳台和外籍小学新生注册 无身份证件小学新生注册 学籍申诉 学籍变更
恢复入学资格 休学 复学 留级 跳级 开除 退学 死亡 失踪 出境
入境复学 省内转学 小学毕业 小学结业 初中毕业 辍学 初中结业
去中职就读 高中毕业 高中结业 省内转学（转出） 升级转学 小学招生录取
初中招生录取 高中招生录取 问题学籍变更 问题学籍佐证 问题学籍删除
问题学籍变更（无身份证件号） 跨省问题学籍变更 肄业 跨省问题学籍佐证
跨省问题学籍删除
"""
SEED_LABELS = _SEED_FORM.split()


@pytest.fixture(scope="module")
def org() -> OrgTree:
    return OrgTree.for_province("44", demo_schools("44", date(2026, 11, 22)))


def _rule(
    scope: str,
    steps: list[StepLevel],
    business_type: str = BusinessType.SUSPENSION,
    school_type: SchoolType | None = None,
    stage: Stage | None = None,
) -> ChainRule:
    return ChainRule(
        business_type=business_type, scope=scope, steps=steps, school_type=school_type, stage=stage
    )


def _refused(**data: object) -> ContractError:
    with pytest.raises(ContractError) as caught:
        ChainRule(**data)
    return caught.value


def test_sys1_default_table_covers_every_business_type() -> None:
    table = WorkflowTable.default()
    assert len(BusinessType) >= 45
    assert set(SEED_LABELS) <= {b.label for b in BusinessType}
    assert len({b.label for b in BusinessType}) == len(BusinessType)
    assert sorted(r.business_type for r in DEFAULT_CHAIN_RULES) == sorted(BusinessType)
    for business in BusinessType:
        for school_type in SchoolType:
            for stage in Stage:
                assert table.chain_for(business, school_type, stage, BEIJING)
    assert table.chain_for(BusinessType.KEY_DATA_CHANGE, ORDINARY, JUNIOR, TIANHE) == [S, B]
    assert table.chain_for(BusinessType.CROSS_PROVINCE_TRANSFER_OUT, ORDINARY, JUNIOR, TIANHE) == [
        S,
        B,
    ]
    senior = table.chain_for(BusinessType.GRADUATION_SENIOR, ORDINARY, Stage.SENIOR, TIANHE)
    assert senior == [S, B, C]  # [004 Q89]


def test_sys1_most_specific_scope_wins() -> None:
    # Added narrowest first, so only specificity (not recency) can make the county win.
    table = WorkflowTable.default()
    for scope, steps in [("440106", [S]), ("440100", [S, B, C]), ("440000", [S, B, C, P])]:
        table = table.with_rule(_rule(scope, steps), "44")
    suspension = BusinessType.SUSPENSION
    assert table.chain_for(suspension, ORDINARY, JUNIOR, TIANHE) == [S]
    assert table.chain_for(suspension, ORDINARY, JUNIOR, YUEXIU) == [S, B, C]
    assert table.chain_for(suspension, ORDINARY, JUNIOR, SHENZHEN) == [S, B, C, P]
    assert table.chain_for(suspension, ORDINARY, JUNIOR, BEIJING) == [S, B]
    assert table.chain_for(BusinessType.RESUMPTION, ORDINARY, JUNIOR, TIANHE) == [S, B]


def test_sys1_school_type_and_stage_specific_rules() -> None:
    special, senior, suspension = SchoolType.SPECIAL, Stage.SENIOR, BusinessType.SUSPENSION
    table = WorkflowTable.default()
    table = table.with_rule(_rule("440000", [S, B, C, P], school_type=special, stage=senior), "44")
    table = table.with_rule(_rule("440000", [S, B, P], stage=senior), "44")
    table = table.with_rule(_rule("440000", [S, B, C], school_type=special), "44")
    assert table.chain_for(suspension, special, senior, TIANHE) == [S, B, C, P]
    assert table.chain_for(suspension, special, JUNIOR, TIANHE) == [S, B, C]
    assert table.chain_for(suspension, ORDINARY, senior, TIANHE) == [S, B, P]
    assert table.chain_for(suspension, ORDINARY, JUNIOR, TIANHE) == [S, B]
    # A school type outranks a stage at the same scope ...
    both = WorkflowTable(
        [_rule("440000", [S, P], stage=senior), _rule("440000", [S, C], school_type=special)]
    )
    assert both.chain_for(suspension, special, senior, TIANHE) == [S, C]
    # ... a narrower scope outranks both, and on a full tie the later rule wins.
    table = table.with_rule(_rule("440106", [S]), "44")
    assert table.chain_for(suspension, special, senior, TIANHE) == [S]
    tie = WorkflowTable([_rule("440100", [S]), _rule("440100", [S, B])])
    assert tie.chain_for(suspension, ORDINARY, JUNIOR, TIANHE) == [S, B]


def test_sys1_chain_resolves_to_concrete_units(org: OrgTree) -> None:
    steps = WorkflowTable.default().resolve([S, B, C, P, M], SCHOOL, org)
    assert [(s.level, s.unit_code) for s in steps] == [
        (S, SCHOOL),
        (B, "440106"),
        (C, "440100"),
        (P, "440000"),
        (M, MINISTRY),
    ]
    assert steps[0].unit_name == "天河区第一初级中学"
    assert steps[3].unit_name == "广东省教育厅"
    county_rule = _rule("440106", [S, C], business_type=BusinessType.DEATH)
    table = WorkflowTable.default().with_rule(county_rule, "44")
    chain = table.chain_for_school(BusinessType.DEATH, SCHOOL, ORDINARY, JUNIOR, org)
    assert [s.unit_code for s in chain] == [SCHOOL, "440100"]


def test_sys1_city_supervised_school_does_not_decide_twice() -> None:
    org = OrgTree(
        [
            Unit(MINISTRY, "教育部", Level.MINISTRY, None),
            Unit("440000", "广东省教育厅", Level.PROVINCE, MINISTRY),
            Unit("440100", "广州市教育局", Level.CITY, "440000"),
            Unit("440106", "天河区教育局", Level.COUNTY, "440100"),
            Unit("3440100001", "广州市直属中学", Level.SCHOOL, "440100", "440106"),
            Unit("3440000001", "省直属中学", Level.SCHOOL, "440000", "440106"),
        ]
    )
    table = WorkflowTable.default()
    city_school = table.resolve([S, B, C, P], "3440100001", org)
    assert [(s.level, s.unit_code) for s in city_school] == [
        (S, "3440100001"),
        (B, "440100"),
        (P, "440000"),
    ]
    province_school = table.resolve([S, B, C, P], "3440000001", org)
    assert [s.unit_code for s in province_school] == ["3440000001", "440000"]
    # The county rule must not reach a city-supervised school standing in that county.
    table = table.with_rule(_rule("440106", [S], business_type=BusinessType.DEATH), "44")
    chain = table.chain_for_school(BusinessType.DEATH, "3440100001", ORDINARY, JUNIOR, org)
    assert [s.unit_code for s in chain] == ["3440100001", "440100"]


def test_sys1_province_cannot_edit_outside_its_province() -> None:
    table = WorkflowTable.default()
    for scope in ["110000", "110101", "*"]:
        with pytest.raises(ContractError) as caught:
            table.with_rule(_rule(scope, [S, B, C]), "44")
        assert (caught.value.field, caught.value.code) == ("scope", "outside_jurisdiction")
    edited = table.with_rule(_rule("440100", [S, B, C]), "440000")
    assert edited.chain_for(BusinessType.SUSPENSION, ORDINARY, JUNIOR, TIANHE) == [S, B, C]
    assert table.chain_for(BusinessType.SUSPENSION, ORDINARY, JUNIOR, TIANHE) == [S, B]
    with pytest.raises(ContractError) as caught:
        table.with_rule(_rule("440100", [S]), "4")
    assert caught.value.code == "bad_province"


def test_sys1_unknown_level_is_refused() -> None:
    error = _refused(business_type="suspension", scope="440000", steps=["school", "dean"])
    assert (error.field, error.code) == ("steps", "unknown_level")
    assert "dean" in error.message and "审核环节" in error.message
    assert _refused(business_type="suspension", scope="*", steps=[S, 7]).code == "unknown_level"
    labelled = ChainRule(business_type="suspension", scope="440000", steps=["学校", "主管教育局"])
    assert list(labelled.steps) == [S, B]
    assert _refused(business_type="nap", scope="*", steps=[S]).field == "business_type"
    assert _refused(business_type="death", scope="44", steps=[S]).code == "bad_scope"


@given(st.lists(st.sampled_from([*StepLevel][:-1]), max_size=6))
def test_sys1_chain_must_climb_without_repeats(steps: list[StepLevel]) -> None:
    climbing = bool(steps) and all(a.rank < b.rank for a, b in pairwise(steps))
    side = "post_graduation_graduating"  # a continuation side: any climbing chain is a shape
    if climbing:
        assert list(ChainRule(business_type=side, scope="*", steps=steps).steps) == steps
    else:
        error = _refused(business_type=side, scope="*", steps=steps)
        assert (error.field, error.code) == ("steps", "bad_chain")


@pytest.mark.parametrize("business", [b for b in BusinessType if b not in STARTS_ABOVE_SCHOOL])
def test_reg6_sys1_chain_without_a_school_step_is_refused(business: BusinessType) -> None:
    for steps in ([B], [B, C], [C, P], [P]):
        error = _refused(business_type=business, scope="440000", steps=steps)
        assert (error.field, error.code) == ("steps", "must_start_at_school")
        assert business.label in error.message and "学校" in error.message
    assert ChainRule(business_type=business, scope="440000", steps=[S, P]).steps == (S, P)


def test_sys1_second_sides_may_start_above_the_school() -> None:
    for business in STARTS_ABOVE_SCHOOL:
        assert ChainRule(business_type=business, scope="440000", steps=[B, C]).steps == (B, C)


def test_sys1_ministry_decides_nothing_in_a_province_table() -> None:
    for business in ("death", "cross_province_transfer_out"):
        error = _refused(business_type=business, scope="440000", steps=[S, B, C, P, M])
        assert (error.field, error.code) == ("steps", "bad_chain")
        assert "教育部" in error.message


def test_sys1_frozen_chain_survives_config_change(org: OrgTree) -> None:
    table = WorkflowTable.default()
    frozen = table.freeze(BusinessType.WITHDRAWAL, SCHOOL, ORDINARY, JUNIOR, org)
    stored = frozen.model_dump(mode="json")
    edited = table.with_rule(_rule("440106", [S, B, C, P], business_type="withdrawal"), "44")
    fresh = edited.freeze(BusinessType.WITHDRAWAL, SCHOOL, ORDINARY, JUNIOR, org)
    assert [s.unit_code for s in fresh.steps] == [SCHOOL, "440106", "440100", "440000"]
    assert fresh.scope == "440106"
    reloaded = FrozenChain.model_validate(stored)
    assert reloaded == frozen
    assert [s.unit_code for s in reloaded.steps] == [SCHOOL, "440106"]
    assert (reloaded.business_type, reloaded.scope, reloaded.stage) == ("withdrawal", "*", None)
    assert stored["steps"][0] == {
        "level": "school",
        "unit_code": SCHOOL,
        "unit_name": "天河区第一初级中学",
    }
    with pytest.raises(ValueError):
        frozen.scope = "440106"  # type: ignore[misc]


@pytest.mark.parametrize(
    "business",
    [BusinessType.REGISTER_PRIMARY_NO_DOCUMENT, BusinessType.REGISTER_NON_PRIMARY_NO_DOCUMENT],
)
def test_reg6_no_document_registration_goes_up_to_province(
    org: OrgTree, business: BusinessType
) -> None:
    table = WorkflowTable.default()
    chain = table.chain_for_school(business, SCHOOL, ORDINARY, JUNIOR, org)
    assert [(s.level, s.unit_code) for s in chain] == [
        (S, SCHOOL),
        (B, "440106"),
        (C, "440100"),
        (P, "440000"),
    ]
    resident = BusinessType.REGISTER_NON_PRIMARY_RESIDENT
    plain = table.chain_for_school(resident, SCHOOL, ORDINARY, JUNIOR, org)
    assert [s.unit_code for s in plain] == [SCHOOL, "440106"]
