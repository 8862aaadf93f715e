"""QRY-6 on a node: counts of a jurisdiction by one dimension, from the students view."""

from __future__ import annotations

from contracts.codes import StudentStatus
from projections.service import Views
from projections.statistics import count
from province_node.views.dropouts import flag_groups


class StudentStatistics:
    def __init__(self, views: Views) -> None:
        self.views = views

    async def count(self, by: str, schools: list[str] | None, statuses: list[str],
                    flag: str | None = None) -> dict:  # fmt: skip
        """`{"by", "flag", "groups": [{"key", "count"}], "total"}` (enrolled by default)."""
        statuses = statuses or [StudentStatus.ENROLLED.value]
        await self.views.caught_up()
        table = self.views.view("students").table("students")
        groups, total = await self.views.read(count, table, by, schools, statuses, flag)
        if by == "flags" and flag is None:  # DRP: open dropout cases count beside the flags
            cases = self.views.view("dropouts").table("dropouts")
            groups += await self.views.read(flag_groups, cases, schools)
        return {"by": by, "flag": flag, "groups": groups, "total": total}
