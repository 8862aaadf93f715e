"""SYS-2 business calendar (working days, key dates) and SYS-3 province switches; pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any

import chinese_calendar
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from contracts.errors import ContractError


def is_working_day(d: date) -> bool:
    """Chinese statutory working day: holidays are off, make-up weekend days are on."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        # The library only knows years the State Council has published; a deadline must
        # still be computable beyond them, so assume an ordinary Monday–Friday week.
        return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The date n working days after `start` (start itself not counted; n = 0 gives start)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end; 0 when end <= start."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
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


class KeyDates(BaseModel):
    """Key business dates (SPEC defaults); provinces may override them (GRD-3, [004 Q90])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    promotion: MonthDay = (8, 10)  # GRD-3: grades move up at Aug 10 24:00
    graduation_deadline: MonthDay = (7, 30)  # GRD-1
    transfer_freeze: Window = Window((7, 15), (8, 14))  # XPT-8
    pge_windows: tuple[Window, ...] = Field(  # PGE-2
        default=(Window((8, 15), (12, 14)), Window((3, 1), (5, 31)))
    )
    pge_admission_deadline: MonthDay = (11, 30)  # PGE-2

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
