"""BUS-6 repair of a province stream that went backwards (`xueji repair republish`): the
province node publishes its log again from a notification id as a new epoch
(`contracts.streams`), the hub follows the stream again in that epoch and clears the alarm."""

from __future__ import annotations

import asyncio
import functools

from contracts import subjects
from contracts.errors import DomainError, NotFound
from contracts.meta import CommandMeta
from contracts.streams import RepublishFrom, RepublishStarted
from hub.application import NationalHub
from hub.cases import ProvinceUnavailable
from hub.messaging import ProvinceFollower
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.lifecycle import Supervisor
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("hub.repair")
REPAIR_TIMEOUT = 10.0


class StreamRepair:
    def __init__(
        self,
        hub: NationalHub,
        writer: Writer,
        bus: Bus,
        followers: list[ProvinceFollower],
        supervisor: Supervisor,
    ) -> None:
        self.hub, self.writer, self.bus, self.supervisor = hub, writer, bus, supervisor
        self.followers = {follower.province: follower for follower in followers}
        self._lock = asyncio.Lock()

    async def republish(self, province: str, from_notification_id: int, meta: CommandMeta) -> dict:
        """Asks the node to publish from `from_notification_id` in the next epoch, then follows
        the stream again. Only a province whose stream raised the alarm."""
        follower = self.followers.get(province)
        if follower is None:
            raise NotFound(f"中央平台不同步省份 {province} 的事件流", field="province")
        async with self._lock:
            if follower.alarm is None:
                raise DomainError(f"省份 {province} 的事件流没有告警，无需重发", code="no_alarm")
            epoch = await self.writer(self.hub.epoch, province) + 1
            question = RepublishFrom(
                envelope=meta.envelope(), from_notification_id=from_notification_id, epoch=epoch
            )
            subject = subjects.prov_repair_republish(province)
            try:
                started = await self.bus.ask(subject, question, RepublishStarted, REPAIR_TIMEOUT)
            except BusUnavailable:
                raise ProvinceUnavailable(f"省份 {province} 暂时无法连接，请稍后重试") from None
            except RemoteError as exc:
                raise DomainError(exc.message, code=exc.code, field=exc.field) from None
            await self.writer(self.hub.begin_epoch, province, epoch)
            alarm = follower.alarm
            follower.clear_alarm()
            self.supervisor.start(
                f"follow-{province}", functools.partial(follower.run, self.bus.nc)
            )
        log.warning("stream_repaired", province=province, epoch=epoch,
                    start=from_notification_id, alarm=alarm)  # fmt: skip
        return {
            "province": province,
            "epoch": epoch,
            "from_notification_id": from_notification_id,
            "last_notification_id": started.last_notification_id,
            "alarm": alarm,
        }
