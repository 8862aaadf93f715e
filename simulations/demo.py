"""Demo schools and classes for `make up` and the tests: real region codes, stable codes.

Every county of a demo province gets an experimental primary school, a junior middle school,
a nine-year school (primary + junior) and a senior high school; the second county of each
city runs the 5-4 system, so both school systems appear. Classes exist in every grade the
school teaches.
"""

from __future__ import annotations

from datetime import date

from contracts.codes import MINISTRY_UNIT, SchoolSystem, SchoolType, Stage, school_year_of
from contracts.org import OrgTree
from contracts.regions import children, province_of
from xueji.access.passwords import shared_demo_hash

CLASSES_PER_GRADE = 2

# (suffix of the school name, stages taught)
_SCHOOL_KINDS: list[tuple[str, list[Stage]]] = [
    ("实验小学", [Stage.PRIMARY]),
    ("第一初级中学", [Stage.JUNIOR]),
    ("九年一贯制学校", [Stage.PRIMARY, Stage.JUNIOR]),
    ("第一高级中学", [Stage.SENIOR]),  # admits junior graduates (PGE)
]


def demo_schools(province: str, today: date) -> list[dict]:
    """Seeds for `province_node.schools.load_schools`; empty for a province without demo regions."""
    schools = []
    for city in children(f"{province}0000"):
        for index, county in enumerate(children(city.code)):
            system = SchoolSystem.FIVE_FOUR if index % 2 else SchoolSystem.SIX_THREE
            for number, (suffix, stages) in enumerate(_SCHOOL_KINDS, start=1):
                schools.append(
                    _school(
                        county.code,
                        county.name,
                        number,
                        suffix,
                        stages,
                        system,
                        school_year_of(today),
                    )
                )
    return schools


def school_code(county_code: str, number: int) -> str:
    """A 10-digit school identification code 学校标识码: `3` + county code + sequence."""
    return f"3{county_code}{number:03d}"


def _school(
    county_code: str,
    county_name: str,
    number: int,
    suffix: str,
    stages: list[Stage],
    system: SchoolSystem,
    school_year: int,
) -> dict:
    assert province_of(county_code)
    return {
        "school_code": school_code(county_code, number),
        "name": f"{county_name}{suffix}",
        "region_code": county_code,
        "supervising_unit": county_code,
        "locality_unit": county_code,
        "school_type": SchoolType.ORDINARY.value,
        "stages": [s.value for s in stages],
        "school_system": system.value,
        "classes": [c for stage in stages for c in _classes(stage, system, school_year)],
    }


def _classes(stage: Stage, system: SchoolSystem, school_year: int) -> list[dict]:
    primary_years = 6 if system is SchoolSystem.SIX_THREE else 5
    years = {Stage.PRIMARY: primary_years, Stage.JUNIOR: 9 - primary_years, Stage.SENIOR: 3}
    classes = []
    for grade in range(1, years[stage] + 1):
        entry_year = school_year - grade + 1
        for number in range(1, CLASSES_PER_GRADE + 1):
            classes.append(
                {
                    "class_code": f"{entry_year}{stage.value}{number:02d}",
                    "grade": f"{stage.label}{entry_year}级",
                    "name": f"{stage.label}{grade}年级{number}班",
                }
            )
    return classes


DEMO_PASSWORD = "Xueji@2026"

_ROLES_BY_LEVEL = {
    "school": ["registrar", "approver"],
    "county": ["registrar", "approver", "sysadmin"],
    "city": ["registrar", "approver", "sysadmin"],
    "province": ["registrar", "approver", "sysadmin"],
    "ministry": ["registrar", "approver", "sysadmin"],
}
_ROLE_NAMES = {"registrar": "学籍管理员", "approver": "学籍主管领导", "sysadmin": "系统管理员"}


def demo_account_seeds(units: list[tuple[str, str, str]]) -> list[dict]:
    """Demo accounts for (unit code, unit name, level) triples: every role its level has.

    Usernames read `<unit code>_<role>` (`moe_…` for the ministry); they need no password
    change at first login (API.md) and share `DEMO_PASSWORD`.
    """
    seeds = []
    for code, name, level in units:
        prefix = "moe" if level == "ministry" else code
        for role in _ROLES_BY_LEVEL[level]:
            seeds.append(
                {
                    "username": f"{prefix}_{role}",
                    "display_name": f"{name}{_ROLE_NAMES[role]}",
                    "unit_code": code,
                    "unit_name": name,
                    "level": level,
                    "role": role,
                    "must_change_password": False,
                }
            )
    return seeds


def demo_accounts_listing(urls: dict[str, str], today: date) -> list[dict]:
    """`var/demo-accounts.json` as API.md describes it; `urls` maps `hub` and province codes
    to base URLs."""
    units_by_service = {"hub": [(MINISTRY_UNIT, "教育部", "ministry")]}
    for province in (code for code in urls if code != "hub"):
        org = OrgTree.for_province(province, demo_schools(province, today))
        units_by_service[province] = [
            (u.code, u.name, u.level.value) for u in org.within(org.province().code)
        ]
    return [
        {
            "node": urls[service],
            "username": seed["username"],
            "password": DEMO_PASSWORD,
            "unit_code": seed["unit_code"],
            "unit_name": seed["unit_name"],
            "level": seed["level"],
            "role": seed["role"],
        }
        for service, units in units_by_service.items()
        for seed in demo_account_seeds(units)
    ]


class DemoSeed:
    """The demo schools and accounts as the `xueji.seeding.Seed` that `xueji up` and the tests
    give `create_app` (the services' own default loads nothing, SEC-8)."""

    demo = True  # its accounts share the published DEMO_PASSWORD

    def schools(self, province: str, today: date) -> list[dict]:
        return demo_schools(province, today)

    def accounts(self, units: list[tuple[str, str, str]]) -> list[dict]:
        password_hash = shared_demo_hash(DEMO_PASSWORD)
        return [seed | {"password_hash": password_hash} for seed in demo_account_seeds(units)]


DEMO = DemoSeed()
