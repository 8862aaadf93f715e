"""QRY-6 for the ministry (`hub.statistics`): the nation's counts, province by province."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.meta import CommandMeta
from contracts.queries import Dimension, Flag
from hub.api.deps import Runtime
from xueji.access.api import CurrentUser
from xueji.telemetry import current_traceparent

router = APIRouter(prefix="/api/v1/national/statistics", tags=["national"])


@router.get("/students")
async def national_student_statistics(
    runtime: Runtime,
    user: CurrentUser,
    by: Dimension,
    status: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 - FastAPI copies it
    flag: Flag | None = None,
) -> dict:
    """Counts by one dimension over every province the hub follows (enrolled by default)."""
    meta = CommandMeta.new(
        user.username, user.unit_code, user.role, traceparent=current_traceparent()
    )
    return await runtime.statistics.count(by, status or ["在校"], flag, meta)
