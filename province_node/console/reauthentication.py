"""重新认证 page (系统管理, ID-3, REG-5): the province sysadmin starts the yearly run over the
`L` records and watches its progress (a fragment htmx polls while it runs)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.errors import DomainError
from xueji.access.guards import ProvinceSysadmin
from xueji.console.kit import ConsoleRoute, console_of, meta_of

router = APIRouter(prefix="/reauthentication", route_class=ConsoleRoute, include_in_schema=False)


async def _page(request: Request, status: int = 200, **context) -> Response:
    runs = await request.app.state.runtime.reauthentications.runs()
    context = {"runs": runs, "run": runs[0] if runs else None, "error": None} | context
    return console_of(request).page(request, "reauthentication.html", status=status,
                                    title="重新认证", **context)  # fmt: skip


@router.get("")
async def page(request: Request, user: ProvinceSysadmin) -> Response:
    return await _page(request)


@router.post("")
async def start(request: Request, user: ProvinceSysadmin) -> Response:
    try:
        run = await request.app.state.runtime.reauthentications.start(meta_of(user))
    except DomainError as error:
        return await _page(request, 409, error=error.message)
    return await _page(request, run=run)


@router.get("/{run_id}")
async def progress(request: Request, user: ProvinceSysadmin, run_id: UUID) -> Response:
    """The run's progress as a fragment, polled while it runs."""
    run = await request.app.state.runtime.reauthentications.run(run_id)
    return console_of(request).page(request, "_reauthentication_run.html", run=run)
