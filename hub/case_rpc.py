"""The hub's request/reply handlers for cross-province cases and the national query (thin)."""

from __future__ import annotations

from typing import TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.cases import (
    ActOnCase,
    CaseOutPreparation,
    CaseQuery,
    CaseView,
    DecideCase,
    InitiateCase,
    MonitorQuery,
    MonitorReply,
    NationalAnswer,
    NationalQuery,
    PrepareCaseOut,
)
from contracts.codes import MINISTRY_UNIT
from contracts.envelope import decode
from contracts.errors import DomainError, NotFound
from hub.rate_limit import RateLimiter
from hub.runtime import HubRuntime
from hub.senders import acting_province, check_sender
from xueji.bus import BusUnavailable, RemoteError, serve
from xueji.faults import fault_point
from xueji.logs import bind_command

C = TypeVar("C", InitiateCase, DecideCase, ActOnCase, CaseQuery, MonitorQuery, NationalQuery)

#: How long the hub waits for an out-province node to describe the student.
PREPARE_TIMEOUT = 5.0


class ProvinceUnavailable(DomainError):
    code = "province_unavailable"
    status = 503


async def serve_case_rpc(nc: Client, runtime: HubRuntime) -> None:
    hub, writer, clock = runtime.hub, runtime.writer, runtime.clock
    limiter = RateLimiter()

    async def initiate(msg: Msg) -> CaseView:
        command = _sent(msg, InitiateCase)
        existing = await writer(hub.case_by_command, str(command.envelope.command_id))
        if existing is not None:
            return CaseView(case=existing)
        out_province = await writer(hub.out_province_of, command, clock.now())
        prepared = await _prepare(runtime, out_province, command)
        fault_point("hub.initiate.after_prepare")
        return await changed(hub.initiate_case, command, prepared)

    async def decide(msg: Msg) -> CaseView:
        return await changed(hub.decide_case, _sent(msg, DecideCase))

    async def act(msg: Msg) -> CaseView:
        return await changed(hub.act_on_case, _sent(msg, ActOnCase))

    async def changed(use_case, *args) -> CaseView:
        case = await writer(use_case, *args, clock.now())
        fault_point(f"hub.{use_case.__name__}.stored")  # initiate_case, decide_case, act_on_case
        runtime.relay.wake()  # a notice may be due to a province now
        return CaseView(case=case)

    async def query(msg: Msg):
        return await writer(hub.query_cases, _sent(msg, CaseQuery))

    async def monitor(msg: Msg) -> MonitorReply:
        query = _sent(msg, MonitorQuery)  # a province monitors its own units (XPT-10)
        return MonitorReply(items=await writer(hub.monitoring, acting_province(msg), query.flow))

    async def national(msg: Msg) -> NationalAnswer:
        query = _sent(msg, NationalQuery)
        limiter.check(f"{acting_province(msg)}:{query.envelope.actor.account}", clock.now())
        found = await writer(
            hub.national_student, query.name, query.id_number, query.student_number
        )
        if found is None:
            raise NotFound("未查到符合条件的学生")
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


async def _prepare(runtime: HubRuntime, province: str, command: InitiateCase) -> CaseOutPreparation:
    """Asks the node holding the record: eligible? who decides on that side?"""
    question = PrepareCaseOut(
        envelope=command.envelope,
        flow=command.flow,
        student_number=command.student_number,
        student_name=command.student_name,
    )
    try:
        return await runtime.bus.ask(
            subjects.prov_case_prepare(province), question, CaseOutPreparation, PREPARE_TIMEOUT
        )
    except BusUnavailable:
        raise ProvinceUnavailable(f"学籍所在省（{province}）暂时无法连接，请稍后再发起") from None
    except RemoteError as exc:  # the record's province refused: pass its reason on
        raise _refusal(exc) from None


def _refusal(exc: RemoteError) -> DomainError:
    """The record's province refused (not eligible, unknown name …): said as it said it."""
    refusal = DomainError(exc.message, code=exc.code, field=exc.field)
    refusal.status = exc.status
    return refusal


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
