"""SYS-2: the national calendar the ministry keeps on the hub — the statutory holidays and
make-up working days of the years the `chinese_calendar` library does not (yet) carry."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.calendar import YearCalendar

_NS = uuid5(NAMESPACE_URL, "xueji:hub:calendar")


class NationalCalendar(Aggregate):
    """One aggregate for the whole country; each entry of a year replaces the previous one."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NS, "national")

    @event("Opened")
    def __init__(self) -> None:
        self.years: dict[str, dict] = {}  # by year as text: the state stays JSON-shaped

    @event("YearEntered")
    def enter_year(self, year: int, holidays: list[str], workdays: list[str], meta: dict) -> None:
        self.years[str(year)] = {"holidays": holidays, "workdays": workdays, "meta": meta}

    def entered(self) -> dict[int, YearCalendar]:
        return {
            int(year): YearCalendar.entered(int(year), entry["holidays"], entry["workdays"])
            for year, entry in self.years.items()
        }
