"""SYS-2 on a node: the calendar years the ministry entered on the hub, kept in memory so
working days here are the hub's working days (`xueji.rpc.hub.calendar.years`).

Fetched once NATS is up and every few minutes after; a computation that meets a year the
copy lacks asks the hub again first, and is refused (`CalendarNotCovered`) only if the hub
has not got it either (or cannot be asked).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from contracts import subjects
from contracts.calendar import CalendarNotCovered, YearCalendar, missing_years
from contracts.meta import CommandMeta
from contracts.queries import CalendarYears, CalendarYearsQuery
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.logs import get_logger

log = get_logger("province_node.calendar")
T = TypeVar("T")
REFRESH_SECONDS = 300.0
RETRY_SECONDS = 2.0  # until the first answer


class HubCalendar:
    def __init__(self, bus: Bus, province: str, timeout: float) -> None:
        self.bus, self.timeout = bus, timeout
        self.subject = subjects.hub_rpc(province, subjects.HUB_CALENDAR_YEARS)
        self.meta = CommandMeta.new("system", f"{province}0000", "sysadmin")
        self.years: dict[int, YearCalendar] = {}
        self.fetched = False

    async def refresh(self) -> None:
        query = CalendarYearsQuery(envelope=self.meta.envelope())
        reply = await self.bus.ask(self.subject, query, CalendarYears, self.timeout)
        self.years = {
            y.year: YearCalendar.entered(y.year, y.holidays, y.workdays) for y in reply.years
        }
        self.fetched = True

    async def run(self) -> None:
        while True:
            if self.bus.connected:
                try:
                    await self.refresh()
                except (BusUnavailable, RemoteError) as error:
                    log.warning("calendar_refresh_failed", error=str(error))
            await asyncio.sleep(REFRESH_SECONDS if self.fetched else RETRY_SECONDS)

    async def compute(self, work: Callable[[dict[int, YearCalendar]], T]) -> T:
        """`work(entered years)`, asking the hub once more if it meets an uncovered year."""
        try:
            return work(self.years)
        except CalendarNotCovered:
            try:
                await self.refresh()
            except (BusUnavailable, RemoteError) as error:
                log.warning("calendar_refresh_failed", error=str(error))
                raise
            return work(self.years)

    def missing(self, today: date) -> list[int]:
        return missing_years(today, self.years)
