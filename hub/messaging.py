"""The hub's side of the bus: RPC handlers (thin) and the followers of province streams."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind

from contracts import subjects
from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.envelope import decode
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from hub.application import NationalHub
from hub.identities import IdentityService
from hub.senders import acting_province, check_sender
from xueji.bus import ensure_stream, follow_durable, serve
from xueji.faults import fault_point
from xueji.logs import bind_command, get_logger
from xueji.store import Writer
from xueji.telemetry import context_from, tracer

log = get_logger("hub.messaging")

#: Unacknowledged province messages come back after this long (e.g. the hub died mid-batch).
ACK_WAIT_SECONDS = 5.0
#: BUS-6: a message that failed this many deliveries is dead-lettered, so the stream moves on.
MAX_DELIVERIES = 5


async def serve_rpc(nc: Client, identities: IdentityService) -> None:
    async def claim(msg: Msg) -> IdentityClaimReply:
        command = decode(ClaimIdentity, msg.data)
        actor = command.envelope.actor
        bind_command(str(command.envelope.command_id), actor.account, actor.unit_code)
        _check_claim(acting_province(msg), command)
        fault_point("hub.claim.received")
        return await identities.claim(command)

    async def claim_batch(msg: Msg) -> IdentityClaimsReply:
        command = decode(ClaimIdentities, msg.data)
        actor = command.envelope.actor
        bind_command(str(command.envelope.command_id), actor.account, actor.unit_code)
        province = acting_province(msg)
        check_sender(province, command)
        for item in command.items:
            _check_claim(province, item)
        return await identities.claim_batch(command)

    await serve(nc, _hub_rpc(subjects.HUB_IDENTITY_CLAIM), subjects.HUB_QUEUE, claim)
    await serve(nc, _hub_rpc(subjects.HUB_IDENTITY_CLAIM_BATCH), subjects.HUB_QUEUE, claim_batch)


def _hub_rpc(name: str) -> str:
    """RPC `name` as every province asks it (`xueji.rpc.hub.*.<name>`)."""
    return subjects.hub_rpc("*", name)


def _check_claim(province: str, claim: ClaimIdentity) -> None:
    check_sender(
        province, claim, provinces=[claim.province], units=[("school_code", claim.school_code)]
    )


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
        await follow_durable(
            nc,
            stream,
            subjects.province_events(self.province),
            subjects.HUB_DURABLE,
            self._handle_batch,
            batch=self.batch_size,
            ack_wait=ACK_WAIT_SECONDS,
        )

    async def _handle_batch(self, messages: list[Msg]) -> None:
        for index, msg in enumerate(messages):
            outcome = await self._apply(msg)
            if outcome in ("gap", "retry"):  # an earlier one is missing, or this one failed
                delay = 0.2 if outcome == "gap" else 0.5 * msg.metadata.num_delivered
                for later in messages[index:]:
                    await later.nak(delay=delay)
                return
            await msg.ack()

    async def _apply(self, msg: Msg) -> str:
        sequence = msg.metadata.sequence.stream
        fault_point("hub.follower.before_apply")
        with tracer().start_as_current_span(
            f"hub apply {msg.subject}", context=context_from(msg.headers), kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("xueji.province", self.province)
            span.set_attribute("xueji.stream_sequence", sequence)
            try:
                outcome = await self.writer(
                    self.hub.apply_province_message, self.province, sequence, msg.subject, msg.data
                )
            except Exception as error:  # noqa: BLE001 - BUS-6: retried, then dead-lettered
                outcome = await self._failed(msg, sequence, error)
            span.set_attribute("xueji.outcome", outcome)
        if outcome == "applied":
            self.applied += 1
        elif outcome == "retry":
            log.warning("province_message_retry", province=self.province, sequence=sequence,
                        deliveries=msg.metadata.num_delivered)  # fmt: skip
        elif outcome == "rejected":
            log.error(
                "province_message_rejected",
                province=self.province,
                sequence=sequence,
                subject=msg.subject,
            )
        return outcome

    async def _failed(self, msg: Msg, sequence: int, error: Exception) -> str:
        """A failure the message's own rules did not refuse (the store, a defect): tried
        again, and after `MAX_DELIVERIES` recorded as a dead letter in its place."""
        if msg.metadata.num_delivered < MAX_DELIVERIES:
            return "retry"
        reason = f"{type(error).__name__}: {error}"[:500]
        log.error("province_message_dead_lettered", province=self.province, sequence=sequence,
                  reason=reason)  # fmt: skip
        return await self.writer(self.hub.give_up, self.province, sequence, msg.subject, msg.data,
                                 reason)  # fmt: skip
