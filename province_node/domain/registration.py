"""A registration 学籍注册 (REG): submitted, checked nationally, then a student or refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from contracts.errors import DomainError
from contracts.person import Person
from province_node.domain.approval import Approval

_NS = uuid5(NAMESPACE_URL, "xueji:province:registration")


@dataclass(frozen=True)
class NationalChecks:
    """What the hub's dedup and the population registry said about a registration (REG-5)."""

    holder_province: str | None = None  # set: the identity is held elsewhere (dedup failed)
    holder_student_number: str | None = None
    auth: str = "not_applicable"  # passed | failed | pending | not_applicable
    auth_reason: str | None = None
    auth_failure_blocks: bool = False  # the province switch (SYS-3)
    dedup_deferred: bool = False  # instant dedup off (SYS-3): the hub is asked later

    @property
    def refused_by_authentication(self) -> bool:
        return self.auth == "failed" and self.auth_failure_blocks


class RegistrationStatus:
    SUBMITTED = "submitted"
    REFUSED = "refused"  # closed by the system: national dedup failed (REG-5)
    IN_REVIEW = "in_review"  # awaiting the decision of `chain[step]` (REG-6)
    SCHOOL_APPROVED = "school_approved"  # awaiting the school registrar's report
    RETURNED = "returned"  # rejected: back with the school registrar
    REGISTERED = "registered"
    DELETED = "deleted"  # REG-9: deleted by the registrar before the report
    ABANDONED = "abandoned"  # REG-5: returned and not resubmitted in time, closed by the system

    OPEN = (SUBMITTED, IN_REVIEW, SCHOOL_APPROVED, RETURNED)
    #: Ended without a student: a national claim it may hold is released (REG-5).
    ENDED = (REFUSED, DELETED, ABANDONED)


