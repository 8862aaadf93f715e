"""All time goes through one clock, so tests set the time instead of sleeping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware, in Asia/Shanghai (business days and windows are Beijing time)."""
        ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = _shanghai(at)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.date()

    def set(self, at: datetime) -> None:
        self._at = _shanghai(at)

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Moves forward by `delta` and/or timedelta keyword parts (days=…, hours=…)."""
        self._at += (delta or timedelta()) + timedelta(**parts)
        return self._at


def _shanghai(at: datetime) -> datetime:
    # A naive time is ambiguous across nodes, so refuse it rather than guess a zone.
    if at.tzinfo is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return at.astimezone(SHANGHAI)
