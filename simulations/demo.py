"""Demo schools and classes for `make up` and the tests: real region codes, stable codes.

Every county of a demo province gets an experimental primary school, a junior middle school
and a nine-year school (primary + junior, 5-4 system in the second county of each city, so
both school systems appear); classes exist in every grade the school teaches.
"""

from __future__ import annotations

from datetime import date

from contracts.codes import SchoolSystem, SchoolType, Stage, school_year_of
from contracts.regions import children, province_of

CLASSES_PER_GRADE = 2

# (suffix of the school name, stages taught)
_SCHOOL_KINDS: list[tuple[str, list[Stage]]] = [
    ("实验小学", [Stage.PRIMARY]),
    ("第一初级中学", [Stage.JUNIOR]),
    ("九年一贯制学校", [Stage.PRIMARY, Stage.JUNIOR]),
]


def demo_schools(province: str, today: date) -> list[dict]:
    """Seeds for `ProvinceNode.load_schools`; empty for a province without demo regions."""
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
