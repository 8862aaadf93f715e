"""The approval engine (DESIGN §4a): one base aggregate for every business that climbs a chain.

A business subclasses `Approval`, adds its payload, its eligibility and its effect on the
record, and says what a rejection does. The engine owns the rest: the chain frozen from the
SYS-1 table at submit, one step at a time decided by the step's unit in a deciding role
(`contracts.approval`), an opinion on every rejection, resubmission of a returned business,
revocation by the initiating school, forced intervention to the province (CHG-5), the step
deadline in working days, and one history. Decisions are idempotent by command id (BUS-2).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.approval import Step, StepLevel, check_decider, check_opinion, decision
from contracts.calendar import NONE_ENTERED, Entered, add_working_days
from contracts.errors import DomainError, Forbidden

STEP_DAYS = 10  # working days a unit has for its step (XPT-7, CHG-2 use the same)


class ProcessStatus:
    """The engine's statuses; a business may rename them for its public contract."""

    IN_PROGRESS = "in_progress"
    APPROVED = "approved"  # every step approved: the business's effect applies
    REJECTED = "rejected"  # ended by a rejection ([002 §7]: a rejected status change ends)
    RETURNED = "returned"  # back with the school, which may resubmit or give up
    REVOKED = "revoked"  # withdrawn by the initiating school


