"""Schools and their classes as the province node knows them (organisation tree: issue 3)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import ClassCode, SchoolSystem, stage_length
from contracts.errors import DomainError

_NS = uuid5(NAMESPACE_URL, "xueji:province:school")


class School(Aggregate):
    """A school with its classes. Supervising and locality bureaus may differ [004 Q10]."""

    @staticmethod
    def create_id(school_code: str) -> UUID:
        return uuid5(_NS, school_code)

    @event("Registered")
    def __init__(
        self,
        school_code: str,
        name: str,
        region_code: str,
        supervising_unit: str,
        locality_unit: str,
        school_type: str,
        stages: list[str],
        school_system: str,
        meta: dict,
    ) -> None:
        self.school_code = school_code
        self.name = name
        self.region_code = region_code
        self.supervising_unit = supervising_unit
        self.locality_unit = locality_unit
        self.school_type = school_type
        self.stages = list(stages)
        self.school_system = school_system
        self.classes: dict[str, dict] = {}

    @event("ClassOpened")
    def open_class(self, class_code: str, grade: str, name: str, meta: dict) -> None:
        self.classes[class_code] = {"class_code": class_code, "grade": grade, "name": name}

    def check_new_class(self, class_code: str, school_year: int) -> dict:
        """ORG / ID-5: a class the school may open now (this year's, or next year's before
        the promotion), and its grade name and default name; refused naming `class_code`."""
        code = ClassCode.parse(class_code)
        if code.stage.value not in self.stages:
            raise DomainError(f"本校没有{code.stage.label}学段，不能开设班级 {class_code}",
                              code="stage_not_taught", field="class_code")  # fmt: skip
        length = stage_length(code.stage, SchoolSystem(self.school_system))
        if not school_year - length < code.entry_year <= school_year + 1:
            first, last = school_year - length + 1, school_year + 1
            raise DomainError(
                f"班级 {class_code} 的入学年份应在{first}至{last}年之间",
                code="class_year_out_of_range",
                field="class_code",
            )
        if class_code in self.classes:
            raise DomainError(
                f"班级 {class_code} 已存在", code="duplicate_class", field="class_code"
            )
        grade = max(1, code.grade_in(school_year))
        return {"class_code": class_code, "grade": code.grade_name,
                "name": f"{code.stage.label}{grade}年级{code.number}班"}  # fmt: skip

    def has_class(self, class_code: str) -> bool:
        return class_code in self.classes

    def summary(self) -> dict:
        return {
            "school_code": self.school_code,
            "name": self.name,
            "region_code": self.region_code,
            "supervising_unit": self.supervising_unit,
            "locality_unit": self.locality_unit,
            "school_type": self.school_type,
            "stages": self.stages,
            "school_system": self.school_system,
        }


class SchoolDirectory(Aggregate):
    """The list of a province's school codes, so the schools can be listed without a scan."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"directory:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.school_codes: list[str] = []

    @event("SchoolListed")
    def add(self, school_code: str) -> None:
        self.school_codes.append(school_code)
