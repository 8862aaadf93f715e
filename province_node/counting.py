"""QRY-6 over the bus: the node answers the hub's `CountStudents` from its students view."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import decode
from contracts.queries import CountGroup, CountStudents, StudentCounts
from projections.service import Views
from projections.statistics import count
from province_node.views.dropouts import flag_groups
from xueji.bus import serve


async def serve_counts(nc: Client, views: Views, province: str) -> None:
    table = views.view("students").table("students")

    async def handle(msg: Msg) -> StudentCounts:
        query = decode(CountStudents, msg.data)  # a ContractError becomes a typed error reply
        await views.caught_up()
        groups, total = await views.read(count, table, query.by, None, query.statuses)
        if query.by == "flags":  # DRP: open dropout cases, summed by the hub like the flags
            groups += await views.read(flag_groups, views.view("dropouts").table("dropouts"), None)
        return StudentCounts(
            province=province,
            by=query.by,
            groups=[CountGroup(**g) for g in groups],
            total=total,
        )

    subject = subjects.province_count_students(province)
    await serve(nc, subject, subjects.province_queue(province), handle)
