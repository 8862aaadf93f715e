"""The node's durable consumer of hub notices (stream `HUB_OUT`, BUS-4) and its RPC answer
to the hub's questions about its students (`xueji.rpc.prov.<prov>.case.prepare`)."""

from __future__ import annotations

import asyncio
import contextlib

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import subjects
from contracts.cases import PrepareCaseOut, decode_notice
from contracts.envelope import decode
from contracts.errors import ContractError, DomainError
from province_node.cases import CaseService
from xueji.bus import ensure_stream, serve
from xueji.logs import get_logger
from xueji.outbox import OutboxRelay
from xueji.telemetry import context_from, tracer

log = get_logger("province_node.notices")
ACK_WAIT_SECONDS = 5.0


async def serve_prepare(nc: Client, cases: CaseService) -> None:
    async def prepare(msg: Msg):
        return await cases.prepare_out(decode(PrepareCaseOut, msg.data))

    subject = subjects.prov_case_prepare(cases.node.province)
    await serve(nc, subject, subjects.PROV_QUEUE, prepare)


class NoticeFollower:
    """Applies the hub's notices for this province; each is idempotent by the record's state,
    so redeliveries (after a crash, a NATS restart, or a duplicate) change nothing."""

    def __init__(self, cases: CaseService, relay: OutboxRelay) -> None:
        self.cases, self.relay = cases, relay
        self.province = cases.node.province
        self.applied = 0

    async def run(self, nc: Client) -> None:
        await ensure_stream(nc, subjects.HUB_OUT_STREAM, [f"{subjects.HUB_OUT_PREFIX}.>"])
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
        )
        sub = await nc.jetstream().pull_subscribe(
            subjects.hub_out_for(self.province),
            durable=subjects.hub_out_durable(self.province),
            stream=subjects.HUB_OUT_STREAM,
            config=config,
        )
        try:
            await self._follow(sub)
        finally:  # a pending fetch would hold up the connection's drain at shutdown
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _follow(self, sub) -> None:
        while True:
            try:
                messages = await sub.fetch(batch=50, timeout=1)
            except (TimeoutError, NatsTimeout):  # nats-py raises either: no news
                continue
            except Exception as exc:  # noqa: BLE001 - NATS away: the client reconnects
                log.warning("notice_fetch_failed", error=str(exc))
                await asyncio.sleep(1)
                continue
            for msg in messages:
                await self._handle(msg)

    async def _handle(self, msg: Msg) -> None:
        with tracer().start_as_current_span(
            f"node apply {msg.subject}", context=context_from(msg.headers)
        ):
            try:
                notice = decode_notice(msg.data)
                outcome = await self.cases.writer(self.cases.node.apply_notice, notice)
            except (ContractError, DomainError) as exc:  # unusable: recorded in the log, dropped
                log.error("notice_refused", subject=msg.subject, error=str(exc))
                await msg.term()
                return
            except Exception:  # the store failed: it comes back after ack_wait
                log.exception("notice_apply_failed", subject=msg.subject)
                return
        await msg.ack()
        if outcome == "applied":
            self.applied += 1
            self.relay.wake()  # a transfer out/in is to be published now
        log.info(
            "notice_applied", notice=notice.notice, case_id=str(notice.case_id), outcome=outcome
        )
