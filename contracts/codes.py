"""Stages, school kinds, levels, roles, statuses, class codes and grade mapping (ID-5)."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.errors import ContractError


class Stage(StrEnum):
    PRIMARY = "1"
    JUNIOR = "2"
    SENIOR = "3"

    @property
    def label(self) -> str:
        return {"1": "小学", "2": "初中", "3": "高中"}[self.value]


class SchoolType(StrEnum):
    ORDINARY = "普通中小学"
    SPECIAL = "特教学校"
    REFORM = "工读学校"


class SchoolSystem(StrEnum):
    SIX_THREE = "6-3"
    FIVE_FOUR = "5-4"


class Level(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    SCHOOL = "school"


class Role(StrEnum):
    REGISTRAR = "registrar"
    APPROVER = "approver"
    SYSADMIN = "sysadmin"


class StudentStatus(StrEnum):
    ENROLLED = "在校"
    SUSPENDED = "休学"
    TRANSFERRED_OUT = "转出"
    EXITED = "出境"
    WITHDRAWN = "退学"
    EXPELLED = "开除"
    DECEASED = "死亡"
    MISSING = "失踪"
    TO_VOCATIONAL = "去中职就读"  # left for a secondary vocational school (CHG-1, phase 2)
    OTHER_LEFT = "其他离校"  # removed in phase 2, but old records keep it (CHG-1)
    GRADUATED = "毕业"
    COMPLETED = "结业"
    INCOMPLETE = "肄业"
    DELETED = "已删除"  # REG-9: removed after the bureau confirmed a mistaken registration


_CLASS_CODE = re.compile(r"([0-9]{4})([1-3])([0-9]{2})")


@dataclass(frozen=True)
class ClassCode:
    entry_year: int
    stage: Stage
    number: int

    @classmethod
    def parse(cls, raw: str, field: str = "class_code") -> "ClassCode":
        text = raw.strip()
        match = _CLASS_CODE.fullmatch(text)
        if match is None:
            raise ContractError(
                field, "bad_class_code", f"班号应为7位：4位入学年份+1位学段(1-3)+2位班序号：{text}"
            )
        year, stage, number = int(match[1]), Stage(match[2]), int(match[3])
        if not 1990 <= year <= 2100:
            raise ContractError(field, "bad_class_code", f"班号中的入学年份不合理：{year}")
        if number == 0:
            raise ContractError(field, "bad_class_code", "班号中的班序号应在01到99之间")
        return cls(year, stage, number)

    def __str__(self) -> str:
        return f"{self.entry_year:04d}{self.stage.value}{self.number:02d}"

    @property
    def grade_name(self) -> str:
        return f"{self.stage.label}{self.entry_year}级"

    def grade_in(self, school_year: int) -> int:
        """Grade within the stage; 1 in the school year the class entered."""
        return school_year - self.entry_year + 1


#: GRD-3: grades move up at Aug 10 24:00 unless a province moves the day (KeyDates.promotion).
PROMOTION_DAY = (8, 10)


def school_year_of(d: date, promotion: tuple[int, int] = PROMOTION_DAY) -> int:
    """The school year whose grades are in force on `d`, named after its first calendar year:
    it begins the day after promotion (GRD-3), so new grade-1 classes exist from then on."""
    return d.year if (d.month, d.day) > tuple(promotion) else d.year - 1


def _primary_years(system: SchoolSystem) -> int:
    return 6 if system is SchoolSystem.SIX_THREE else 5


def national_grade(stage: Stage, grade_in_stage: int, system: SchoolSystem) -> int:
    """Map a grade within a stage to grades 1-9 (compulsory) or 10-12 (senior) [003 §四.2]."""
    offset = {Stage.PRIMARY: 0, Stage.JUNIOR: _primary_years(system), Stage.SENIOR: 9}[stage]
    if not 1 <= grade_in_stage <= stage_length(stage, system):
        raise ContractError(
            "grade", "bad_grade", f"{system.value}学制{stage.label}没有{grade_in_stage}年级"
        )
    return offset + grade_in_stage


def class_grade(code: ClassCode, school_year: int, system: SchoolSystem) -> int:
    """The national grade (1–12) of a class's students in a school year (ID-5, XPT-9).

    A class whose years have run out stays in its stage's last grade: only graduation
    (GRD-1) moves students on, so until then their grade is the one their class holds. A
    class that has not started yet has no grade (`bad_grade`).
    """
    length = stage_length(code.stage, system)
    return national_grade(code.stage, min(code.grade_in(school_year), length), system)


def stage_length(stage: Stage, system: SchoolSystem) -> int:
    """How many grades the stage has in the school system."""
    primary = _primary_years(system)
    return {Stage.PRIMARY: primary, Stage.JUNIOR: 9 - primary, Stage.SENIOR: 3}[stage]


def stage_grade(national_grade: int, system: SchoolSystem) -> tuple[Stage, int]:
    """Inverse of national_grade."""
    primary = _primary_years(system)
    if not 1 <= national_grade <= 12:
        raise ContractError("grade", "bad_grade", f"年级应在1到12之间：{national_grade}")
    if national_grade <= primary:
        return Stage.PRIMARY, national_grade
    if national_grade <= 9:
        return Stage.JUNIOR, national_grade - primary
    return Stage.SENIOR, national_grade - 9


#: Unit code of the ministry 教育部 (bureaus use their 6-digit region code, schools their
#: 10-digit identification code).
MINISTRY_UNIT = "000000"
