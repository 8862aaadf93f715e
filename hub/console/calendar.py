"""节假日录入 (SYS-2) on the ministry's console: see a year's days off and make-up working
days and where they come from; the sysadmin enters a year the calendar library lacks."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.meta import CommandMeta
from xueji.access.guards import MinistrySysadmin
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/calendar")
async def calendar(request: Request, user: User, year: int | None = None) -> Response:
    runtime = request.app.state.runtime
    year = year or runtime.clock.today().year
    shown = await runtime.calendar.year(year)
    return await _page(request, year, shown, {})


@router.post("/calendar")
async def enter(request: Request, user: MinistrySysadmin) -> Response:
    """The form's dates one per line (or separated by commas or spaces)."""
    form = await request.form()
    runtime, errors = request.app.state.runtime, {}
    raw = str(form.get("year", ""))
    year = int(raw) if raw.isdigit() else 0  # 0: refused as a bad year, next to the field
    holidays, workdays = _dates(form.get("holidays")), _dates(form.get("workdays"))
    meta = CommandMeta.new(user.username, user.unit_code, user.role).as_dict()
    try:
        shown = await runtime.calendar.enter_year(year, holidays, workdays, meta)
    except Exception as refused:  # noqa: BLE001 - shown next to its field
        errors = field_errors(refused)
        shown = {"year": year, "holidays": holidays, "workdays": workdays, "source": None}
    return await _page(request, year, shown, errors, saved=not errors)


def _dates(value: object) -> list[str]:
    return [d for d in re.split(r"[\s,，、]+", str(value or "")) if d]


async def _page(request: Request, year: int, shown: dict, errors: dict, saved: bool = False):
    runtime = request.app.state.runtime
    missing = runtime.calendar.missing(runtime.clock.today())
    return console_of(request).page(
        request,
        "calendar.html",
        status=422 if errors else 200,
        title="节假日录入",
        year=year,
        shown=shown,
        errors=errors,
        saved=saved,
        missing=missing,
    )
