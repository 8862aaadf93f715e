"""The access policy (xueji/access/policy.py): who may do what (SEC-1) on which units
(jurisdiction: SEC-3, QRY, REG-6, XPT-5), asked in one place by every route and page."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from contracts.codes import MINISTRY_UNIT
from contracts.errors import Forbidden, NotFound
from contracts.org import OrgTree
from xueji.access import policy
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session

ROOT = Path(__file__).parents[2]
TIANHE_SCHOOL = "3440106001"  # supervised by county 440106 (天河区)
CITY_SCHOOL = "3440100001"  # supervised by the city 440100, standing in county 440103
SHENZHEN_SCHOOL = "3440303001"


def _school(code: str, supervising: str, locality: str) -> dict:
    return {
        "school_code": code,
        "name": code,
        "supervising_unit": supervising,
        "locality_unit": locality,
    }


ORG = OrgTree.for_province(
    "44",
    [
        _school(TIANHE_SCHOOL, "440106", "440106"),
        _school(CITY_SCHOOL, "440100", "440103"),
        _school(SHENZHEN_SCHOOL, "440303", "440303"),
    ],
)


def session(unit_code: str, role: str = "registrar") -> Session:
    at = datetime(2026, 11, 22, 9)
    level = ORG.unit(unit_code).level.value
    return Session("t", f"{unit_code}_{role}", unit_code, level, role, at, at)


REQUIREMENTS = {
    "school_registrar": policy.SCHOOL_REGISTRAR,
    "sysadmin": policy.SYSADMIN,
    "province_sysadmin": policy.PROVINCE_SYSADMIN,
    "ministry_sysadmin": policy.MINISTRY_SYSADMIN,
    "auditor": policy.AUDITOR,
}
# (unit, role) → the requirements it meets; every other one refuses it.
ROLES_TABLE = [
    ((TIANHE_SCHOOL, "registrar"), {"school_registrar"}),
    ((TIANHE_SCHOOL, "approver"), set()),
    ((TIANHE_SCHOOL, "sysadmin"), {"sysadmin"}),
    (("440106", "registrar"), set()),
    (("440106", "sysadmin"), {"sysadmin"}),
    (("440100", "approver"), set()),
    (("440000", "registrar"), {"auditor"}),
    (("440000", "sysadmin"), {"sysadmin", "province_sysadmin", "auditor"}),
    ((MINISTRY_UNIT, "registrar"), {"auditor"}),
    ((MINISTRY_UNIT, "sysadmin"), {"sysadmin", "ministry_sysadmin", "auditor"}),
]
CODES = {
    "school_registrar": "school_registrar_only",
    "sysadmin": "role_not_allowed",
    "province_sysadmin": "province_sysadmin_only",
    "ministry_sysadmin": "role_not_allowed",
    "auditor": "audit_not_allowed",
}


@pytest.mark.parametrize(("who", "meets"), ROLES_TABLE)
def test_sec1_policy_roles_and_levels(who: tuple[str, str], meets: set[str]) -> None:
    """SEC-1 (a role at a unit's level), REG-1…REG-9 and XPT-2 (the school's registrar),
    SEC-3 (sysadmins), SYS-1…SYS-3 (the province's sysadmin), AUD-5 (auditors)."""
    caller = session(*who)
    for name, requirement in REQUIREMENTS.items():
        assert requirement.allows(caller) is (name in meets), (who, name)
        if name in meets:
            assert requirement.check(caller) is caller
            continue
        with pytest.raises(Forbidden) as refused:
            requirement.check(caller)
        assert refused.value.code == CODES[name], (who, name)
        assert "{role}" not in refused.value.message and refused.value.message


# caller's unit → the units it sees among these (everything else is outside).
UNITS = [TIANHE_SCHOOL, CITY_SCHOOL, SHENZHEN_SCHOOL, "440106", "440103", "440100", "440303"]
JURISDICTION_TABLE = [
    (MINISTRY_UNIT, set(UNITS)),
    ("440000", set(UNITS)),
    ("440100", {TIANHE_SCHOOL, CITY_SCHOOL, "440106", "440103", "440100"}),
    ("440106", {TIANHE_SCHOOL, "440106"}),
    ("440103", {CITY_SCHOOL, "440103"}),  # the locality bureau sees the city's school
    ("440303", {SHENZHEN_SCHOOL, "440303"}),
    (TIANHE_SCHOOL, {TIANHE_SCHOOL}),
    (CITY_SCHOOL, {CITY_SCHOOL}),
]


@pytest.mark.parametrize(("unit", "sees"), JURISDICTION_TABLE)
def test_sec3_policy_jurisdiction(unit: str, sees: set[str]) -> None:
    """A unit sees itself and every unit below it, a school also from its locality bureau
    (SEC-3 online users, QRY lists, REG-6 review, XPT-5 tracking); a refusal says nothing
    about the target, and an unknown unit is seen by nobody (SEC-8)."""
    rules, caller = AccessPolicy(ORG), session(unit)
    for target in [*UNITS, "3449999999"]:
        allowed = target in sees
        assert rules.sees(caller, target) is allowed, (unit, target)
        if not allowed:
            with pytest.raises(Forbidden) as refused:
                rules.ensure_sees(caller, target)
            assert refused.value.code == "outside_jurisdiction"
            assert target not in refused.value.message
    schools = {c for c in sees if len(c) == 10}
    assert set(rules.schools(caller)) == schools
    whole = ORG.unit(unit).level.value == "province"
    assert rules.school_filter(caller) == (None if whole else rules.schools(caller))


def test_reg1_a_school_acts_only_for_itself() -> None:
    """REG-1: a school registers its own students; its bureau sees them but does not."""
    rules = AccessPolicy(ORG)
    rules.ensure_own(session(TIANHE_SCHOOL), TIANHE_SCHOOL, field="school_code")
    for unit in ("440106", CITY_SCHOOL):
        with pytest.raises(Forbidden) as refused:
            rules.ensure_own(session(unit), TIANHE_SCHOOL, field="school_code")
        assert (refused.value.code, refused.value.field) == ("outside_jurisdiction", "school_code")
    assert rules.school_filter(session("440100"), "440106") == [TIANHE_SCHOOL]
    with pytest.raises(Forbidden):
        rules.school_filter(session("440106"), "440100")  # above the caller: outside


async def test_sec3_no_existence_oracle_a_foreign_record_answers_as_a_missing_one() -> None:
    """SEC-8 (issue 18 item 7): a record out of sight, of one school or of two (an
    in-province transfer), and one that does not exist give the same 404."""
    rules, caller = AccessPolicy(ORG), session("440106")
    answers = []
    for record in ({"school_code": SHENZHEN_SCHOOL}, None):

        async def load(record=record) -> dict:
            if record is None:
                raise NotFound("没有这条记录")
            return record

        with pytest.raises(NotFound) as refused:
            await rules.record_in_sight(caller, load, "该记录", "record_id")
        answers.append((refused.value.code, refused.value.message, refused.value.field))
    assert (
        answers[0] == answers[1] == ("not_found", "该记录不存在或不在本单位管辖范围内", "record_id")
    )

    async def transfer() -> dict:
        return {"to": SHENZHEN_SCHOOL, "from": TIANHE_SCHOOL}

    def sides(record: dict) -> list[str]:
        return [record["to"], record["from"]]

    assert await rules.record_in_sight(caller, transfer, "该申请", units=sides)
    with pytest.raises(NotFound):
        await rules.record_in_sight(session(CITY_SCHOOL), transfer, "该申请", units=sides)


def test_sec1_a_many_unit_listing_keeps_the_callers_units() -> None:
    """XPT-10 monitoring: a school sees its own row, a county its units', not a province."""
    rules = AccessPolicy(ORG)
    rows = [{"unit_code": c} for c in (TIANHE_SCHOOL, "440106", "440000", SHENZHEN_SCHOOL)]
    assert rules.in_sight(session(TIANHE_SCHOOL), rows) == [{"unit_code": TIANHE_SCHOOL}]
    assert rules.in_sight(session("440106"), rows) == rows[:2]
    assert rules.in_sight(session("440000"), rows) == rows


ENTRY_POINTS = [
    "province_node/api",
    "province_node/console",
    "hub/api",
    "hub/console",
    "xueji/console",
    "xueji/access/api.py",
    "xueji/audit_api.py",
]
HAND_WRITTEN = re.compile(
    r"\.(role|level)\s*(==|!=|is not|is|not in|in)\s"  # user.role != "sysadmin"
    r"|\bunit_code\s*(==|!=)"  # user.unit_code != body.school_code
    r"|require_role|ensure_within|is_within\(|\.within\("  # jurisdiction by hand
)


def test_sec1_no_route_or_page_writes_its_own_authorization() -> None:
    """Routes and pages name a requirement (`SchoolRegistrar` …) or ask the policy
    (`ensure_sees`); none compares a role, a level or a unit itself."""
    found = []
    for entry in ENTRY_POINTS:
        path = ROOT / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            if file.name == "menu.py":  # the menu's declared visibility, not a refusal
                continue
            for n, line in enumerate(file.read_text().splitlines(), 1):
                if HAND_WRITTEN.search(line):
                    found.append(f"{file.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []
