"""Queries between the hub and the province nodes (request/reply, never captured by a
stream): the hub asks every node for counts (QRY-6); a node asks the hub for the calendar
years the ministry entered (SYS-2)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from contracts.envelope import ContractModel, Envelope

#: QRY-6 dimensions a count can be broken down by.
Dimension = Literal["region", "stage", "grade", "sex", "ethnicity", "flags", "status"]
#: QRY-6 / DAY-3…DAY-5: the groups a count may be narrowed to (only the flagged records).
Flag = Literal[
    "migrant", "migrant_worker", "left_behind", "rural_left_behind", "special_needs", "disabled"
]


class CountStudents(ContractModel):
    """QRY-6: how many students of the province, by one dimension (enrolled ones by default)."""

    kind: Literal["CountStudents"] = "CountStudents"
    version: Literal[1] = 1
    envelope: Envelope
    by: Dimension
    statuses: list[str] = Field(default_factory=lambda: ["在校"], max_length=20)
    flag: Flag | None = None


class CountGroup(ContractModel):
    key: str | None
    count: int = Field(ge=0)


class StudentCounts(ContractModel):
    """A province's answer: one count per value of the dimension, and the total."""

    kind: Literal["StudentCounts"] = "StudentCounts"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    by: Dimension
    groups: list[CountGroup] = Field(max_length=10_000)
    total: int = Field(ge=0)


class CalendarYearsQuery(ContractModel):
    """SYS-2: a node asks for the years of holidays the ministry entered on the hub."""

    kind: Literal["CalendarYearsQuery"] = "CalendarYearsQuery"
    version: Literal[1] = 1
    envelope: Envelope


class EnteredYear(ContractModel):
    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(max_length=366)
    workdays: list[date] = Field(max_length=366)  # make-up working days 调休上班日


class CalendarYears(ContractModel):
    kind: Literal["CalendarYears"] = "CalendarYears"
    version: Literal[1] = 1
    years: list[EnteredYear] = Field(max_length=101)
