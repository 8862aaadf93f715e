"""QRY-6 for the ministry: every province node is asked over NATS, the answers are summed.

A province that does not answer in time (node down, NATS link cut) is listed in
`missing_provinces` instead of failing the whole figure.
"""

from __future__ import annotations

import asyncio

from contracts import subjects
from contracts.meta import CommandMeta
from contracts.queries import CountStudents, StudentCounts
from projections.statistics import add_up
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.logs import get_logger

log = get_logger("hub.statistics")
TIMEOUT_SECONDS = 3.0


class NationalStatistics:
    def __init__(self, bus: Bus, provinces: list[str]) -> None:
        self.bus, self.provinces = bus, list(provinces)

    async def count(self, by: str, statuses: list[str], flag: str | None,
                    meta: CommandMeta) -> dict:  # fmt: skip
        """The nation's counts by one dimension, each province's total beside."""
        query = CountStudents(envelope=meta.envelope(), by=by, statuses=statuses, flag=flag)
        answers = await asyncio.gather(*(self._ask(p, query) for p in self.provinces))
        missing = [p for p, a in zip(self.provinces, answers, strict=True) if a is None]
        return add_up(by, [a for a in answers if a is not None], missing) | {"flag": flag}

    async def _ask(self, province: str, query: CountStudents) -> StudentCounts | None:
        subject = subjects.province_count_students(province)
        try:
            answer = await self.bus.ask(subject, query, StudentCounts, TIMEOUT_SECONDS)
        except (BusUnavailable, RemoteError) as exc:
            log.warning("province_count_missing", province=province, error=str(exc))
            return None
        return answer if answer.province == province else None  # a forged answer counts as none
