"""Student records (API.md "Students")."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.ids import parse_student_number
from province_node.api.deps import Runtime, ensure_within
from xueji.access.api import CurrentUser

router = APIRouter(prefix="/api/v1/students", tags=["students"])


@router.get("/{student_number}")
async def get_student(student_number: str, runtime: Runtime, user: CurrentUser) -> dict:
    """The full record of one student of the caller's jurisdiction."""
    number = str(parse_student_number(student_number))
    record = await runtime.writer(runtime.node.student, number)
    ensure_within(runtime, user, record["school_code"])
    return record


@router.get("/{student_number}/history")
async def get_student_history(student_number: str, runtime: Runtime, user: CurrentUser) -> dict:
    """Every stored event of the record: who, when, what."""
    number = str(parse_student_number(student_number))
    record = await runtime.writer(runtime.node.student, number)
    ensure_within(runtime, user, record["school_code"])
    return {"items": await runtime.writer(runtime.node.student_history, number)}
