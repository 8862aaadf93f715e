"""The hub's side of the bus: RPC handlers (thin) and the followers of province streams."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind

from contracts import subjects
from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.envelope import decode
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from contracts.streams import epoch_of
from hub.application import NationalHub
from hub.identities import IdentityService
from hub.senders import acting_province, check_sender
from xueji.bus import ensure_stream, follow_durable, serve
from xueji.faults import fault_point
from xueji.lifecycle import stop_tasks
from xueji.logs import bind_command, get_logger
from xueji.store import Writer
from xueji.telemetry import context_from, tracer

log = get_logger("hub.messaging")

#: Unacknowledged province messages come back after this long (e.g. the hub died mid-batch).
ACK_WAIT_SECONDS = 5.0
#: BUS-6: a message that failed this many deliveries is dead-lettered, so the stream moves on.
MAX_DELIVERIES = 5
_ALARM_LABELS = {
    "sequence_backwards": "事件流序号倒退（省级事件流丢失或被重建），已停止同步，需从省级日志重发",
    "stream_recreated": "事件流被重建，已停止同步，需从省级日志重发",
}


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
    """Applies one province's stream in order through a durable pull consumer (BUS-4).

    BUS-6: the stream is checked when following starts and every `check_seconds`. One whose
    last sequence is below what the hub applied, or that was created anew while followed,
    lost messages (the province's server lost its store, the stream was recreated): its
    new messages would take the old sequence numbers and be acked as duplicates. The hub
    stops following it instead and raises an alarm (`alarm`: `/healthz` `stream_alarms`,
    the monitoring page's 事件流告警) until the province republishes from its log
    (`xueji repair republish`).
    """

    def __init__(
        self,
        hub: NationalHub,
        writer: Writer,
        province: str,
        batch_size: int = 200,
        check_seconds: float = 10.0,
        replicas: int = 1,
    ) -> None:
        self.hub, self.writer, self.province, self.batch_size = hub, writer, province, batch_size
        self.check_seconds, self.replicas = check_seconds, replicas
        self.applied = 0
        self.alarm: dict | None = None
        self._created: datetime | None = None  # the followed stream's creation time

    async def run(self, nc: Client) -> None:
        stream = subjects.province_stream(self.province)
        await ensure_stream(nc, stream, [subjects.province_events(self.province)], self.replicas)
        if await self._gone_backwards(nc):
            return
        follow = asyncio.create_task(
            follow_durable(
                nc,
                stream,
                subjects.province_events(self.province),
                subjects.HUB_DURABLE,
                self._handle_batch,
                batch=self.batch_size,
                ack_wait=ACK_WAIT_SECONDS,
            ),
            name=f"fetch-{self.province}",
        )
        try:
            while True:
                done, _ = await asyncio.wait({follow}, timeout=self.check_seconds)
                if done:
                    return follow.result()  # a crash: the supervisor starts it again
                if await self._gone_backwards(nc):
                    return
        finally:  # shielded: a second cancellation of this task must not orphan the fetch
            follow.cancel()
            await asyncio.shield(stop_tasks([follow]))

    async def _gone_backwards(self, nc: Client) -> bool:
        """True (and the alarm raised) when the stream lost messages the hub applied."""
        if self.alarm is not None:
            return True
        # The position first: a message applied between the two reads is then on the stream.
        position, source = await self.writer(self._applied)
        try:
            info = await nc.jetstream().stream_info(subjects.province_stream(self.province))
        except Exception as exc:  # noqa: BLE001 - NATS away: the next check sees it
            log.warning("stream_check_failed", province=self.province, error=repr(exc))
            return False
        recreated = self._created is not None and info.created != self._created
        self._created = self._created or info.created
        if info.state.last_seq >= position and not recreated:
            return False
        reason = "stream_recreated" if recreated else "sequence_backwards"
        self.alarm = {
            "province": self.province,
            "reason": reason,
            "label": _ALARM_LABELS[reason],
            "applied_position": position,
            "stream_last_seq": info.state.last_seq,
            # the province's last notification applied: republish from the one after it
            "last_source_notification_id": source,
            "detected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        log.error("stream_alarm", **self.alarm)
        return True

    def _applied(self) -> tuple[int, int | None]:
        """The position in the stream and the province's notification id it reached."""
        leader = self.hub.leader(self.province)
        head = self.hub.recorder.seen_heads().get(leader) or {}
        return self.hub.position(self.province), head.get("notification_id")

    def clear_alarm(self) -> None:
        """After the repair: the next run follows the stream as it is now."""
        self.alarm, self._created = None, None

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
                epoch = epoch_of((msg.headers or {}).get("Nats-Msg-Id"))  # BUS-6 repairs
                outcome = await self.writer(self.hub.apply_province_message, self.province,
                                            sequence, msg.subject, msg.data, epoch)  # fmt: skip
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


def stream_alarms(followers: list[ProvinceFollower]) -> list[dict]:
    """BUS-6: the province streams the hub stopped following, for `/healthz` and the console."""
    return [follower.alarm for follower in followers if follower.alarm is not None]
