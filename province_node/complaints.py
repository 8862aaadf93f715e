"""SYS-4 from a province node: the province level files a 问题报告单 to the ministry, sees
and answers the 核查单 / 督办单 it is charged with, and each bureau publishes where it takes
complaints — all held on the hub (`hub/complaints.py`), asked over the bus."""

from __future__ import annotations

from uuid import UUID

from contracts import subjects
from contracts.complaints import (
    ComplaintCommand,
    ComplaintQuery,
    ComplaintReply,
    Handler,
    PublishedContact,
    ReportForm,
)
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from xueji.bus import Bus


class ProvinceComplaints:
    def __init__(self, bus: Bus, province: str, org: OrgTree, timeout: float) -> None:
        self.bus, self.org, self.timeout = bus, org, timeout
        self.act_subject = subjects.hub_rpc(province, subjects.HUB_COMPLAINT_ACT)
        self.query_subject = subjects.hub_rpc(province, subjects.HUB_COMPLAINT_QUERY)

    async def _act(self, meta: CommandMeta, **fields) -> dict:
        command = ComplaintCommand(envelope=meta.envelope(), **fields)
        reply = await self.bus.ask(self.act_subject, command, ComplaintReply, self.timeout)
        return reply.items[0]

    async def file_report(self, report: ReportForm, meta: CommandMeta) -> dict:
        return await self._act(meta, action="file_report", report=report)

    async def respond(self, complaint_id: UUID, text: str, handler: Handler,
                      meta: CommandMeta) -> dict:  # fmt: skip
        return await self._act(meta, action="respond", complaint_id=complaint_id, text=text,
                               handler=handler)  # fmt: skip

    async def publish_contact(self, unit_code: str, phone: str, email: str,
                              meta: CommandMeta) -> dict:  # fmt: skip
        unit = self.org.unit(unit_code)
        contact = PublishedContact(unit_code=unit_code, phone=phone, email=email)
        return await self._act(meta, action="publish_contact", contact=contact,
                               unit_name=unit.name, unit_level=unit.level.value)  # fmt: skip

    async def list(self, meta: CommandMeta, complaint_id: UUID | None = None) -> list[dict]:
        query = ComplaintQuery(envelope=meta.envelope(), complaint_id=complaint_id)
        reply = await self.bus.ask(self.query_subject, query, ComplaintReply, self.timeout)
        return reply.items
