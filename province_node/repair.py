"""BUS-6 repair at the node: the hub asks it to publish its log again from a notification id,
as a new epoch (`contracts.streams`), after this province's stream went backwards."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import decode
from contracts.streams import RepublishFrom, RepublishStarted
from xueji.bus import serve
from xueji.outbox import OutboxRelay
from xueji.store import Writer


async def serve_repair(nc: Client, relay: OutboxRelay, writer: Writer, province: str) -> None:
    """Only this province's subject: NATS lets no one else subscribe to it (SEC-5)."""

    async def republish(msg: Msg) -> RepublishStarted:
        asked = decode(RepublishFrom, msg.data)
        start, epoch = asked.from_notification_id, asked.epoch
        last = await writer(relay.restart_from, start, epoch)
        return RepublishStarted(
            province=province, epoch=epoch, from_notification_id=start, last_notification_id=last
        )

    queue = subjects.province_queue(province)
    await serve(nc, subjects.prov_repair_republish(province), queue, republish)