class Approval(Aggregate):
    """State the engine keeps: `chain` (frozen steps), `step` (index), `status`, `decisions`.

    A subclass calls `_enter_chain` from its own creation (or start) event and overrides the
    class settings below; the statuses are class attributes so a business keeps the names its
    API already publishes.
    """

    #: what a rejection does: back to the school (it may resubmit) or the end of the business
    rejection_returns: ClassVar[bool] = False
    #: REG-6: after the school's stamp the school registrar reports the entry to the bureau
    report_after_school: ClassVar[bool] = False
    IN_PROGRESS: ClassVar[str] = ProcessStatus.IN_PROGRESS
    SCHOOL_APPROVED: ClassVar[str] = "school_approved"
    APPROVED: ClassVar[str] = ProcessStatus.APPROVED
    REJECTED: ClassVar[str] = ProcessStatus.REJECTED
    RETURNED: ClassVar[str] = ProcessStatus.RETURNED
    REVOKED: ClassVar[str] = ProcessStatus.REVOKED
    #: refusals in the business's own words
    NOT_IN_REVIEW: ClassVar[str] = "该业务当前不在审核环节"
    NOT_YOUR_STEP: ClassVar[str] = "该业务不在本单位（本角色）的待审核范围内"
    OPINION_REQUIRED: ClassVar[str] = "不通过时须填写审核意见"
    #: Where the business's ids come from: one per command (`create_id(command_id)`), so a
    #: repeated command finds the process it made (BUS-2). A business names its namespace;
    #: without one (a test's stand-in) each process gets a random id.
    ID_NAMESPACE: ClassVar[UUID | None] = None

    @classmethod
    def create_id(cls, command_id: str | None = None) -> UUID:
        if cls.ID_NAMESPACE is None or command_id is None:
            return uuid4()
        return uuid5(cls.ID_NAMESPACE, command_id)

    # Instance state (not annotated here: eventsourcing turns annotations into constructor
    # fields): chain (list of step dicts), step (index), status, decisions, school_code, and
    # step_started_at, when the current step began (its deadline counts from it).
    step_started_at = None
    escalated_by = None  # the command that escalated it (CHG-5; a repeat changes nothing)

    # --- the chain -------------------------------------------------------------------------

    def _enter_chain(self, chain: list[dict], at: str | None) -> None:
        """Called inside an event: the chain is frozen here for the business's life."""
        if not chain:
            raise DomainError("审核流程为空", code="bad_chain")
        self.chain, self.step = list(chain), 0
        self.status = self.IN_PROGRESS
        self.step_started_at = at

    @property
    def current(self) -> Step | None:
        """The step awaiting its unit's decision, or None when none does."""
        if self.status != self.IN_PROGRESS:
            return None
        return Step.model_validate(self.chain[self.step])

    @property
    def is_last_step(self) -> bool:
        return self.step == len(self.chain) - 1

    def awaits(self, unit_code: str, role: str) -> str | None:
        """What the business awaits from this caller: `decide`, `report`, or nothing."""
        if self.status == self.SCHOOL_APPROVED:
            own = unit_code == self.school_code and role == "registrar"
            return "report" if own else None
        step = self.current
        try:
            self._check_step_prerequisites()
            if step is None:
                return None
            check_decider(step, unit_code, role, self.NOT_YOUR_STEP)
        except (DomainError, Forbidden):
            return None
        return "decide"

    # --- deciding --------------------------------------------------------------------------

    def check_decision(self, unit_code: str, role: str, approve: bool, opinion: str | None) -> None:
        """Only the current step's unit in a deciding role; a rejection says why."""
        step = self.current
        if step is None:
            raise DomainError(self.NOT_IN_REVIEW, code="not_in_review")
        self._check_step_prerequisites()
        check_decider(step, unit_code, role, self.NOT_YOUR_STEP)
        check_opinion(approve, opinion, self.OPINION_REQUIRED)

    def _check_step_prerequisites(self) -> None:
        """A business whose review must wait for something (REG-6: authentication) raises."""

    def seen(self, command_id: str) -> bool:
        """BUS-2: a decision repeated under its command id changes nothing."""
        return any(d.get("command_id") == command_id for d in self.decisions)

    @classmethod
    def after_decision(cls, step: int, chain_length: int, approve: bool) -> tuple[str, int]:
        """The status and step a decision leads to: the engine's one transition rule, which
        the read models apply too."""
        if not approve:
            return (cls.RETURNED if cls.rejection_returns else cls.REJECTED), step
        if step == 0 and cls.report_after_school:
            return cls.SCHOOL_APPROVED, step
        if step == chain_length - 1:
            return cls.APPROVED, step
        return cls.IN_PROGRESS, step + 1

    @classmethod
    def after_report(cls, chain_length: int) -> tuple[str, int]:
        """REG-6: a reported business goes to the bureau, or is done if the school was all."""
        return (cls.APPROVED, 0) if chain_length == 1 else (cls.IN_PROGRESS, 1)

    @event("Decided")
    def decide(self, approve: bool, opinion: str | None, at: str, meta: dict) -> None:
        step = self.chain[self.step]
        entry = decision(step["level"], step["unit_code"], meta, approve, opinion, at)
        self.decisions.append(entry | {"command_id": meta.get("command_id")})
        self.status, next_step = self.after_decision(self.step, len(self.chain), approve)
        if next_step != self.step:
            self.step, self.step_started_at = next_step, at

    def check_reportable(self, school_code: str) -> None:
        if self.school_code != school_code or self.status != self.SCHOOL_APPROVED:
            raise DomainError("只能上报本校已审核通过的业务", code="not_reportable")

    @event("Reported")
    def report(self, meta: dict, at: str | None = None) -> None:
        """REG-6: the school registrar submits the school-approved business to its bureau."""
        self.status, self.step = self.after_report(len(self.chain))
        self.step_started_at = at

    # --- the school's own actions ----------------------------------------------------------

    def check_resubmittable(self, school_code: str) -> None:
        if self.status != self.RETURNED or self.school_code != school_code:
            raise DomainError("只能重新提交本校被退回的业务", code="not_returned")

    @event("Resubmitted")
    def resubmit(self, meta: dict, at: str | None = None) -> None:
        self.step = 0
        self.status = self.IN_PROGRESS
        self.step_started_at = at

    def check_revocable(self, school_code: str) -> None:
        if self.school_code != school_code:
            raise Forbidden("只有发起业务的学校可以撤销", code="not_initiator")
        if self.status not in (self.IN_PROGRESS, self.SCHOOL_APPROVED, self.RETURNED):
            raise DomainError("已办结的业务不能撤销", code="revoke_not_allowed")

    @event("Revoked")
    def revoke(self, at: str, meta: dict) -> None:
        self.status = self.REVOKED

    def check_escalation(
        self, school_code: str, province_step: Step, today: date | None = None,
        entered: Entered = NONE_ENTERED,
    ) -> None:  # fmt: skip
        """CHG-5 强制干预: the school whose bureau has not acted within its step's working days
        sends the case to the province (`today` None: no deadline is asked)."""
        step = self.current
        if self.school_code != school_code:
            raise Forbidden("只有发起业务的学校可以申请强制干预", code="not_initiator")
        if step is None or step.level is StepLevel.SCHOOL:
            raise DomainError("只有在教育局审核环节的业务可以强制干预", code="not_escalatable")
        if step.unit_code == province_step.unit_code:
            raise DomainError("该业务已在省级审核环节", code="not_escalatable")
        due = self.step_due(entered)
        if today is not None and due is not None and today <= due:
            raise DomainError(
                f"{step.unit_name}的办理期限为{due.isoformat()}，期限届满前不能强制干预",
                code="not_overdue",
            )

    @event("Escalated")
    def escalate(self, province_step: dict, at: str, meta: dict) -> None:
        self.chain = [*self.chain[: self.step], province_step]
        self.step_started_at = at
        self.escalated_by = meta.get("command_id")

    # --- deadlines -------------------------------------------------------------------------

    def step_due(self, entered: Entered = NONE_ENTERED) -> date | None:
        """The last working day of the current step (10 working days from its start), by the
        ministry's calendar (`entered` years) where the library has none."""
        if self.current is None or self.step_started_at is None:
            return None
        started = datetime.fromisoformat(self.step_started_at).date()
        return add_working_days(started, STEP_DAYS, entered)

    def process_view(self) -> dict:
        """The engine's part of every business's public shape."""
        return {
            "status": self.status,
            "step": self.chain[self.step] if self.current is not None else None,
            "chain": self.chain,
            "history": [_public(d) for d in self.decisions],
        }


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "command_id"}