class Registration(Approval):
    """Idempotent by command id: the same command always lands on the same registration.

    Its review runs on the approval engine: the school approver's stamp, the school
    registrar's report, then each bureau of the frozen chain; a rejection returns it to the
    school (REG-6)."""

    rejection_returns = True
    report_after_school = True
    IN_PROGRESS = "in_review"
    APPROVED = "registered"  # the last approval creates the student (same transaction)
    NOT_IN_REVIEW = "该注册记录当前不在审核中"
    NOT_YOUR_STEP = "该注册记录不在本单位（本角色）的待审核范围内"
    OPINION_REQUIRED = "退回时须填写审核意见"

    ID_NAMESPACE = _NS

    @event("Submitted")
    def __init__(
        self,
        command_id: str,
        province: str,
        entry: str,
        id_type: str,
        id_number: str | None,
        name: str,
        sex: str,
        birth_date: date,
        ethnicity: str | None,
        school_code: str,
        class_code: str,
        guardians: list[dict],
        dedup_key: str,
        meta: dict,
    ) -> None:
        self.command_id = command_id
        self.province = province
        self.entry = entry
        self.id_type = id_type
        self.id_number = id_number
        self.name = name
        self.sex = sex
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.school_code = school_code
        self.class_code = class_code
        self.guardians = list(guardians)
        self.dedup_key = dedup_key
        self.status = RegistrationStatus.SUBMITTED
        self.dedup_status = "pending"
        self.auth_status = "pending"
        self.auth_reason: str | None = None
        self.student_number: str | None = None
        self.holder_province: str | None = None
        self.problem_record_id: UUID | None = None
        self.chain: list[dict] = []  # the frozen approval chain: [{level, unit_code, unit_name}]
        self.step = 0
        self.decisions: list[dict] = []
        self.warnings: list[str] = []
        self.proof: dict | None = None
        self.release_reason: str | None = None  # set once its national claim is released
        self.student_created = False

    @event("ProofAttached")
    def attach_proof(self, sha256: str, content_type: str, size: int, meta: dict) -> None:
        """ID-7/REG-6: the proof material, kept in the blob store under its hash."""
        self.proof = {"sha256": sha256, "content_type": content_type, "size": size}

    @event("DedupDeferred")
    def defer_dedup(self, chain: list[dict], meta: dict) -> None:
        """Instant dedup is off: the chain is frozen now, review starts once dedup passes."""
        self.chain = list(chain)

    def claim_view(self) -> dict:
        """What the hub needs to decide the dedup of this registration."""
        return {
            "id": str(self.id),
            "dedup_key": self.dedup_key,
            **Person.of(self).as_dict(),
            "school_code": self.school_code,
            "command_id": self.command_id,
        }

    @event("Flagged")
    def flag(self, warnings: list[str], meta: dict) -> None:
        """REG-8: e.g. an under-age primary entrant; shown to every reviewer, not blocking."""
        self.warnings = list(warnings)

    @event("DedupRefused")
    def refuse_duplicate(
        self, holder_province: str, holder_student_number: str | None, meta: dict
    ) -> None:
        self.dedup_status = "conflict"
        self.holder_province = holder_province
        self.status = RegistrationStatus.REFUSED

    @event("Authenticated")
    def record_authentication(self, outcome: str, reason: str | None, meta: dict) -> None:
        """REG-5: `passed`, `failed`, `pending` (registry unreachable) or `not_applicable`."""
        self.auth_status = outcome
        self.auth_reason = reason

    @event("RefusedByAuthentication")
    def refuse_unauthenticated(self, meta: dict) -> None:
        """REG-5 with the province switch `auth_failure_blocks` on: closed by the system.
        At entry the hub is not asked, so nothing is held; `refuse_after_authentication`
        closes one whose authentication was pending, which may hold its claim."""
        self.status = RegistrationStatus.REFUSED

    def refuse_after_authentication(self, meta: dict) -> None:
        self.refuse_unauthenticated(meta=meta)
        self.release_claim(reason="refused", meta=meta)

    def release_claim(self, reason: str, meta: dict) -> None:
        """REG-5: published to the hub (outbox), which frees the identity if this
        registration holds it; one whose dedup conflicted (or went on as a duplicate) never did."""
        if self.dedup_status not in ("conflict", "duplicate"):
            self._claim_released(dedup_key=self.dedup_key, reason=reason, meta=meta)

    @event("ClaimReleased")
    def _claim_released(self, dedup_key: str, reason: str, meta: dict) -> None:
        self.release_reason = reason

    @property
    def has_ended(self) -> bool:
        return self.status in RegistrationStatus.ENDED

    @event("ProblemRecordOpened")
    def note_problem_record(self, problem_record_id: UUID, meta: dict) -> None:
        self.problem_record_id = problem_record_id

    #: PRB-1: the record the deferred dedup found holding this identity, {"province",
    #: "student_number"}; the registration went on, and its student opens a problem group.
    duplicate_of = None

    @event("DuplicateNoted")
    def note_duplicate(self, holder_province: str, holder_student_number: str, meta: dict) -> None:
        """REG-5 with instant dedup off: the identity is held by a student already. The entry
        goes on (with a temporary number) and the two records become a problem group (PRB-1)."""
        self.dedup_status = "duplicate"
        self.duplicate_of = {"province": holder_province, "student_number": holder_student_number}

    @event("DedupPassed")
    def pass_dedup(self, meta: dict) -> None:
        self.dedup_status = "passed"

    # --- review (REG-6, REG-7) on the approval engine: the chain is frozen on entering review ---

    @event("ReviewStarted")
    def start_review(self, chain: list[dict], meta: dict) -> None:
        self._enter_chain(chain, at=None)

    def _check_step_prerequisites(self) -> None:
        """REG-6: an entry whose authentication has not finished cannot be reviewed."""
        if self.auth_status == "pending":
            raise DomainError("身份认证尚未完成，暂不能审核", code="checks_pending")

    def returned_before(self, moment: datetime) -> bool:
        """Returned to the school (its last decision) before `moment`, not resubmitted."""
        if self.status != RegistrationStatus.RETURNED:
            return False
        return datetime.fromisoformat(self.decisions[-1]["at"]) < moment

    def abandon(self, meta: dict) -> None:
        """REG-5: the school let a returned entry lie past the time allowed: it ends, its
        claim is released."""
        self._abandoned(meta=meta)
        self.release_claim(reason="abandoned", meta=meta)

    @event("Abandoned")
    def _abandoned(self, meta: dict) -> None:
        self.status = RegistrationStatus.ABANDONED

    def check_deletable(self, school_code: str) -> None:
        """REG-9: one entry, by its school, before it was reported."""
        before_report = (
            self.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED)
            or (self.status == RegistrationStatus.IN_REVIEW and self.step == 0)
            or self.status == RegistrationStatus.SCHOOL_APPROVED
        )
        if self.school_code != school_code or not before_report:
            raise DomainError("只能删除本校尚未上报的注册记录", code="not_deletable")

    def delete(self, meta: dict) -> None:
        self._deleted(meta=meta)
        self.release_claim(reason="deleted", meta=meta)

    @event("Deleted")
    def _deleted(self, meta: dict) -> None:
        self.status = RegistrationStatus.DELETED

    @event("NumberAssigned")
    def assign_number(self, student_number: str, meta: dict) -> None:
        """ID-3: the number is reserved when the national checks pass; the record follows."""
        self.student_number = student_number

    def person(self) -> dict:
        """The identity and placement the student record takes over."""
        return {
            **Person.of(self).as_dict(),
            "ethnicity": self.ethnicity,
            "school_code": self.school_code,
            "class_code": self.class_code,
            "guardians": self.guardians,
        }

    def side(self) -> dict:
        """What a problem group shows of this entry (PRB-4: never the family)."""
        fields = ("student_number", "school_code", "class_code", "name", "sex", "birth_date",
                  "id_type", "id_number")  # fmt: skip
        return {f: getattr(self, f) for f in fields}

    @event("StudentCreated")
    def create_student(self, student_number: str, meta: dict) -> None:
        self.student_number = student_number
        self.status = RegistrationStatus.REGISTERED
        self.student_created = True

    def summary(self) -> dict:
        return {
            "id": str(self.id),
            "status": self.status,
            "dedup_status": self.dedup_status,
            "auth_status": self.auth_status,
            "student_number": self.student_number,
            "holder_province": self.holder_province,
            "school_code": self.school_code,
            "name": self.name,
            "id_type": self.id_type,
            "id_number": self.id_number,
            "auth_reason": self.auth_reason,
            "problem_record_id": str(self.problem_record_id) if self.problem_record_id else None,
            "entry": self.entry,
            "class_code": self.class_code,
            "step": self.chain[self.step] if self.status == RegistrationStatus.IN_REVIEW else None,
            "chain": self.chain,
            "history": self.process_view()["history"],
            "warnings": self.warnings,
            "proof": self.proof,
        }
