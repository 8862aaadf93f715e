"""QRY-6 for the ministry: every province node is asked over NATS, the answers are summed.

A province that does not answer in time (node down, NATS link cut) is listed in
`missing_provinces` instead of failing the whole figure.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from contracts import subjects
from contracts.meta import CommandMeta
from contracts.queries import CountStudents, Dimension, StudentCounts
from hub.api.deps import Runtime
from projections.statistics import add_up
from xueji.access.api import CurrentUser
from xueji.bus import BusUnavailable, RemoteError
from xueji.logs import get_logger
from xueji.telemetry import current_traceparent

router = APIRouter(prefix="/api/v1/national/statistics", tags=["national"])
log = get_logger("hub.statistics")
TIMEOUT_SECONDS = 3.0


@router.get("/students")
async def national_student_statistics(
    runtime: Runtime,
    user: CurrentUser,
    by: Dimension,
    status: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 - FastAPI copies it
) -> dict:
    """Counts by one dimension over every province the hub follows (enrolled by default)."""
    meta = CommandMeta.new(
        user.username, user.unit_code, user.role, traceparent=current_traceparent()
    )
    query = CountStudents(envelope=meta.envelope(), by=by, statuses=status or ["在校"])
    provinces = runtime.settings.provinces
    answers = await asyncio.gather(*(_ask(runtime, p, query) for p in provinces))
    missing = [p for p, answer in zip(provinces, answers, strict=True) if answer is None]
    return add_up(by, [a for a in answers if a is not None], missing)


async def _ask(runtime: Runtime, province: str, query: CountStudents) -> StudentCounts | None:
    subject = subjects.province_count_students(province)
    try:
        answer = await runtime.bus.ask(subject, query, StudentCounts, TIMEOUT_SECONDS)
    except (BusUnavailable, RemoteError) as exc:
        log.warning("province_count_missing", province=province, error=str(exc))
        return None
    return answer if answer.province == province else None  # a forged answer counts as none
