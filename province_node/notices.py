"""The node's durable consumer of hub notices (stream `HUB_OUT`, BUS-4) and its RPC answer
to the hub's questions about its students (`xueji.rpc.prov.<prov>.case.prepare`)."""

from __future__ import annotations

import json
from typing import Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.cases import HubNotice, PrepareCaseOut
from contracts.envelope import Envelope, decode
from contracts.errors import ContractError, DomainError
from contracts.meta import CommandMeta
from contracts.problems import ProblemNotice
from province_node.application import ProvinceNode
from province_node.cases import CaseService
from province_node.domain.dead_notices import DeadNotices
from xueji.bus import follow_durable, serve
from xueji.faults import fault_point
from xueji.logs import get_logger
from xueji.outbox import OutboxRelay
from xueji.telemetry import context_from, tracer

log = get_logger("province_node.notices")

#: A notice that failed comes back after this many seconds per delivery so far (capped).
RETRY_DELAY_SECONDS = 0.5
MAX_RETRY_DELAY = 10.0
#: A notice that failed this many deliveries (the store, a defect) is set aside, so the ones
#: behind it are applied (BUS-4: a poison message never blocks the rest).
MAX_DELIVERIES = 5


async def serve_prepare(nc: Client, cases: CaseService) -> None:
    async def prepare(msg: Msg):
        prepared = await cases.prepare_out(decode(PrepareCaseOut, msg.data))
        fault_point("node.prepare.before_reply")
        return prepared

    subject = subjects.prov_case_prepare(cases.node.province)
    await serve(nc, subject, subjects.PROV_QUEUE, prepare)


class ProblemMirror(Protocol):
    """PRB-4: what applies the hub's `ProblemNotice` on the node (`ProblemService.mirror` of
    `province_node/problems.py`): keeps the node's copy of a cross-province group; idempotent,
    answers "applied" or "duplicate"."""

    async def mirror(self, notice: ProblemNotice) -> str: ...


class NoProblems:
    """Until the node keeps cross-province groups: a notice is acknowledged and logged."""

    async def mirror(self, notice: ProblemNotice) -> str:
        log.warning("problem_notice_not_mirrored", group_id=str(notice.group_id))
        return "duplicate"


class NoticeFollower:
    """Applies the hub's notices for this province; each is idempotent by the record's state,
    so redeliveries (after a crash, a NATS restart, or a duplicate) change nothing. The
    message's `kind` says which: a case's `HubNotice`, a problem group's `ProblemNotice`."""

    def __init__(
        self, cases: CaseService, relay: OutboxRelay, problems: ProblemMirror | None = None
    ) -> None:
        self.cases, self.relay = cases, relay
        self.problems = problems or NoProblems()
        self.province = cases.node.province
        self.applied = 0

    async def run(self, nc: Client) -> None:
        await follow_durable(
            nc,
            subjects.HUB_OUT_STREAM,
            subjects.hub_out_for(self.province),
            subjects.hub_out_durable(self.province),
            self._handle_all,
            batch=50,
            ack_wait=subjects.HUB_OUT_ACK_WAIT_SECONDS,
        )

    async def _handle_all(self, messages: list[Msg]) -> None:
        """In order, stopping at the first notice that failed (as the hub's follower does):
        it and every later one of the batch come back after a pause, so a later notice is
        never applied before an earlier one (issue 17 item 6)."""
        for index, msg in enumerate(messages):
            if not await self._handle(msg):
                delay = min(RETRY_DELAY_SECONDS * msg.metadata.num_delivered, MAX_RETRY_DELAY)
                for later in messages[index:]:
                    await later.nak(delay=delay)
                return

    async def _handle(self, msg: Msg) -> bool:
        """Applies one notice; False when it failed and is to be tried again."""
        with tracer().start_as_current_span(
            f"node apply {msg.subject}", context=context_from(msg.headers)
        ):
            fault_point("node.notice.before_apply")
            try:
                notice = _decode_notice(msg.data)
                if isinstance(notice, ProblemNotice):
                    outcome = await self.problems.mirror(notice)
                else:
                    outcome = await self.cases.apply_notice(notice)
            except (ContractError, DomainError) as exc:  # unusable: set aside, dropped
                log.error("notice_refused", subject=msg.subject, error=str(exc))
                return await self._set_aside(msg, exc.code or "refused", str(exc))
            except Exception as exc:  # the store failed: it (and those after it) come back
                log.exception("notice_apply_failed", subject=msg.subject,
                              deliveries=msg.metadata.num_delivered)  # fmt: skip
                if msg.metadata.num_delivered < MAX_DELIVERIES:
                    return False
                return await self._set_aside(msg, "gave_up", f"{type(exc).__name__}: {exc}")
        fault_point("node.notice.after_apply")  # stored, not acknowledged: comes back
        await msg.ack()
        if outcome == "applied":
            self.applied += 1
            self.relay.wake()  # a transfer out/in is to be published now
        if isinstance(notice, ProblemNotice):
            log.info("notice_applied", notice="problem", group_id=str(notice.group_id),
                     outcome=outcome)  # fmt: skip
            return True
        log.info(
            "notice_applied", notice=notice.notice, case_id=str(notice.case_id), outcome=outcome
        )
        return True

    async def _set_aside(self, msg: Msg, code: str, message: str) -> bool:
        """Keeps the notice whole in the node's log with the reason, then drops it from the
        stream; False (it comes back) when even that cannot be stored."""
        try:
            await self.cases.writer(_set_aside, self.cases.node, msg, code, message)
        except Exception:  # noqa: BLE001 - the store is down: the notice stays on the stream
            log.exception("notice_set_aside_failed", subject=msg.subject)
            return False
        log.error("notice_set_aside", subject=msg.subject, code=code, error=message)
        await msg.term()
        return True


def _set_aside(node: ProvinceNode, msg: Msg, code: str, message: str) -> None:
    """Once per stream message, whatever its redeliveries."""
    dead = node.find(DeadNotices.create_id())
    if not isinstance(dead, DeadNotices):
        dead = DeadNotices()
    sequence = msg.metadata.sequence.stream
    if dead.holds(sequence):
        return
    payload = msg.data.decode("utf-8", errors="replace")
    dead.set_aside(msg.subject, sequence, code, message, msg.metadata.num_delivered, payload,
                   _meta_of(msg.data, node.province))  # fmt: skip
    node.save(dead)


def _meta_of(data: bytes, province: str) -> dict:
    """The notice's own command, correlation and trace (BUS-5), when its envelope can be
    read; else the node's system actor."""
    try:
        envelope = Envelope.model_validate(json.loads(data)["envelope"])
    except Exception:  # noqa: BLE001 - unreadable: the system sets it aside
        return CommandMeta.new("system", f"{province}0000", "sysadmin").as_dict()
    return CommandMeta.from_envelope(envelope).as_dict()


def _decode_notice(data: bytes) -> HubNotice | ProblemNotice:
    """By the message's `kind`: a problem group's notice, else a case's (which carries none
    in older messages)."""
    try:
        kind = json.loads(data).get("kind")
    except (ValueError, AttributeError):
        raise ContractError("message", "malformed", "消息不是合法的 JSON 对象") from None
    return decode(ProblemNotice if kind == "ProblemNotice" else HubNotice, data)
