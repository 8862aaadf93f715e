"""A cross-province case 跨省转学 / 毕业后跨省就学 (XPT-1…XPT-9, PGE-1…PGE-4).

The transfer-in (admitting) side decides first, then the out side, each through the chain
its own province resolved (SYS-1); then the transfer-in school pulls the archive. Times
come from the hub's clock (`at`), so deadlines follow the clock tests move.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.approval import StepLevel, check_opinion, deciding_roles
from contracts.calendar import NONE_ENTERED, Entered, KeyDates, add_working_days
from contracts.codes import SchoolSystem, Stage, national_grade, stage_length
from contracts.errors import DomainError, Forbidden
from hub.domain.placement import grade_changed
from xueji.clock import SHANGHAI

_NS = uuid5(NAMESPACE_URL, "xueji:hub:case")

STEP_DAYS = 10  # XPT-7: working days per decision step
PULL_DAYS = 10  # XPT-6: working days to pull the archive after the last approval
CLEANUP_AFTER = timedelta(days=90)  # XPT-7: unfinished cases are cleaned up
#: Issue 17 item 6: a pulled archive not received after this long is asked for again (the
#: out-province node was away, or set the request aside), at most `PULL_RESENDS` times.
PULL_RESEND_AFTER = timedelta(hours=2)
PULL_RESENDS = 12
#: PGE-3: the graduating side may not refuse on these grounds.
FORBIDDEN_PGE_GROUNDS = {"irregular_admission": "涉嫌违规招生", "scores": "考试成绩"}
OPEN = ("in_progress", "approved")


#: A side's step name (`in_school`, `out_bureau` …) → the engine's level (SYS-1 chains).
_LEVELS = {
    "school": StepLevel.SCHOOL,
    "bureau": StepLevel.SUPERVISING,
    "city": StepLevel.CITY,
    "province": StepLevel.PROVINCE,
    "ministry": StepLevel.MINISTRY,
}


def step_level(step_name: str) -> StepLevel:
    return _LEVELS[step_name.split("_", 1)[1]]


def action_of(step_name: str | None, role: str) -> str | None:
    """What a role of the awaited unit does at this step (XPT-1, XPT-3, XPT-6): decide, by
    the engine's one decider rule (`contracts.approval.deciding_roles`), or pull the archive,
    the in-school's registrar."""
    if step_name is None:
        return None
    if step_name == "archive_pull":
        return "archive_pull" if role == "registrar" else None
    return "decide" if role in deciding_roles(step_level(step_name)) else None


