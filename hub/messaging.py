"""The hub's side of the bus: RPC handlers (thin) and the followers of province streams."""

from __future__ import annotations

import asyncio
import contextlib

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.trace import SpanKind

from contracts import subjects
from contracts.commands import ClaimIdentity
from contracts.envelope import decode
from contracts.replies import IdentityClaimReply
from hub.application import NationalHub
from xueji.bus import ensure_stream, serve
from xueji.logs import bind_command, get_logger
from xueji.store import Writer
from xueji.telemetry import context_from, tracer

log = get_logger("hub.messaging")

#: Unacknowledged province messages come back after this long (e.g. the hub died mid-batch).
ACK_WAIT_SECONDS = 5.0


async def serve_rpc(nc: Client, hub: NationalHub, writer: Writer) -> None:
    async def claim(msg: Msg) -> IdentityClaimReply:
        command = decode(ClaimIdentity, msg.data)
        actor = command.envelope.actor
        bind_command(str(command.envelope.command_id), actor.account, actor.unit_code)
        return await writer(hub.claim_identity, command)

    await serve(nc, subjects.HUB_IDENTITY_CLAIM, subjects.HUB_QUEUE, claim)


class ProvinceFollower:
    """Applies one province's stream in order through a durable pull consumer (BUS-4)."""

    def __init__(
        self, hub: NationalHub, writer: Writer, province: str, batch_size: int = 200
    ) -> None:
        self.hub, self.writer, self.province, self.batch_size = hub, writer, province, batch_size
        self.applied = 0

    async def run(self, nc: Client) -> None:
        stream = subjects.province_stream(self.province)
        await ensure_stream(nc, stream, [subjects.province_events(self.province)])
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
        )
        sub = await nc.jetstream().pull_subscribe(
            subjects.province_events(self.province),
            durable=subjects.HUB_DURABLE,
            stream=stream,
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
                messages = await sub.fetch(batch=self.batch_size, timeout=1)
            except (TimeoutError, NatsTimeout):  # nats-py raises either: no news
                continue
            except Exception as exc:  # noqa: BLE001 - NATS away: wait, the client reconnects
                log.warning("province_fetch_failed", province=self.province, error=str(exc))
                await asyncio.sleep(1)
                continue
            try:
                await self._handle_batch(messages)
            except Exception:  # the store failed: unacked messages come back after ack_wait
                log.exception("province_apply_failed", province=self.province)
                await asyncio.sleep(1)

    async def _handle_batch(self, messages: list[Msg]) -> None:
        for index, msg in enumerate(messages):
            outcome = await self._apply(msg)
            if outcome == "gap":  # an earlier message is missing: let it arrive first
                for later in messages[index:]:
                    await later.nak(delay=0.2)
                return
            await msg.ack()

    async def _apply(self, msg: Msg) -> str:
        sequence = msg.metadata.sequence.stream
        with tracer().start_as_current_span(
            f"hub apply {msg.subject}", context=context_from(msg.headers), kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("xueji.province", self.province)
            span.set_attribute("xueji.stream_sequence", sequence)
            outcome = await self.writer(
                self.hub.apply_province_message, self.province, sequence, msg.subject, msg.data
            )
            span.set_attribute("xueji.outcome", outcome)
        if outcome == "applied":
            self.applied += 1
        elif outcome == "rejected":
            log.error(
                "province_message_rejected",
                province=self.province,
                sequence=sequence,
                subject=msg.subject,
            )
        return outcome
