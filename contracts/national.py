"""QRY-4 全国学籍查询: the national student query and the record summary behind its answer.

A node asks the hub (`NationalQuery`, on the node's own hub RPC subject, so the hub knows
which province asks); the hub finds the identity in its index and asks the province of
record for what only that province knows — stage, grade, 学籍 status, an open problem
record, the last change (`RecordSummaryQuery`). The answer (`NationalStudent`) is exactly
what SPEC QRY-4 lists: no dedup keys, no registration ids, no other province's records.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.envelope import ContractModel, Envelope

Province = Field(pattern=r"^\d{2}$")


def numbers_of(number: str) -> tuple[str | None, str | None]:
    """The consoles' one number field: (national student number, ID number). A national
    number is a G/J/L and 18 characters (ID-3); anything else is taken as a document number."""
    number = number.strip().upper()
    if not number:
        return None, None
    if number[:1] in ("G", "J", "L") and len(number) == 19:
        return number, None
    return None, number


class NationalQuery(ContractModel):
    """QRY-4 through a node: name plus national number or ID number."""

    kind: Literal["NationalQuery"] = "NationalQuery"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Province
    name: str = Field(min_length=1, max_length=50)
    student_number: str | None = Field(default=None, max_length=19)
    id_number: str | None = Field(default=None, max_length=18)


class RecordSummaryQuery(ContractModel):
    """The hub asks the province of record about one of its students."""

    kind: Literal["RecordSummaryQuery"] = "RecordSummaryQuery"
    version: Literal[1] = 1
    envelope: Envelope
    student_number: str = Field(min_length=19, max_length=19)


class RecordSummary(ContractModel):
    """What the province of record says of the student (None: it holds no such record)."""

    kind: Literal["RecordSummary"] = "RecordSummary"
    version: Literal[1] = 1
    province: str = Province
    student_number: str = Field(min_length=19, max_length=19)
    stage: str | None = Field(default=None, max_length=20)  # 小学 / 初中 / 高中
    grade: int | None = Field(default=None, ge=1, le=12)  # national grade (XPT-9)
    status: str | None = Field(default=None, max_length=20)
    has_open_problem: bool = False
    last_change_at: str | None = Field(default=None, max_length=40)


class NationalStudent(ContractModel):
    """The answer, as SPEC QRY-4 lists it. `record_available` is False when the province of
    record did not answer in time: the index's part is shown, the rest is unknown (None)."""

    name: str
    sex: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    student_number: str
    province: str = Province
    stage: str | None = None
    grade: int | None = None
    status: str | None = None
    has_open_problem: bool | None = None
    last_change_at: str | None = None
    record_available: bool = True


class NationalAnswer(ContractModel):
    kind: Literal["NationalAnswer"] = "NationalAnswer"
    version: Literal[2] = 2
    student: NationalStudent
