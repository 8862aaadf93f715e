"""SYS-2 use cases of the hub's national calendar: the ministry enters a year the library
lacks; every deadline on the hub, and the nodes (`xueji.rpc.hub.calendar.years`), use it.

Mixed into `NationalHub`; runs on its writer thread. `calendar_years` is the in-memory copy
every working-day computation of the hub receives.
"""

from __future__ import annotations

from datetime import date

from eventsourcing.application import AggregateNotFoundError

from contracts.calendar import Entered, YearCalendar, missing_years, statutory_year
from contracts.errors import ContractError
from hub.domain.calendar import NationalCalendar

FIRST_YEAR, LAST_YEAR = 2000, 2100


class CalendarUseCases:
    calendar_years: Entered

    def load_calendar(self) -> None:
        self.calendar_years = self._calendar().entered()

    def calendar_year(self, year: int) -> dict:
        """What the hub computes with for `year`: the ministry's entry, else the library's."""
        _check_year(year)
        entered = self.calendar_years.get(year)
        found = entered or statutory_year(year)
        source = "entered" if entered else ("statutory" if found else "missing")
        view = found.view() if found else {"year": year, "holidays": [], "workdays": []}
        return view | {"source": source}

    def enter_calendar_year(
        self, year: int, holidays: list[str], workdays: list[str], meta: dict
    ) -> dict:
        """Checked first; entering the same days again changes nothing (a repeat is safe)."""
        _check_year(year)
        checked = YearCalendar.entered(year, holidays, workdays)
        if self.calendar_years.get(year) != checked:
            calendar = self._calendar()
            view = checked.view()
            calendar.enter_year(year, view["holidays"], view["workdays"], meta)
            self.save(calendar)
            self.calendar_years = {**self.calendar_years, year: checked}
        return self.calendar_year(year)

    def calendar_missing(self, today: date) -> list[int]:
        return missing_years(today, self.calendar_years)

    def _calendar(self) -> NationalCalendar:
        try:
            return self.repository.get(NationalCalendar.create_id())
        except AggregateNotFoundError:
            return NationalCalendar()


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ContractError("year", "bad_year", f"年份应在{FIRST_YEAR}至{LAST_YEAR}之间：{year}")
