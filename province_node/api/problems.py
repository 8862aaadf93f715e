"""Problem records 问题学籍 (PRB-1): what was found, visible within the jurisdiction."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from province_node.api.deps import Runtime
from xueji.access.guards import CurrentUser, Policy

router = APIRouter(prefix="/api/v1/problems", tags=["problems"])


@router.get("/{problem_id}")
async def get_problem(
    problem_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy
) -> dict:
    """One problem record."""
    problem = await runtime.reviews.problem_record(problem_id)
    policy.ensure_sees(user, problem["school_code"])
    return problem
