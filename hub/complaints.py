"""SYS-4 complaints on the hub (`hub/domain/complaint.py`): the ministry's side (accept and
answer reports; issue, close or send back verification and supervision forms) over its API
and console; the provinces' side over the bus (`serve_complaints`); the published contacts."""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.codes import MINISTRY_UNIT
from contracts.complaints import ComplaintCommand, ComplaintQuery, ComplaintReply
from contracts.envelope import decode
from contracts.errors import ContractError, NotFound
from contracts.meta import CommandMeta
from contracts.org import province_of_unit
from contracts.regions import PROVINCES
from hub.domain.complaint import KINDS, Complaint, ComplaintDirectory
from hub.senders import acting_province, check_sender
from xueji.bus import serve
from xueji.clock import Clock
from xueji.store import Writer

#: The ministry's own contact (`[003 §三.1]`: the technical service call centre).
MINISTRY_CONTACT = {
    "unit_code": MINISTRY_UNIT,
    "unit_name": "教育部教育管理信息中心（技术服务呼叫中心）",
    "level": "ministry",
    "phone": "010-66119801",
    "email": "66119801@moe.edu.cn",
    "updated_at": None,
}


class ComplaintService:
    def __init__(self, app, writer: Writer, clock: Clock) -> None:
        self.app, self.writer, self.clock = app, writer, clock

    # --- store (writer thread) -------------------------------------------------------------

    def _directory(self) -> ComplaintDirectory:
        try:
            return self.app.repository.get(ComplaintDirectory.create_id())
        except AggregateNotFoundError:
            return ComplaintDirectory()

    def _get(self, complaint_id: UUID) -> Complaint:
        try:
            found = self.app.repository.get(complaint_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Complaint):
            raise NotFound("该投诉单不存在", field="id")
        return found

    def _file(self, kind: str, province: str, form: dict, deadline: str,
              parent_id: str | None, meta: CommandMeta) -> dict:  # fmt: skip
        complaint_id = Complaint.create_id(meta.command_id)
        try:  # BUS-2: a repeat answers with what it filed
            return self._get(complaint_id).view(self.clock.today())
        except NotFound:
            pass
        if parent_id is not None:
            self._get(UUID(parent_id))
        at = self.clock.now().isoformat()
        complaint = Complaint(command_id=meta.command_id, kind=kind, province=province, form=form,
                              deadline=deadline, parent_id=parent_id, at=at,
                              meta=meta.as_dict())  # fmt: skip
        directory = self._directory()
        directory.add(str(complaint.id))
        self.app.save(complaint, directory)
        return complaint.view(self.clock.today())

    def _act(self, complaint_id: UUID, action: str, province: str | None, meta: CommandMeta,
             **data) -> dict:  # fmt: skip
        complaint, at, raw = self._get(complaint_id), self.clock.now().isoformat(), meta.as_dict()
        if complaint.seen(meta.command_id):
            return complaint.view(self.clock.today())
        if province is not None and complaint.province != province:
            raise NotFound("该投诉单不存在", field="id")  # another province's: as none (SEC-8)
        if action == "accept":
            complaint.check_acceptable()
            complaint.accept(command_id=meta.command_id, at=at, meta=raw, **data)
        elif action == "respond":
            complaint.check_answerable(province)
            complaint.respond(command_id=meta.command_id, at=at, meta=raw, **data)
        elif action == "close":
            complaint.check_closable(meta.unit_code)
            complaint.close(command_id=meta.command_id, at=at, meta=raw, **data)
        elif action == "send_back":
            complaint.check_closable(meta.unit_code)
            complaint.send_back(command_id=meta.command_id, at=at, meta=raw, **data)
        self.app.save(complaint)
        return complaint.view(self.clock.today())

    def _list(self, province: str | None, kind: str | None, state: str | None) -> list[dict]:
        today, items = self.clock.today(), []
        for complaint_id in reversed(self._directory().ids):
            complaint = self._get(UUID(complaint_id))
            if province is not None and complaint.province != province:
                continue
            if (kind and complaint.kind != kind) or (state and complaint.state != state):
                continue
            items.append(complaint.view(today))
        return items

    def _publish(self, unit_code: str, unit_name: str, level: str, phone: str, email: str,
                 meta: CommandMeta) -> dict:  # fmt: skip
        directory = self._directory()
        directory.publish_contact(unit_code=unit_code, unit_name=unit_name, level=level,
                                  phone=phone, email=email, at=self.clock.now().isoformat(),
                                  meta=meta.as_dict())  # fmt: skip
        self.app.save(directory)
        return directory.contacts[unit_code]

    # --- the ministry (hub API and console) -------------------------------------------------

    async def issue(self, kind: str, province: str, form: dict, deadline: str | None,
                    parent_id: str | None, meta: CommandMeta) -> dict:  # fmt: skip
        """A 核查单 (technical department) or 督办单 (administrative) to a province."""
        if kind not in ("verification", "supervision"):
            raise ContractError("kind", "bad_kind", "只能核发问题核查单或问题督办单")
        Complaint.check_issuer(kind, meta.role)
        if province not in PROVINCES:
            raise ContractError("province", "unknown_province", f"未知的省份：{province}")
        day = Complaint.check_deadline(deadline, self.clock.today())
        return await self.writer(self._file, kind, province, form, day, parent_id, meta)

    async def act(self, complaint_id: UUID, action: str, meta: CommandMeta, **data) -> dict:
        return await self.writer(self._act, complaint_id, action, None, meta, **data)

    async def list(self, province: str | None = None, kind: str | None = None,
                   state: str | None = None) -> list[dict]:  # fmt: skip
        return await self.writer(self._list, province, kind, state)

    async def get(self, complaint_id: UUID, province: str | None = None) -> dict:
        complaint = await self.writer(self._get, complaint_id)
        if province is not None and complaint.province != province:
            raise NotFound("该投诉单不存在", field="id")
        return complaint.view(self.clock.today())

    async def contacts(self) -> list[dict]:
        """Published per level: the ministry first, then each province's units by code."""
        published = dict((await self.writer(self._directory)).contacts)
        ministry = published.pop(MINISTRY_UNIT, MINISTRY_CONTACT)
        return [ministry, *(published[c] for c in sorted(published))]

    async def publish_ministry(self, phone: str, email: str, meta: CommandMeta) -> dict:
        return await self.writer(self._publish, MINISTRY_UNIT, "教育部", "ministry", phone,
                                 email, meta)  # fmt: skip

    # --- the provinces (over the bus) -------------------------------------------------------

    async def province_command(self, province: str, command: ComplaintCommand) -> list[dict]:
        meta = CommandMeta.from_envelope(command.envelope)
        if command.action == "file_report":
            if command.report is None:
                raise ContractError("report", "missing_field", "请填写问题报告单")
            deadline = Complaint.report_deadline(self.clock.today())
            form = command.report.model_dump(mode="json")
            return [await self.writer(self._file, "report", province, form, deadline, None, meta)]
        if command.action == "respond":
            if command.complaint_id is None or not command.text or command.handler is None:
                raise ContractError("text", "missing_field", "请填写答复内容、承办人及联系电话")
            handler = command.handler.model_dump(mode="json")
            return [await self.writer(self._act, command.complaint_id, "respond", province, meta,
                                      text=command.text, handler=handler)]  # fmt: skip
        contact = command.contact
        if contact is None or province_of_unit(contact.unit_code) != province:
            raise ContractError("contact", "bad_contact", "只能公布本省单位的投诉电话和邮箱")
        return [await self.writer(self._publish, contact.unit_code, command.unit_name or "",
                                  command.unit_level or "", contact.phone, contact.email,
                                  meta)]  # fmt: skip


def kind_label(kind: str) -> str:
    return KINDS[kind]


def new_meta(user) -> CommandMeta:
    return CommandMeta.new(user.username, user.unit_code, user.role, uuid4())


async def serve_complaints(nc: Client, complaints: ComplaintService) -> None:
    async def act(msg: Msg) -> ComplaintReply:
        province = acting_province(msg)
        command = decode(ComplaintCommand, msg.data)
        check_sender(province, command)
        return ComplaintReply(items=await complaints.province_command(province, command))

    async def query(msg: Msg) -> ComplaintReply:
        province = acting_province(msg)
        asked = decode(ComplaintQuery, msg.data)
        check_sender(province, asked)
        if asked.complaint_id is not None:
            return ComplaintReply(items=[await complaints.get(asked.complaint_id, province)])
        return ComplaintReply(items=await complaints.list(province))

    await serve(nc, subjects.hub_rpc("*", subjects.HUB_COMPLAINT_ACT), subjects.HUB_QUEUE, act)
    await serve(nc, subjects.hub_rpc("*", subjects.HUB_COMPLAINT_QUERY), subjects.HUB_QUEUE,
                query)  # fmt: skip
