"""The outbox relay (BUS-3): follows the store's notification log, publishes to JetStream.

Events are stored first; the relay publishes them in log order with
`Nats-Msg-Id = "<app>:<notification id>"`, then records its position in the same
database. A crash between publish and record republishes the same ids, which
JetStream drops inside its duplicate window and the hub's tracking drops after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking
from pydantic import BaseModel

from contracts.errors import DomainError
from contracts.streams import message_id
from xueji.bus import Bus
from xueji.faults import fault_point
from xueji.logs import get_logger
from xueji.store import Writer
from xueji.telemetry import trace_headers

log = get_logger("xueji.outbox")

RELAY_NAME = "outbox_nats"
#: BUS-6 repair: the relay's epoch (a tracking record; 0 when never repaired).
EPOCH_NAME = "outbox_epoch"


@dataclass(frozen=True)
class Outgoing:
    subject: str
    message: BaseModel
    traceparent: str | None


#: Turns one stored notification into the message to publish (None: nothing to publish), or
#: into several (a list: one event told to several provinces, each with its own message id).
Translated = Outgoing | list[Outgoing] | None
Translate = Callable[[Application, Notification], Translated]


class OutboxRelay:
    def __init__(
        self,
        app: Application,
        writer: Writer,
        bus: Bus,
        translate: Translate,
        topics: list[str],
        batch_size: int = 500,
    ) -> None:
        self.app, self.writer, self.bus = app, writer, bus
        self.translate, self.topics, self.batch_size = translate, topics, batch_size
        self._wake = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        """Called after a save: publish now instead of at the next poll."""
        self._wake.set()

    async def run(self, poll_seconds: float = 0.5) -> None:
        while True:
            try:
                sent = await self.publish_pending() if self.bus.connected else 0
            except Exception as exc:  # noqa: BLE001 - NATS down, store busy: retry later
                log.warning("outbox_publish_failed", error=str(exc))
                sent = 0
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)

    async def publish_pending(self) -> int:
        """Publishes one batch of unpublished events; returns how many."""
        epoch, batch = await self.writer(self._next_batch)
        if not batch:
            return 0
        fault_point("outbox.before_publish")
        js = self.bus.nc.jetstream()
        for notification, translated in batch:
            if translated is None:
                continue
            several = isinstance(translated, list)
            for index, out in enumerate(translated if several else [translated]):
                headers = trace_headers(out.traceparent)
                msg_id = message_id(self.app.name, notification.id, epoch)
                headers["Nats-Msg-Id"] = f"{msg_id}.{index}" if several else msg_id
                data = out.message.model_dump_json().encode()
                await js.publish(out.subject, data, headers=headers)
        fault_point("outbox.after_publish")  # published, position not recorded
        last = Tracking(application_name=_relay_name(epoch), notification_id=batch[-1][0].id)
        await self.writer(self.app.recorder.insert_tracking, last)
        self.published += len(batch)
        return len(batch)

    async def backlog(self, limit: int = 1000) -> int:
        """For `/healthz`: stored events not published yet (counted up to `limit`)."""
        return await self.writer(self._backlog, limit)

    def _backlog(self, limit: int) -> int:
        return len(
            self.app.recorder.select_notifications(
                start=self.position(), limit=limit, topics=self.topics, inclusive_of_start=False
            )
        )

    def epoch(self) -> int:
        """0 until a repair made the relay publish its log again (BUS-6)."""
        return self.app.recorder.max_tracking_id(EPOCH_NAME) or 0

    def position(self) -> int:
        return self.app.recorder.max_tracking_id(_relay_name(self.epoch())) or 0

    def restart_from(self, from_notification_id: int, epoch: int) -> int:
        """BUS-6 repair (on the writer thread): from now on the relay publishes from
        `from_notification_id` again, with the message ids of `epoch`, a later one than the
        relay's (asked again, the same epoch changes nothing). Returns the log's last id."""
        current = self.epoch()
        if epoch < current:
            raise DomainError(f"发布轮次 {epoch} 早于当前轮次 {current}", code="stale_epoch")
        if epoch > current:
            if from_notification_id > 1:
                start = Tracking(_relay_name(epoch), from_notification_id - 1)
                self.app.recorder.insert_tracking(start)
            self.app.recorder.insert_tracking(Tracking(EPOCH_NAME, epoch))
            log.warning("outbox_republish", epoch=epoch, start=from_notification_id)
        self.wake()
        return self.app.recorder.max_notification_id() or 0

    def _next_batch(self) -> tuple[int, list[tuple[Notification, Translated]]]:
        """The epoch and the next notifications with their messages, translated on the writer
        thread (a translation may read the store, e.g. a student's archive)."""
        epoch = self.epoch()
        notifications = self.app.recorder.select_notifications(
            start=self.app.recorder.max_tracking_id(_relay_name(epoch)) or 0,
            limit=self.batch_size,
            topics=self.topics,
            inclusive_of_start=False,
        )
        return epoch, [(n, self.translate(self.app, n)) for n in notifications]


def _relay_name(epoch: int) -> str:
    """Where the relay keeps its position in `epoch` (each epoch starts where its repair
    said)."""
    return RELAY_NAME if epoch == 0 else f"{RELAY_NAME}_e{epoch}"
