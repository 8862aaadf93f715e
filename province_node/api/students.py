"""Student records (API.md "Students")."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.ids import parse_student_number
from province_node.api.deps import Runtime

router = APIRouter(prefix="/api/v1/students", tags=["students"])


@router.get("/{student_number}")
async def get_student(student_number: str, runtime: Runtime) -> dict:
    """The full record of one student of this province."""
    number = str(parse_student_number(student_number))
    return await runtime.writer(runtime.node.student, number)


@router.get("/{student_number}/history")
async def get_student_history(student_number: str, runtime: Runtime) -> dict:
    """Every stored event of the record: who, when, what."""
    number = str(parse_student_number(student_number))
    return {"items": await runtime.writer(runtime.node.student_history, number)}
