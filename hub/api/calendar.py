"""SYS-2 national calendar on the hub: the ministry enters the statutory holidays and make-up
working days of a year the calendar library does not carry; every deadline then uses them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from contracts.meta import CommandMeta
from hub.api.deps import Runtime
from xueji.access.guards import CurrentUser, MinistrySysadmin

router = APIRouter(prefix="/api/v1/admin/calendar", tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2100)]


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[str] = Field(max_length=366)  # ISO dates off work
    workdays: list[str] = Field(default_factory=list, max_length=366)  # weekend days worked


@router.get("/{year}")
async def calendar_year(year: Year, runtime: Runtime, user: CurrentUser) -> dict:
    """The year's days off and make-up working days, and where they come from: `entered` (by
    the ministry), `statutory` (the calendar library) or `missing` (deadlines refused)."""
    return await runtime.calendar.year(year)


@router.put("/{year}")
async def enter_calendar_year(
    year: Year, body: YearIn, runtime: Runtime, user: MinistrySysadmin
) -> dict:
    """The ministry's sysadmin enters (or corrects) a year as the State Council published it."""
    meta = CommandMeta.new(user.username, user.unit_code, user.role).as_dict()
    return await runtime.calendar.enter_year(year, body.holidays, body.workdays, meta)
