"""SYS-2 business calendar (working days, key dates) and SYS-3 province switches; pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass as plain_dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Annotated, Any

import chinese_calendar
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from contracts.codes import PROMOTION_DAY, Stage, school_year_of
from contracts.errors import ContractError, DomainError


class CalendarNotCovered(DomainError):
    """SYS-2: a working-day computation reached a year whose holidays nobody has published
    to this system yet; refused rather than guessed as a Monday–Friday week."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year}年的法定节假日和调休上班日尚未录入（由教育部在中央平台录入），"
            f"无法计算该年的工作日期限",
            field="date",
        )
        self.year = year


@plain_dataclass(frozen=True)
class YearCalendar:
    """One year's statutory holidays and make-up working days 调休上班日, as the State
    Council publishes them; every other Monday–Friday is a working day."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    @classmethod
    def entered(cls, year: int, holidays: Iterable[Any], workdays: Iterable[Any]) -> YearCalendar:
        """The ministry's entry, checked: dates of that year, make-up days on weekends."""
        off, on = _dates(year, holidays, "holidays"), _dates(year, workdays, "workdays")
        if not off:
            raise ContractError("holidays", "holidays_required", f"请录入{year}年的法定节假日")
        if clash := sorted(off & on):
            raise ContractError("workdays", "holiday_and_workday", f"{clash[0]} 不能既放假又上班")
        if weekday := sorted(d for d in on if d.weekday() < 5):
            raise ContractError(
                "workdays", "workday_not_weekend", f"调休上班日应为周六或周日：{weekday[0]}"
            )
        return cls(year, frozenset(off), frozenset(on))

    def is_working_day(self, d: date) -> bool:
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

    def view(self) -> dict:
        return {
            "year": self.year,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }


#: Years entered by the ministry (SYS-2), by year; they take precedence over the library.
Entered = Mapping[int, YearCalendar]
NONE_ENTERED: Entered = MappingProxyType({})


def _dates(year: int, values: Iterable[Any], field: str) -> set[date]:
    found: set[date] = set()
    for value in values:
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise ContractError(field, "bad_date", f"不是有效日期：{value}") from None
        if day.year != year:
            raise ContractError(field, "wrong_year", f"{day} 不在{year}年")
        found.add(day)
    return found


