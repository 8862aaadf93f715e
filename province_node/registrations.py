"""Single-entry registration use case: validate, national dedup on the hub, store (REG-5)."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from contracts.meta import CommandMeta
from contracts.regions import PROVINCES
from province_node.application import ProvinceNode
from province_node.domain.errors import DedupConflict, DomainError
from province_node.domain.registration import Registration, RegistrationStatus
from province_node.domain.registration_rules import RegistrationForm, validate_registration
from province_node.messaging import HubClient
from xueji.clock import Clock
from xueji.logs import get_logger
from xueji.outbox import OutboxRelay
from xueji.store import Writer

log = get_logger("province_node.registrations")


class RegistrationService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        hub: HubClient,
        relay: OutboxRelay,
        clock: Clock,
    ) -> None:
        self.node, self.writer, self.hub, self.relay, self.clock = node, writer, hub, relay, clock

    async def register(self, form: RegistrationForm, meta: CommandMeta) -> dict:
        """Idempotent by command id: a repeat returns the first outcome and stores nothing."""
        summary = await self.writer(self.node.find_registration, meta.command_id)
        if summary is None:
            summary = await self._register_new(form, meta)
        return _outcome(summary)

    async def _register_new(self, form: RegistrationForm, meta: CommandMeta) -> dict:
        valid = validate_registration(form, today=self.clock.today())
        settings = await self.writer(self.node.settings)
        if not settings.switches().registration_open:  # REG-10
            raise DomainError("本省新生学籍注册当前未开放", code="registration_closed")
        await self.writer(self.node.check_placement, form.school_code, form.class_code)
        registration_id = Registration.create_id(meta.command_id)
        # Nothing is stored before the hub answers: if it cannot, the caller gets a 503.
        reply = await self.hub.claim_identity(str(registration_id), valid, meta)
        holder = reply.holder_province if reply.outcome == "conflict" else None
        try:
            summary = await self.writer(
                self.node.record_registration, valid, holder, reply.holder_student_number, meta
            )
        except IntegrityError:  # the same command ran concurrently and won the race
            summary = await self.writer(self.node.find_registration, meta.command_id)
        self.relay.wake()
        log.info(
            "registration_recorded",
            registration_id=summary["id"],
            status=summary["status"],
            dedup_status=summary["dedup_status"],
        )
        return summary


def _outcome(summary: dict) -> dict:
    if summary["status"] == RegistrationStatus.REFUSED:
        holder = summary["holder_province"]
        name = PROVINCES.get(holder, holder)
        raise DedupConflict(
            f"全国查重未通过：该学生已在{name}（{holder}）注册学籍，本次注册已由系统关闭",
            holder_province=holder,
            registration_id=summary["id"],
        )
    return summary
