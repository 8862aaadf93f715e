"""QRY-4 over the bus: the node answers the hub's `RecordSummaryQuery` about one of its
students (`CaseSides.summary`), so the national query shows the record as it is now."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import decode
from contracts.national import RecordSummary, RecordSummaryQuery
from province_node.case_sides import CaseSides
from xueji.bus import serve


async def serve_summary(nc: Client, sides: CaseSides) -> None:
    async def handle(msg: Msg) -> RecordSummary:
        return await sides.summary(decode(RecordSummaryQuery, msg.data))

    province = sides.node.province
    subject = subjects.prov_record_summary(province)
    await serve(nc, subject, subjects.province_queue(province), handle)