def statutory_year(year: int) -> YearCalendar | None:
    """What the `chinese_calendar` library publishes for `year`, or None beyond its data."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    holidays = {d for d in chinese_calendar.holidays if d.year == year}
    workdays = {d for d in chinese_calendar.workdays if d.year == year}
    return YearCalendar(year, frozenset(holidays), frozenset(workdays))


def covers(year: int, entered: Entered = NONE_ENTERED) -> bool:
    return year in entered or statutory_year(year) is not None


def missing_years(today: date, entered: Entered = NONE_ENTERED) -> list[int]:
    """Years a deadline may reach soon that nobody covers: this one, and the next once a
    deadline of 10 working days from today could end in it (six weeks ahead)."""
    years = sorted({today.year, (today + LOOK_AHEAD).year})
    return [y for y in years if not covers(y, entered)]


LOOK_AHEAD = timedelta(weeks=6)


def calendar_health(missing: list[int]) -> dict:
    """The `calendar` part of `/healthz`: which years deadlines are refused in until the
    ministry enters them (the service itself stays up)."""
    if not missing:
        return {"status": "ok", "missing_years": []}
    years = "、".join(f"{y}年" for y in missing)
    detail = f"{years}的法定节假日和调休上班日尚未录入，期限计算将被拒绝；请教育部在中央平台录入"
    return {"status": "missing", "missing_years": missing, "detail": detail}


def is_working_day(d: date, entered: Entered = NONE_ENTERED) -> bool:
    """Chinese statutory working day: holidays are off, make-up weekend days are on. A year
    the ministry entered wins; a year no one covers raises `CalendarNotCovered`."""
    year = entered.get(d.year)
    if year is not None:
        return year.is_working_day(d)
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        raise CalendarNotCovered(d.year) from None


def add_working_days(start: date, n: int, entered: Entered = NONE_ENTERED) -> date:
    """The date n working days after `start` (start itself not counted; n = 0 gives start)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, entered):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, entered: Entered = NONE_ENTERED) -> int:
    """Working days d with start < d <= end; 0 when end <= start."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day, entered)
        day += timedelta(days=1)
    return count


def _check_month_day(value: tuple[int, int]) -> tuple[int, int]:
    month, day = value
    try:
        # 2000 is a leap year, so Feb 29 is accepted as a configured day.
        date(2000, month, day)
    except ValueError:
        raise ValueError(f"{month}月{day}日不是有效日期") from None
    return value


MonthDay = Annotated[tuple[int, int], AfterValidator(_check_month_day)]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Window:
    """A yearly (month, day) window, inclusive at both ends; may wrap over the year end."""

    start: MonthDay
    end: MonthDay

    def contains(self, d: date) -> bool:
        key = (d.month, d.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end

    @property
    def said(self) -> str:
        """The window as people say it: 7月15日至8月14日."""
        (start_month, start_day), (end_month, end_day) = self.start, self.end
        return f"{start_month}月{start_day}日至{end_month}月{end_day}日"


class KeyDates(BaseModel):
    """Key business dates (SPEC defaults); provinces may override them (GRD-3, [004 Q90])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    promotion: MonthDay = PROMOTION_DAY  # GRD-3: grades move up at Aug 10 24:00
    graduation_deadline: MonthDay = (7, 30)  # GRD-1
    transfer_freeze: Window = Window((7, 15), (8, 14))  # XPT-8
    pge_windows: tuple[Window, ...] = Field(  # PGE-2
        default=(Window((8, 15), (12, 14)), Window((3, 1), (5, 31)))
    )
    pge_admission_deadline: MonthDay = (11, 30)  # PGE-2
    # ADM-4: admission windows per kind, the province's to set [004 Q93]; by default from the
    # results in June to the end of admission work on Nov 30 [003 §四].
    junior_admission_window: Window = Window((6, 1), (11, 30))
    senior_admission_window: Window = Window((6, 1), (11, 30))

    def with_overrides(self, overrides: Mapping[str, Any]) -> KeyDates:
        """A copy with a province's overrides applied (JSON-shaped values accepted)."""
        for key in overrides:
            if key not in type(self).model_fields:
                raise ContractError(key, "unknown_key_date", f"未知的关键日期 {key}")
        try:
            return type(self).model_validate({**self.model_dump(), **overrides})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise ContractError(
                field, "invalid_key_date", f"关键日期 {field} 不合法: {first['msg']}"
            ) from None

    def school_year(self, d: date) -> int:
        """GRD-3: the school year in force on `d` (it turns at this province's promotion)."""
        return school_year_of(d, self.promotion)

    def admission_window(self, stage: Stage) -> Window:
        """ADM-4: the window in which lists are imported and students admitted."""
        if stage is Stage.SENIOR:
            return self.senior_admission_window
        return self.junior_admission_window

    def transfers_frozen(self, d: date) -> bool:
        """XPT-8: no new cross-province transfers may start on this day."""
        return self.transfer_freeze.contains(d)

    def pge_open(self, d: date) -> bool:
        """PGE-2: new post-graduation enrollment cases may start on this day."""
        return any(window.contains(d) for window in self.pge_windows)


class Switches(BaseModel):
    """SYS-3 province switches; strict so a stored "false" string cannot turn a switch on."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    instant_dedup: bool = True
    auth_failure_blocks: bool = False
    under_age_blocks: bool = False
    registration_open: bool = True  # REG-10
    auto_archive_pull: bool = False  # XPT-6: a hub setting, off by default

    def with_changes(self, **changes: bool) -> Switches:
        for name, value in changes.items():
            if name not in type(self).model_fields:
                raise ContractError(name, "unknown_switch", f"未知的开关 {name}")
            if not isinstance(value, bool):
                raise ContractError(name, "invalid_switch", f"开关 {name} 的值必须是 true 或 false")
        return type(self).model_validate({**self.model_dump(), **changes})
