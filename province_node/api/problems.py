"""Problem records 问题学籍 (PRB-1): what was found, visible within the jurisdiction."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from province_node.api.deps import Runtime, ensure_within
from xueji.access.api import CurrentUser

router = APIRouter(prefix="/api/v1/problems", tags=["problems"])


@router.get("/{problem_id}")
async def get_problem(problem_id: UUID, runtime: Runtime, user: CurrentUser) -> dict:
    """One problem record."""
    problem = await runtime.writer(runtime.node.problem_record, problem_id)
    ensure_within(runtime, user, problem["school_code"])
    return problem
