"""The hub's use cases for cross-province cases (XPT, PGE): one method each (DESIGN §4).

Mixed into `NationalHub`; every method runs on the hub's one writer thread, which also
keeps the `CaseBoard` read model current after each save.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from contracts.calendar import CalendarNotCovered, KeyDates
from contracts.cases import (
    ActOnCase,
    CaseList,
    CaseOutPreparation,
    CaseQuery,
    CaseView,
    DecideCase,
    InitiateCase,
)
from contracts.errors import DomainError, NotFound
from contracts.meta import CommandMeta
from hub.case_board import CaseBoard, case_view
from hub.domain.case import CrossProvinceCase
from hub.domain.placement import check_placement
from xueji.clock import SHANGHAI
from xueji.timetravel import state_as_of

SYSTEM = CommandMeta.new("system", "000000", "sysadmin")


class CaseUseCases:
    board: CaseBoard
    #: XPT-6: pull the archive as soon as the last approval lands (hub setting, off).
    auto_pull: bool = False
    key_dates: KeyDates = KeyDates()

    # --- initiation (XPT-2, XPT-8, PGE-1, PGE-2) -------------------------------------------

    def case_by_command(self, command_id: str) -> dict | None:
        """A repeated initiation answers the case it created (BUS-2)."""
        return self.board.get(CrossProvinceCase.create_id(command_id))

    def out_province_of(self, command: InitiateCase, now: datetime) -> str:
        """Checks what the hub alone can check, and names the province holding the record."""
        self._check_window(command, now)
        found = self.national_student(command.student_name, student_number=command.student_number)
        if found is None or found["status"] != "enrolled":
            raise NotFound("全国学籍库中没有姓名与学籍号相符的学生", field="student_number")
        if found["province"] == command.side.province:
            raise DomainError("学生学籍在本省，请办理省内转学", code="same_province")
        if self.board.open_case_of(command.student_number) is not None:
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

    def initiate_case(
        self, command: InitiateCase, prepared: CaseOutPreparation, now: datetime
    ) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        existing = self.case_by_command(meta.command_id)
        if existing is not None:
            return existing
        if self.board.open_case_of(command.student_number) is not None:
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
        return self._save_case(case)

    # --- decisions, revoke, pull (XPT-1, XPT-4, XPT-6) --------------------------------------

    def decide_case(self, command: DecideCase, now: datetime) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        case = self._case(command.case_id)
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
        return self._save_case(case)

    def act_on_case(self, command: ActOnCase, now: datetime) -> dict:
        meta = CommandMeta.from_envelope(command.envelope)
        case = self._case(command.case_id)
        if case.seen_command(meta.command_id):
            return case_view(case)
        case.check_initiator(command.province, meta.unit_code)
        if command.action == "revoke":
            case.check_revocable()
            case.revoke(at=now, meta=meta.as_dict())
        else:
            case.check_pullable()
            case.request_pull(at=now, meta=meta.as_dict())
        return self._save_case(case)

    # --- deadlines (XPT-6, XPT-7, PGE-4) --------------------------------------------------------

    def run_deadlines(self, now: datetime) -> dict[str, int]:
        """Records overdue steps, cancels unpulled cases, cleans stale ones; returns counts."""
        counts = {"overdue": 0, "cancel": 0, "clean": 0, "calendar_missing": 0}
        for case_id in self.board.open_ids():
            case = self._case(case_id)
            try:
                due = case.deadline_due(now, self.calendar_years)
            except CalendarNotCovered:  # SYS-2: decided once the ministry enters the year
                counts["calendar_missing"] += 1
                continue
            if due is None:
                continue
            {"overdue": case.record_overdue, "cancel": case.cancel, "clean": case.clean}[due](
                at=now
            )
            self._save_case(case)
            counts[due] += 1
        return counts

    # --- queries (XPT-3, XPT-5, XPT-10, AUD-2) -----------------------------------------------

    def query_cases(self, query: CaseQuery) -> CaseList | CaseView:
        unit, role = query.envelope.actor.unit_code, query.envelope.actor.role
        if query.mode == "one":
            if query.case_id is None or not self.board.sees(query.case_id, unit):
                raise NotFound("没有找到该申请", field="case_id")
            view = self.board.get(query.case_id)
            if view is None or view["flow"] != query.flow:
                raise NotFound("没有找到该申请", field="case_id")
            if query.as_of is not None:
                view = self.case_as_of(query.case_id, query.as_of)
            return CaseView(case=view)
        if query.mode == "pending":
            found = self.board.pending(unit, role, query)
        else:
            found = self.board.search(unit, query)
        found.sort(key=lambda v: v["initiated_at"], reverse=True)
        return CaseList(items=found, total=len(found))

    def case_as_of(self, case_id: UUID, at: datetime) -> dict:
        """AUD-2: the case as it was at `at` (naive = Beijing time, as for students)."""
        past = state_as_of(self, case_id, at, moment=_business_time)
        if past is None:
            raise NotFound("该时间点申请尚未发起", field="as_of")
        return case_view(past)

    def monitoring(self, province: str | None, flow: str) -> list[dict]:
        return self.board.monitoring(province, flow)

    # --- the archive arriving from the out side, then landing (XPT-6) ---------------------------

    def rebuild_board(self) -> int:
        self.board = CaseBoard()
        ids = {
            n.originator_id
            for n in self.recorder.select_notifications(
                start=1, limit=10**9, topics=[get_topic(CrossProvinceCase.Initiated)]
            )
        }
        for case_id in ids:
            self.board.put(self._case(case_id))
        return len(ids)

    def _save_case(self, case: CrossProvinceCase, *others: object) -> dict:
        self.save(case, *others)
        self.board.put(case)
        return case_view(case)

    def _case(self, case_id: UUID) -> CrossProvinceCase:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError:
            raise NotFound("没有找到该申请", field="case_id") from None


def _business_time(domain_event: object) -> datetime:
    """Case events carry the hub clock's time (`at`): the time the case itself shows."""
    return getattr(domain_event, "at", None) or domain_event.timestamp


def _system(key: str) -> dict:
    """Meta of an action the hub takes by itself, with a command id stable for `key`."""
    command_id = str(uuid5(NAMESPACE_URL, f"xueji:hub:{key}"))
    return {**SYSTEM.as_dict(), "command_id": command_id, "correlation_id": command_id}
