"""The hub's request/reply handlers for cross-province cases and the national query (thin)."""

from __future__ import annotations

from typing import TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.cases import (
    ActOnCase,
    CaseQuery,
    CaseView,
    DecideCase,
    InitiateCase,
    MonitorQuery,
    MonitorReply,
)
from contracts.codes import MINISTRY_UNIT
from contracts.envelope import decode
from contracts.meta import CommandMeta
from contracts.national import NationalAnswer, NationalQuery
from hub.runtime import HubRuntime
from hub.senders import acting_province, check_sender
from xueji.bus import serve
from xueji.logs import bind_command

C = TypeVar("C", InitiateCase, DecideCase, ActOnCase, CaseQuery, MonitorQuery, NationalQuery)


async def serve_case_rpc(nc: Client, runtime: HubRuntime) -> None:
    cases, national_query = runtime.cases, runtime.national

    async def initiate(msg: Msg) -> CaseView:
        return await cases.initiate(_sent(msg, InitiateCase))

    async def decide(msg: Msg) -> CaseView:
        return await cases.decide(_sent(msg, DecideCase))

    async def act(msg: Msg) -> CaseView:
        return await cases.act(_sent(msg, ActOnCase))

    async def query(msg: Msg):
        return await cases.query(_sent(msg, CaseQuery))

    async def monitor(msg: Msg) -> MonitorReply:
        query = _sent(msg, MonitorQuery)  # a province monitors its own units (XPT-10)
        return MonitorReply(items=await cases.monitoring(acting_province(msg), query.flow))

    async def national(msg: Msg) -> NationalAnswer:
        query = _sent(msg, NationalQuery)  # QRY-4: limited per province and account
        asker = f"{acting_province(msg)}:{query.envelope.actor.account}"
        meta = CommandMeta.from_envelope(query.envelope)
        found = await national_query.query(
            asker, query.name, query.id_number, query.student_number, meta
        )
        return NationalAnswer(student=found)

    handlers = {
        subjects.HUB_CASE_INITIATE: initiate,
        subjects.HUB_CASE_DECIDE: decide,
        subjects.HUB_CASE_ACT: act,
        subjects.HUB_CASE_QUERY: query,
        subjects.HUB_CASE_MONITOR: monitor,
        subjects.HUB_NATIONAL_QUERY: national,
    }
    for name, handler in handlers.items():
        await serve(nc, subjects.hub_rpc("*", name), subjects.HUB_QUEUE, handler)


def _sent(msg: Msg, model: type[C]) -> C:
    """The command, once its body speaks only for the province of its subject (SEC-5)."""
    command = decode(model, msg.data)
    actor = command.envelope.actor
    bind_command(str(command.envelope.command_id), actor.account, actor.unit_code)
    province = acting_province(msg)
    if isinstance(command, InitiateCase):
        side = command.side
        units = [("side.school_code", side.school_code)]
        units += [(f"side.steps[{n}].unit_code", s.unit_code) for n, s in enumerate(side.steps)]
        units += [(f"side.units[{n}]", unit) for n, unit in enumerate(side.units)]
        units = [(field, unit) for field, unit in units if unit != MINISTRY_UNIT]
        check_sender(province, command, provinces=[side.province], units=units)
    else:
        check_sender(province, command, provinces=[getattr(command, "province", None)])
    return command
