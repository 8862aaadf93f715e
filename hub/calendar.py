"""SYS-2 use cases of the hub's national calendar: the ministry enters a year the library
lacks; every deadline on the hub, and the nodes (`xueji.rpc.hub.calendar.years`), use it.

Writes run on the hub's writer thread; `NationalHub.calendar_years` is the in-memory copy
every working-day computation of the hub receives, replaced once a year is saved.
"""

from __future__ import annotations

from datetime import date

from contracts.calendar import Entered, YearCalendar, missing_years, statutory_year
from contracts.errors import ContractError
from hub.application import NationalHub
from xueji.store import Writer

FIRST_YEAR, LAST_YEAR = 2000, 2100


class CalendarService:
    def __init__(self, hub: NationalHub, writer: Writer) -> None:
        self.hub, self.writer = hub, writer

    async def year(self, year: int) -> dict:
        """What the hub computes with for `year`: the ministry's entry, else the library's."""
        return await self.writer(self._year, year)

    def _year(self, year: int) -> dict:
        _check_year(year)
        entered = self.hub.calendar_years.get(year)
        found = entered or statutory_year(year)
        source = "entered" if entered else ("statutory" if found else "missing")
        view = found.view() if found else {"year": year, "holidays": [], "workdays": []}
        return view | {"source": source}

    async def enter_year(
        self, year: int, holidays: list[str], workdays: list[str], meta: dict
    ) -> dict:
        """Checked first; entering the same days again changes nothing (a repeat is safe)."""
        return await self.writer(self._enter_year, year, holidays, workdays, meta)

    def _enter_year(self, year: int, holidays: list[str], workdays: list[str], meta: dict) -> dict:
        _check_year(year)
        checked = YearCalendar.entered(year, holidays, workdays)
        if self.hub.calendar_years.get(year) != checked:
            calendar = self.hub.national_calendar()
            view = checked.view()
            calendar.enter_year(year, view["holidays"], view["workdays"], meta)
            self.hub.save(calendar)
            self.hub.calendar_years = {**self.hub.calendar_years, year: checked}
        return self._year(year)

    def missing(self, today: date) -> list[int]:
        """The years deadlines need that nobody has entered (in memory: no store read)."""
        return missing_years(today, self.hub.calendar_years)

    async def entered(self) -> Entered:
        """The years the ministry entered, as the nodes ask for them."""
        return await self.writer(lambda: dict(self.hub.calendar_years))


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ContractError("year", "bad_year", f"年份应在{FIRST_YEAR}至{LAST_YEAR}之间：{year}")
