"""QRY-6 over the bus: the node answers the hub's `CountStudents` from its students view."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import decode
from contracts.queries import CountGroup, CountStudents, StudentCounts
from projections.service import Views
from province_node.statistics import StudentStatistics
from xueji.bus import serve


async def serve_counts(nc: Client, views: Views, province: str) -> None:
    statistics = StudentStatistics(views)

    async def handle(msg: Msg) -> StudentCounts:
        query = decode(CountStudents, msg.data)  # a ContractError becomes a typed error reply
        found = await statistics.count(query.by, None, query.statuses, query.flag)
        groups, total = found["groups"], found["total"]
        return StudentCounts(
            province=province,
            by=query.by,
            groups=[CountGroup(**g) for g in groups],
            total=total,
        )

    subject = subjects.province_count_students(province)
    await serve(nc, subject, subjects.province_queue(province), handle)
