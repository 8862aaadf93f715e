"""The ministry's view of cross-province cases on the hub (XPT-5, PGE-4): query and detail."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts.cases import CaseQuery
from contracts.errors import ContractError
from contracts.meta import CommandMeta
from xueji.console.cases import FLOWS, timeline, title_of
from xueji.console.kit import ConsoleRoute, User, console_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FILTERS = ("name", "student_number", "status")


async def _ask(request: Request, user: User, kind: str, mode: Literal["search", "one"], **fields):
    """The same read model the hub's JSON routes query (`runtime.cases.query`)."""
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    try:
        query = CaseQuery(envelope=meta.envelope(), flow=FLOWS[kind], mode=mode, **fields)
    except ValidationError:
        raise ContractError("filters", "invalid_request", "查询条件不正确") from None
    runtime = request.app.state.runtime
    return await runtime.cases.query(query)


@router.get("/{kind}/query")
async def query(request: Request, user: User, kind: str) -> Response:
    title = title_of(kind)
    filters = {k: request.query_params.get(k, "") for k in FILTERS}
    found = await _ask(request, user, kind, "search", **{k: v for k, v in filters.items() if v})
    return console_of(request).page(
        request,
        "cross_query.html",
        title=f"{title}查询",
        kind=kind,
        kind_title=title,
        items=found.items,
        filters=filters,
        revoke=False,
    )


@router.get("/{kind}/{case_id}")
async def detail(request: Request, user: User, kind: str, case_id: UUID) -> Response:
    title = title_of(kind)
    case = (await _ask(request, user, kind, "one", case_id=case_id)).case
    return console_of(request).page(
        request,
        "cross_detail.html",
        title=f"{title}详情",
        kind=kind,
        kind_title=title,
        case=case,
        timeline=timeline(case),
        can_act=False,
    )
