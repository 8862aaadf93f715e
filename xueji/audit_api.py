"""`GET /api/v1/audit` (AUD-5): the investigation of `xueji audit …`, asked of the running
service's own log — the hub's for the ministry, a node's for its province level."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from contracts.errors import ContractError
from xueji.access.guards import Auditor
from xueji.audit import Query as AuditQuery
from xueji.audit import as_json, investigate, parse_time
from xueji.eventlog import read_log

Text = Annotated[str | None, Query(max_length=40)]


def audit_router(log_of: Callable[[Any], Any]) -> APIRouter:
    """The route over the application `log_of(runtime)` returns (its recorder is read)."""
    router = APIRouter(prefix="/api/v1", tags=["audit"])

    @router.get("/audit")
    async def audit(
        request: Request,
        user: Auditor,
        student: Text = None,
        school: Text = None,
        unit: Text = None,
        start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
        to: Text = None,
        type: Text = None,  # noqa: A002 - the CLI's --type
        via: Text = None,
    ) -> dict:
        """Events about one student, school or acting unit in a window, e.g. who approved
        transfers out of a school in March: `?school=…&from=2027-03-01&to=2027-04-01`
        `&type=Decided&via=out_side` (ministry on the hub, province level on a node)."""
        query = _query(student, school, unit, start, to, type or None, via or None)
        app = log_of(request.app.state.runtime)
        recorder, cipher = app.recorder, app.mapper.cipher  # SEC-7: decrypted to be read
        lines = await asyncio.to_thread(
            lambda: list(investigate(lambda: read_log(recorder, cipher=cipher), query))
        )
        return as_json(lines, query)

    return router


def _query(student, school, unit, start, to, type_, via) -> AuditQuery:
    given = [(k, v) for k, v in (("student", student), ("school", school), ("unit", unit)) if v]
    if len(given) != 1:
        raise ContractError("school", "one_subject", "请指定且只指定一项：学籍号、学校或单位")
    window = []
    for name, value in (("from", start), ("to", to)):
        try:
            window.append(parse_time(value) if value else None)
        except ValueError:
            raise ContractError(name, "bad_time", f"{name} 不是有效的日期或时间：{value}") from None
    kind, key = given[0]
    return AuditQuery(kind, key, *window, type=type_, via=via)  # type: ignore[arg-type]
