"""The ministry's view of cross-province cases (XPT-5, XPT-10, PGE-4) on the hub."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from contracts.cases import CaseFilters, CaseQuery, Flow
from contracts.meta import CommandMeta
from hub.api.deps import Runtime
from xueji.access.api import CurrentUser
from xueji.access.sessions import Session


def _router(prefix: str, flow: Flow) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[f"{flow}s"])

    @router.get("")
    async def search(
        runtime: Runtime, user: CurrentUser, filters: Annotated[CaseFilters, Query()]
    ) -> dict:
        """Every case in the caller's sight (the ministry: all), newest first."""
        query = _query(user, flow, "search", **filters.model_dump())
        return (await runtime.cases.query(query)).model_dump()

    @router.get("/monitoring")
    async def monitoring(
        runtime: Runtime,
        user: CurrentUser,
        province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    ) -> dict:
        """XPT-10: per deciding unit, pending and overdue steps and average decision time."""
        items = await runtime.cases.monitoring(province, flow)
        return {"items": items}

    @router.get("/{case_id}")
    async def one(
        case_id: UUID, runtime: Runtime, user: CurrentUser, as_of: datetime | None = None
    ) -> dict:
        """The case with its steps and full history; `as_of` shows it as it was then."""
        query = _query(user, flow, "one", case_id=case_id, as_of=as_of)
        return (await runtime.cases.query(query)).case

    return router


def _query(user: Session, flow: Flow, mode: Literal["search", "one"], **fields) -> CaseQuery:
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    return CaseQuery(envelope=meta.envelope(), flow=flow, mode=mode, **fields)


routers = [_router("/api/v1/transfers", "transfer"), _router("/api/v1/enrollments", "enrollment")]
