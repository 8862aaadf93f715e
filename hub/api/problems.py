"""Cross-province problem groups 跨省问题学籍 on the hub (PRB-3, PRB-4): the lists, one group,
and the ministry's arbitration."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.meta import CommandMeta
from hub.api.deps import Runtime
from xueji.access.guards import CurrentUser, MinistryArbiter
from xueji.telemetry import current_traceparent

router = APIRouter(prefix="/api/v1/problems", tags=["problems"])


class ArbitrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    winner: str = Field(min_length=19, max_length=19)  # the student number that keeps it
    opinion: str = Field(max_length=500)


@router.get("")
async def problems(
    runtime: Runtime,
    user: CurrentUser,
    state: Annotated[str | None, Query(max_length=20)] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,  # noqa: A002 - API.md's name
    province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    locked: bool | None = None,
) -> dict:
    """Every cross-province group, newest first (是否锁定: `locked`)."""
    items = await runtime.problems.search(state or None, type or None, province, locked)
    return {"items": items, "total": len(items)}


@router.get("/{group_id}")
async def problem(group_id: UUID, runtime: Runtime, user: CurrentUser) -> dict:
    """The group, each side (name, sex, birth date, school, province, number, state) and its
    history, public to both sides."""
    return await runtime.problems.one(group_id)


@router.post("/{group_id}/arbitration")
async def arbitrate(
    group_id: UUID,
    body: ArbitrationIn,
    runtime: Runtime,
    user: MinistryArbiter,
    idempotency_key: Annotated[UUID | None, Header()] = None,
) -> dict:
    """PRB-3: the ministry decides a group every side corroborated."""
    meta = CommandMeta.new(user.username, user.unit_code, user.role, command_id=idempotency_key,
                           traceparent=current_traceparent())  # fmt: skip
    return await runtime.problems.arbitrate(group_id, body.winner, body.opinion, meta)
