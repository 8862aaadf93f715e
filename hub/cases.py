"""The hub's use cases for cross-province cases (XPT, PGE), called by its RPC handlers
(`case_rpc.py`), its routes and its console. Every write runs on the hub's one writer thread,
which also keeps the `CaseBoard` read model current after each save (`NationalHub.save_case`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

from contracts import subjects
from contracts.calendar import CalendarNotCovered, KeyDates
from contracts.cases import (
    ActOnCase,
    CaseList,
    CaseOutPreparation,
    CaseQuery,
    CaseView,
    DecideCase,
    InitiateCase,
    PrepareCaseOut,
)
from contracts.errors import DomainError, NotFound
from contracts.meta import CommandMeta
from hub.application import NationalHub
from hub.case_board import case_view
from hub.domain.case import CrossProvinceCase
from hub.domain.placement import check_placement
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.clock import SHANGHAI, Clock
from xueji.faults import fault_point
from xueji.outbox import OutboxRelay
from xueji.store import Writer

SYSTEM = CommandMeta.new("system", "000000", "sysadmin")
#: How long the hub waits for an out-province node to describe the student.
PREPARE_TIMEOUT = 5.0


class ProvinceUnavailable(DomainError):
    code = "province_unavailable"
    status = 503


#: XPT-8 [003 §三.5]: what the history says of a graduating-year transfer cleaned up.
GRADUATING_CLEANUP = "毕业年级学生的转学业务未在毕业结业前办结，系统清理；如需转学请重新发起"


class CaseService:
    #: SYS-2: the national key dates; a case's initiating province may override them.
    key_dates: KeyDates = KeyDates()

    def __init__(
        self,
        hub: NationalHub,
        writer: Writer,
        bus: Bus,
        clock: Clock,
        relay: OutboxRelay,
        auto_pull: bool = False,
    ) -> None:
        self.hub, self.writer, self.bus, self.clock, self.relay = hub, writer, bus, clock, relay
        #: XPT-6: pull the archive as soon as the last approval lands (hub setting, off).
        self.auto_pull = auto_pull

    # --- initiation (XPT-2, XPT-8, PGE-1, PGE-2) -------------------------------------------

    async def initiate(self, command: InitiateCase) -> CaseView:
        """The in-province starts a case: checked here, the out-province describes the
        student and its side (`PrepareCaseOut`), then the case is stored. A repeat answers
        the case it created (BUS-2)."""
        existing = await self.writer(self.hub.case_by_command, str(command.envelope.command_id))
        if existing is not None:
            return CaseView(case=existing)
        out_province = await self.writer(self._out_province_of, command, self.clock.now())
        prepared = await self._prepare(out_province, command)
        fault_point("hub.initiate.after_prepare")
        return await self._changed("initiate_case", self._initiate, command, prepared)

    def _out_province_of(self, command: InitiateCase, now: datetime) -> str:
        """Checks what the hub alone can check, and names the province holding the record."""
        self._check_window(command, now)
        found = self.hub.national_student(
            command.student_name, student_number=command.student_number
        )
        if found is None or found["status"] != "enrolled":
            raise NotFound("全国学籍库中没有姓名与学籍号相符的学生", field="student_number")
        if found["province"] == command.side.province:
            raise DomainError("学生学籍在本省，请办理省内转学", code="same_province")
        if self.hub.board.open_case_of(command.student_number) is not None:
            raise DomainError("该学生有正在办理的跨省业务", code="business_in_flight")
        return found["province"]

    def _check_window(self, command: InitiateCase, now: datetime) -> None:
        """XPT-8 / PGE-2 on the hub clock: the initiating province's key dates, where it
        overrode them, else the national ones (SYS-2)."""
        today = now.astimezone(SHANGHAI).date()
        key_dates = self.key_dates.with_overrides(command.key_date_overrides)
        if command.flow == "transfer" and key_dates.transfers_frozen(today):
            freeze = key_dates.transfer_freeze.said
            raise DomainError(f"{freeze}不能发起跨省转学", code="window_closed")
        if command.flow == "enrollment" and not key_dates.pge_open(today):
            windows = "、".join(w.said for w in key_dates.pge_windows)
            raise DomainError(f"毕业后跨省就学只能在{windows}发起", code="window_closed")

    async def _prepare(self, province: str, command: InitiateCase) -> CaseOutPreparation:
        """Asks the node holding the record: eligible? who decides on that side?"""
        question = PrepareCaseOut(
            envelope=command.envelope,
            flow=command.flow,
            student_number=command.student_number,
            student_name=command.student_name,
        )
        try:
            return await self.bus.ask(
                subjects.prov_case_prepare(province), question, CaseOutPreparation, PREPARE_TIMEOUT
            )
        except BusUnavailable:
            raise ProvinceUnavailable(
                f"学籍所在省（{province}）暂时无法连接，请稍后再发起"
            ) from None
        except RemoteError as exc:  # the record's province refused: pass its reason on
            raise _refusal(exc) from None

    def _initiate(self, command: InitiateCase, prepared: CaseOutPreparation, now: datetime) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        existing = self.hub.case_by_command(meta.command_id)
        if existing is not None:
            return existing
        if self.hub.board.open_case_of(command.student_number) is not None:
            raise DomainError("该学生有正在办理的跨省业务", code="business_in_flight")
        student = prepared.student.model_dump()
        check_placement(
            command.flow, student, command.target_class_code, command.side.school_system
        )
        case = CrossProvinceCase(
            command_id=meta.command_id,
            flow=command.flow,
            student=student,
            in_side=command.side.model_dump(),
            out_side=prepared.side.model_dump(),
            target_grade=command.target_grade,
            target_class_code=command.target_class_code,
            reason=command.reason,
            proof=command.proof,
            auto_pull=command.auto_archive_pull,
            at=now,
            meta=meta.as_dict(),
        )
        return self.hub.save_case(case)

    async def _changed(self, name: str, use_case, *args) -> CaseView:
        """A command on the writer, at the hub clock's now; a notice may be due now. `name`
        names its fault point (`hub.<name>.stored`: stored, no reply sent yet)."""
        case = await self.writer(use_case, *args, self.clock.now())
        fault_point(f"hub.{name}.stored")  # initiate_case, decide_case, act_on_case
        self.relay.wake()
        return CaseView(case=case)

    # --- decisions, revoke, pull (XPT-1, XPT-4, XPT-6) --------------------------------------

    async def decide(self, command: DecideCase) -> CaseView:
        return await self._changed("decide_case", self._decide, command)

    def _decide(self, command: DecideCase, now: datetime) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        case = self.hub.case(command.case_id)
        if case.seen_command(meta.command_id):
            return case_view(case)
        actor = command.envelope.actor.model_dump()
        case.check_decision(
            command.province, actor, command.approve, command.opinion, command.ground
        )
        case.decide(command.approve, command.opinion, command.ground, now, meta.as_dict())
        if case.status == "approved" and (
            self.auto_pull or case.auto_pull or case.flow == "enrollment"
        ):
            # PGE: 系统自动调档 [002 §19]; transfers when the hub's setting or the
            # in-province's switch (frozen on the case at initiation) says so.
            case.request_pull(at=now, meta=_system(f"auto-pull:{case.id}"))
        return self.hub.save_case(case)

    async def act(self, command: ActOnCase) -> CaseView:
        return await self._changed("act_on_case", self._act, command)

    def _act(self, command: ActOnCase, now: datetime) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        case = self.hub.case(command.case_id)
        if case.seen_command(meta.command_id):
            return case_view(case)
        case.check_initiator(command.province, meta.unit_code)
        if command.action == "revoke":
            case.check_revocable()
            case.revoke(at=now, meta=meta.as_dict())
        else:
            case.check_pullable()
            case.request_pull(at=now, meta=meta.as_dict())
        return self.hub.save_case(case)

    # --- deadlines (XPT-6, XPT-7, XPT-8, PGE-4) --------------------------------------------------

    async def run_deadlines(self) -> dict[str, int]:
        """Records overdue steps, cancels unpulled cases, cleans stale ones, asks again for an
        archive pulled but not received; returns counts."""
        return await self.writer(self._run_deadlines, self.clock.now())

    def _run_deadlines(self, now: datetime) -> dict[str, int]:
        counts = {"overdue": 0, "cancel": 0, "clean": 0, "resend": 0, "calendar_missing": 0}
        for case_id in self.hub.board.open_ids():
            case = self.hub.case(case_id)
            if case.graduating_cleanup_due(now, self.key_dates):  # XPT-8: no working days
                case.clean(at=now, reason=GRADUATING_CLEANUP)
                self.hub.save_case(case)
                counts["clean"] += 1
                continue
            try:
                due = case.deadline_due(now, self.hub.calendar_years)
            except CalendarNotCovered:  # SYS-2: decided once the ministry enters the year
                counts["calendar_missing"] += 1
                continue
            if due is None:
                continue
            actions = {"overdue": case.record_overdue, "cancel": case.cancel,
                       "clean": case.clean, "resend": case.resend_pull}  # fmt: skip
            actions[due](at=now)
            self.hub.save_case(case)
            counts[due] += 1
        return counts

    # --- queries (XPT-3, XPT-5, XPT-10, AUD-2) -----------------------------------------------

    async def query(self, query: CaseQuery) -> CaseList | CaseView:
        return await self.writer(self._query, query)

    def _query(self, query: CaseQuery) -> CaseList | CaseView:
        board = self.hub.board
        unit, role = query.envelope.actor.unit_code, query.envelope.actor.role
        if query.mode == "one":
            if query.case_id is None or not board.sees(query.case_id, unit):
                raise NotFound("没有找到该申请", field="case_id")
            view = board.get(query.case_id)
            if view is None or view["flow"] != query.flow:
                raise NotFound("没有找到该申请", field="case_id")
            if query.as_of is not None:
                view = self.hub.case_as_of(query.case_id, query.as_of)
            return CaseView(case=view)
        if query.mode == "pending":
            found = board.pending(unit, role, query)
        else:
            found = board.search(unit, query)
        found.sort(key=lambda v: v["initiated_at"], reverse=True)
        return CaseList(items=found, total=len(found))

    async def monitoring(self, province: str | None, flow: str) -> list[dict]:
        """XPT-10: per deciding unit, pending and overdue steps and average decision time."""
        return await self.writer(self.hub.board.monitoring, province, flow)

    async def stalled_pulls(self, province: str | None = None) -> list[dict]:
        """The archives asked for again and not received yet (the monitoring page's alarm)."""
        return await self.writer(self.hub.board.stalled_pulls, province)


def _refusal(exc: RemoteError) -> DomainError:
    """The record's province refused (not eligible, unknown name …): said as it said it."""
    refusal = DomainError(exc.message, code=exc.code, field=exc.field)
    refusal.status = exc.status
    return refusal


def _system(key: str) -> dict:
    """Meta of an action the hub takes by itself, with a command id stable for `key`."""
    command_id = str(uuid5(NAMESPACE_URL, f"xueji:hub:{key}"))
    return {**SYSTEM.as_dict(), "command_id": command_id, "correlation_id": command_id}