class CrossProvinceCase(Aggregate):
    @staticmethod
    def create_id(command_id: str) -> UUID:
        """Initiation is idempotent by its command id (BUS-2)."""
        return uuid5(_NS, command_id)

    @event("Initiated")
    def __init__(
        self,
        command_id: str,
        flow: str,
        student: dict,
        in_side: dict,
        out_side: dict,
        target_grade: int,
        target_class_code: str,
        reason: str,
        proof: str | None,
        at: datetime,
        meta: dict,
        auto_pull: bool = False,
    ) -> None:
        self.flow, self.student = flow, student
        #: XPT-6: the in-province's switch `auto_archive_pull` when the case started.
        #: (Defaulted: cases stored before it was sent replay as off.)
        self.auto_pull = auto_pull
        self.in_side, self.out_side = in_side, out_side
        self.target_grade, self.target_class_code = target_grade, target_class_code
        self.reason, self.proof = reason, proof
        self.grade_changed = grade_changed(flow, student, target_grade, in_side["school_system"])
        self.initiated_at = at
        self.steps = [
            {**step, "province": side["province"], "started_at": None, "decided_at": None}
            for side in (in_side, out_side)
            for step in side["steps"]
        ]
        self.steps[0]["started_at"] = at
        self.current = 0
        self.status = "in_progress"
        self.approved_at: datetime | None = None
        self.pull_requested_at: datetime | None = None
        self.archive: dict | None = None
        self.closed_at: datetime | None = None
        self.history: list[dict] = [_entry("initiated", in_side["school_code"], meta, at, reason)]
        self.commands: set[str] = {command_id}
        self.overdue: list[dict] = []

    # --- what the case is ---------------------------------------------------------------

    @property
    def student_number(self) -> str:
        return self.student["student_number"]

    @property
    def step(self) -> dict | None:
        """The decision step awaiting its unit, or None once all decided."""
        return self.steps[self.current] if self.status == "in_progress" else None

    @property
    def step_name(self) -> str | None:
        if self.status == "in_progress":
            return self.steps[self.current]["step"]
        return "archive_pull" if self.status == "approved" else None

    @property
    def awaiting_unit(self) -> str | None:
        """The unit whose action the case waits for (the in-school for the pull)."""
        if self.status == "approved" and self.pull_requested_at is None:
            return self.in_side["school_code"]
        step = self.step
        return step["unit_code"] if step else None

    def is_open(self) -> bool:
        return self.status in OPEN

    def seen_command(self, command_id: str) -> bool:
        return command_id in self.commands

    # --- decisions (XPT-1, PGE-3) ---------------------------------------------------------

    def check_decision(
        self, province: str, actor: dict, approve: bool, opinion: str | None, ground: str | None
    ) -> None:
        step = self.step
        if step is None:
            raise DomainError("该业务已结束或不在审核环节", code="case_closed")
        if step["province"] != province or step["unit_code"] != actor["unit_code"]:
            raise Forbidden("该业务当前不在本单位核办环节", code="not_your_step")
        if action_of(step["step"], actor["role"]) != "decide":
            raise Forbidden(
                "学校环节由学校审核员核办，教育局环节由学籍管理员核办", code="wrong_role"
            )
        check_opinion(approve, opinion, "核办不通过时必须填写意见")
        if (
            not approve
            and self.flow == "enrollment"
            and step["step"].startswith("out_")
            and ground in FORBIDDEN_PGE_GROUNDS
        ):
            raise DomainError(
                f"毕业方不得以“{FORBIDDEN_PGE_GROUNDS[ground]}”为由不予通过",
                code="ground_not_allowed",
                field="ground",
            )

    @event("Decided")
    def decide(
        self, approve: bool, opinion: str | None, ground: str | None, at: datetime, meta: dict
    ) -> None:
        step = self.steps[self.current]
        step.update(decided_at=at, decision="approved" if approve else "rejected")
        step.update(opinion=opinion, account=meta.get("account"))
        self.commands.add(meta["command_id"])
        entry = _entry(step["step"], step["unit_code"], meta, at, opinion)
        self.history.append(entry | {"decision": step["decision"]})
        if not approve:
            self.status, self.closed_at = "rejected", at
        elif self.current + 1 < len(self.steps):
            self.current += 1
            self.steps[self.current]["started_at"] = at
        else:
            self.status, self.approved_at = "approved", at

    # --- revoke (XPT-4) and archive pull (XPT-6) -------------------------------------------

    def check_initiator(self, province: str, unit_code: str) -> None:
        if province != self.in_side["province"] or unit_code != self.in_side["school_code"]:
            raise Forbidden("只有发起申请的学校可以办理", code="not_initiator")

    def check_revocable(self) -> None:
        if not self.is_open() or self.pull_requested_at is not None:
            raise DomainError("已调档或已结束的申请不能撤销", code="revoke_not_allowed")

    @event("Revoked")
    def revoke(self, at: datetime, meta: dict) -> None:
        self.commands.add(meta["command_id"])
        self.status, self.closed_at = "revoked", at
        self.history.append(_entry("revoked", self.in_side["school_code"], meta, at, None))

    def check_pullable(self) -> None:
        if self.status != "approved" or self.pull_requested_at is not None:
            raise DomainError("只有审核全部通过、尚未调档的申请可以调档", code="pull_not_allowed")

    @event("ArchivePullRequested")
    def request_pull(self, at: datetime, meta: dict) -> None:
        self.commands.add(meta["command_id"])
        self.pull_requested_at = at
        self.history.append(_entry("archive_pull", self.in_side["school_code"], meta, at, None))

    @event("ArchiveReceived")
    def receive_archive(self, archive: dict, at: datetime, meta: dict) -> None:
        """The out-province node exported the record and marked the student transferred out."""
        self.archive = archive

    @event("Completed")
    def complete(self, at: datetime, meta: dict) -> None:
        self.status, self.closed_at = "completed", at
        self.history.append(_entry("completed", self.in_side["school_code"], meta, at, None))

    # --- deadlines (XPT-6, XPT-7) -----------------------------------------------------------

    def deadline_due(self, now: datetime, calendar: Entered = NONE_ENTERED) -> str | None:
        """What the scheduler must do now: `overdue`, `cancel`, `clean` or nothing; `calendar`
        holds the years the ministry entered (SYS-2), a year nobody covers raises
        `CalendarNotCovered`."""
        today = now.date()
        if self.status == "approved" and self.pull_requested_at is None:
            if today > add_working_days(self.approved_at.date(), PULL_DAYS, calendar):
                return "cancel"
            return None
        if self.status == "approved":
            return "resend" if self._pull_stalled(now) else None
        if self.status != "in_progress":
            return None
        if now >= self.initiated_at + CLEANUP_AFTER:
            return "clean"
        if not self._overdue_recorded() and today > self.step_due(calendar):
            return "overdue"
        return None

    def step_due(self, calendar: Entered = NONE_ENTERED) -> date:
        started = self.steps[self.current]["started_at"].date()
        return add_working_days(started, STEP_DAYS, calendar)

    def _pull_stalled(self, now: datetime) -> bool:
        """Pulled, no archive yet, and the last request older than `PULL_RESEND_AFTER`."""
        resends = getattr(self, "pull_resends", 0)  # cases stored before resends existed
        last = getattr(self, "pull_resent_at", None) or self.pull_requested_at
        return self.archive is None and resends < PULL_RESENDS and now >= last + PULL_RESEND_AFTER

    @event("ArchivePullResent")
    def resend_pull(self, at: datetime) -> None:
        """The out-province is asked for the archive again (its node applies the request
        idempotently: a student already transferred out is not transferred twice)."""
        self.pull_resends = getattr(self, "pull_resends", 0) + 1
        self.pull_resent_at = at
        why = f"调档后未收到转出省档案，已重新发送调档请求（第 {self.pull_resends} 次）"
        self.history.append(_system_entry("archive_pull_resent", at, why))

    def _overdue_recorded(self) -> bool:
        return any(o["index"] == self.current for o in self.overdue)

    @event("StepOverdue")
    def record_overdue(self, at: datetime) -> None:
        step = self.steps[self.current]
        overdue = {"index": self.current, "step": step["step"], "at": at}
        overdue.update(unit_code=step["unit_code"], province=step["province"])
        self.overdue.append(overdue)

    @event("Cancelled")
    def cancel(self, at: datetime) -> None:
        self.status, self.closed_at = "cancelled", at
        self.history.append(_system_entry("cancelled", at, "审核通过后 10 个工作日内未调档"))

    def graduating_cleanup_due(self, now: datetime, key_dates: KeyDates) -> bool:
        """XPT-8 [003 §三.5]: a transfer of a graduating-grade student not finished by the
        graduation deadline of the school year it began in is cleaned up (the school
        graduates the student; the transfer is started again if still wanted)."""
        if self.flow != "transfer" or self.status != "in_progress":
            return False
        student, system = self.student, SchoolSystem(self.out_side["school_system"])
        stage = Stage(student["stage"])
        last = national_grade(stage, stage_length(stage, system), system)
        if student["national_grade"] != last:
            return False
        year = key_dates.school_year(self.initiated_at.astimezone(SHANGHAI).date())
        month, day = key_dates.graduation_deadline
        return now.astimezone(SHANGHAI).date() > date(year + 1, month, day)

    @event("Cleaned")
    def clean(self, at: datetime, reason: str = "发起后 90 天未办结，系统清理") -> None:
        self.status, self.closed_at = "cleaned", at
        self.history.append(_system_entry("cleaned", at, reason))


def _entry(step: str, unit_code: str, meta: dict, at: datetime, opinion: str | None) -> dict:
    return {
        "step": step,
        "unit_code": meta.get("unit_code") or unit_code,
        "account": meta.get("account"),
        "decision": None,
        "opinion": opinion,
        "at": at,
    }


def _system_entry(step: str, at: datetime, opinion: str) -> dict:
    """An entry of the hub's own doing (a deadline), by the ministry's system account."""
    return _entry(step, "000000", {"account": "system"}, at, opinion)
