"""The student record (学籍) and the index from student number to record."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import ClassCode, Stage, StudentStatus
from contracts.errors import DomainError, Forbidden
from province_node.domain.key_data_change import IDENTITY_FIELDS
from province_node.domain.profile import derived_pinyin
from province_node.domain.student_status import FLOW_BUSINESS, check_may_start, status_after
from province_node.domain.workflow_defaults import BusinessType

_NS = uuid5(NAMESPACE_URL, "xueji:province:student")
DELETED = StudentStatus.DELETED.value
#: The businesses an open problem record does not block (see `check_nothing_in_flight`).
PROBLEMS_DO_NOT_BLOCK = {
    "deletion",
    "enrollment",
    "admission_junior",
    "admission_senior",
}
#: What the one lock names when a business holds the record, for the refusal.
_IN_FLIGHT_LABELS = {
    "transfer": "跨省业务",
    "enrollment": "跨省业务",
    "deletion": "删除申请",
    "dropout": "控辍保学",  # DRP-1: an open dropout case holds the record until the return
    "migration": "学籍转移",  # ORG-3: held until the receiving school decides
}


class Student(Aggregate):
    """One student's record. Born from a registration whose national dedup passed."""

    suspension = None  # records stored before CHG-1 existed have none
    graduation = None  # GRD-1: {"id", "kind", "stage", "date", "school_code", "class_code"}
    promoted_to: int | None = None  # GRD-3: the school year the last promotion moved it into
    #: ADM-2: the admission that brought it to its school: {"id", "stage", "from_school",
    #: "from_class"}; while `class_code` is None the record awaits its class (待分班).
    admission = None
    #: DAY-1: the record beyond its identity (`province_node.domain.profile.FIELDS`)
    profile: dict | None = None
    #: ID-3: the numbers the record held before its present one, oldest first:
    #: {"number", "new_number", "reason", "at"}; each still finds the record.
    number_history: tuple[dict, ...] | list[dict] = ()
    #: Issue 17 item 6: the cross-province cases closed for this record (ids), so a
    #: `case_opened` delivered after its `case_closed` (late, reordered) locks nothing.
    closed_cases: tuple[str, ...] | list[str] = ()

    @staticmethod
    def create_id(registration_id: UUID) -> UUID:
        return uuid5(_NS, str(registration_id))

    @event("Registered")
    def __init__(
        self,
        registration_id: UUID,
        student_number: str,
        dedup_key: str,
        id_type: str,
        id_number: str | None,
        name: str,
        sex: str,
        birth_date: date,
        ethnicity: str | None,
        school_code: str,
        class_code: str,
        guardians: list[dict],
        auth_status: str,
        meta: dict,
    ) -> None:
        self.registration_id = registration_id
        self.student_number = student_number
        self.dedup_key = dedup_key
        self.id_type = id_type
        self.id_number = id_number
        self.name = name
        self.sex = sex
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.school_code = school_code
        self.class_code = class_code
        self.guardians = list(guardians)
        self.auth_status = auth_status
        self.status = StudentStatus.ENROLLED.value
        self.deletion_reason: str | None = None
        self.deletion_id: str | None = None  # REG-9: the last deletion application
        #: CHG-3: the one business in flight that holds the record, {"business", "id"}
        self.in_flight: dict | None = None
        #: CHG-1 复学: when and in which class and grade the suspension began
        self.suspension: dict | None = None
        #: KDC-3: approved changes of identity fields, {"fields", "at"} (name-then-ID rule)
        self.identity_changes: list[dict] = []
        self.transferred_in: dict | None = None
        self.left_by_case: str | None = None
        self.notices: list[dict] = []

    class TransferredIn(Aggregate.Created):
        """XPT-6: created from another province's archive, same number, its history kept."""

        registration_id: UUID
        student_number: str
        dedup_key: str
        id_type: str
        id_number: str | None
        name: str
        sex: str
        birth_date: date
        ethnicity: str | None
        school_code: str
        class_code: str
        guardians: list[dict]
        auth_status: str
        meta: dict
        case_id: str
        from_province: str
        history: list[dict]

        def apply(self, aggregate: Student) -> None:
            aggregate.transferred_in = {
                "case_id": self.case_id,
                "from_province": self.from_province,
                "history": self.history,
            }

    # --- cross-province cases (XPT-2, XPT-6) ------------------------------------------------

    def check_nothing_in_flight(self, business: str, open_problems: Collection[str] = ()) -> None:
        """CHG-3, the one rule for every new business on this record: nothing may be in
        flight — a cross-province case, a deletion application, an open problem record
        (`open_problems`: their type names), and each application as it is built. The
        refusal names what is in flight.

        A problem record does not block its own way out, deletion (PRB-3), nor the
        admission of a graduating-year student, post-graduation enrollment (PRB-6).
        """
        busy = [self.in_flight_label] if self.in_flight else []
        if business not in PROBLEMS_DO_NOT_BLOCK:
            busy += [f"问题学籍“{kind}”" for kind in open_problems]
        if busy:
            raise DomainError(
                f"该学生有正在办理的业务：{'、'.join(busy)}，不能办理新业务",
                code="business_in_flight",
            )

    def check_case_eligible(
        self, flow: str, national_grade: int, stage: str, open_problems: Collection[str] = ()
    ) -> None:
        """XPT-2 / PGE-1, judged by the province that holds the record."""
        self.check_nothing_in_flight(flow, open_problems)
        if self.status == StudentStatus.SUSPENDED.value:
            raise DomainError("休学学生须先办理复学，才能跨省转学", code="not_eligible")
        check_may_start(FLOW_BUSINESS[flow], self.status)
        if flow == "enrollment" and not (
            stage == "2" and self.status == StudentStatus.GRADUATED.value
        ):
            raise DomainError("只有初中毕业生可以办理毕业后跨省就学", code="not_eligible")

    @property
    def in_flight_label(self) -> str | None:
        """What holds the record, in words (CHG-3's refusal, the record's page)."""
        if self.in_flight is None:
            return None
        business = self.in_flight["business"]
        return _IN_FLIGHT_LABELS.get(business) or f"{BusinessType(business).label}申请"

    @property
    def case_id(self) -> str | None:
        """The cross-province case in flight, if the lock is one's."""
        held = self.in_flight
        return held["id"] if held and held["business"] in FLOW_BUSINESS else None

    def _take(self, business: str, process_id: str | None) -> None:
        self.in_flight = {"business": business, "id": process_id}

    def _release(self, process_id: str | None) -> None:
        if self.in_flight and self.in_flight["id"] == process_id:
            self.in_flight = None

    @event("CaseOpened")
    def open_case(self, case_id: str, flow: str, meta: dict) -> None:
        self._take(flow, case_id)

    @event("CaseClosed")
    def close_case(self, case_id: str, outcome: str, meta: dict) -> None:
        """Releases the record if this case holds it, and remembers the case as closed (a
        close that arrives before its open is recorded too: the open is then ignored)."""
        self._release(case_id)
        self.closed_cases = [*self.closed_cases, case_id]

    def case_closed(self, case_id: str) -> bool:
        return case_id in self.closed_cases

    @event("TransferredOut")
    def transfer_out(self, case_id: str, flow: str, to_province: str, meta: dict) -> None:
        """The archive leaves (published with the full record); the record stays here."""
        self.status = status_after(FLOW_BUSINESS[flow], self.status)
        self._release(case_id)
        self.left_by_case = case_id

    @event("CaseCompletedNoticed")
    def notice_completed(self, case_id: str, to_province: str, meta: dict) -> None:
        """XPT-6: the out-school is told the student arrived in the new province."""
        self.notices.append({"case_id": case_id, "to_province": to_province})

    # --- ID-7: the photo ---

    #: {"blob" (the blob store's name: the sha256 of the JPEG), "size", "width", "height",
    #: "source" ("upload" or the import's file), "at"}; None until a photo is set.
    photo: dict | None = None

    @event("PhotoSet")
    def set_photo(self, blob: str, size: int, width: int, height: int, source: str, at: str,
                  meta: dict) -> None:  # fmt: skip
        """A photo replaces the previous one (the old blob stays: the history names it)."""
        self.photo = {"blob": blob, "size": size, "width": width, "height": height,
                      "source": source, "at": at}  # fmt: skip

    # --- CHG-1…CHG-4: status changes and in-province transfers (`StudentApplication`) -----

    @event("ApplicationStarted")
    def start_application(self, application_id: str, business: str, meta: dict) -> None:
        """The application holds the record until it is decided or revoked (CHG-3)."""
        self._take(business, application_id)

    @event("Changed")
    def change(
        self,
        application_id: str,
        business: str,
        status: str,
        school_code: str,
        class_code: str,
        change_date: str,
        suspension: dict | None,
        opinion: str | None,
        meta: dict,
    ) -> None:
        """The approved application's effect: status, school and class as it fixed them."""
        self.status, self.school_code, self.class_code = status, school_code, class_code
        self.suspension = suspension
        self._release(application_id)

    @event("KeyDataChanged")
    def change_key_data(
        self,
        application_id: str,
        changes: dict,
        old_dedup_key: str,
        dedup_key: str,
        auth_status: str | None,
        opinion: str | None,
        at: str,
        meta: dict,
    ) -> None:
        """KDC-2: the approved new values; published, the hub's identity follows (KDC-3)."""
        for field, value in changes.items():
            setattr(self, field, date.fromisoformat(value) if field == "birth_date" else value)
        self.dedup_key = dedup_key
        if auth_status is not None:
            self.auth_status = auth_status
        identity = [f for f in changes if f in IDENTITY_FIELDS]
        if identity:
            self.identity_changes = [*self.identity_changes, {"fields": identity, "at": at}]
        self._release(application_id)

    @event("Renumbered")
    def renumber(self, old_number: str, new_number: str, reason: str, auth_status: str | None,
                 at: str, meta: dict) -> None:  # fmt: skip
        """ID-3: a new national student number (`L` → `G` once authenticated, `J` → `G` once a
        resident ID is added and passes, a formal `G` turned HK/foreign → a new `L`, PRB-5);
        the old one is kept in `number_history` and still finds the record. Published: the
        hub's index follows."""
        self.number_history = [
            *self.number_history,
            {"number": old_number, "new_number": new_number, "reason": reason, "at": at},
        ]
        self.student_number = new_number
        if auth_status is not None:
            self.auth_status = auth_status

    @event("ApplicationEnded")
    def end_application(self, application_id: str, outcome: str, meta: dict) -> None:
        """Rejected or revoked: the record is free again, unchanged."""
        self._release(application_id)

    # --- GRD-1…GRD-3: graduation, its rollback, promotion ---------------------------------

    @event("Graduated")
    def graduate(self, graduation_id: str, kind: str, status: str, graduation_date: str,
                 opinion: str | None, meta: dict) -> None:  # fmt: skip
        """The approved graduation's effect (`Graduation`): 毕业/结业/肄业 on that day."""
        self.status = status
        self.graduation = {
            "id": graduation_id,
            "kind": kind,
            "stage": self.stage.value,
            "date": graduation_date,
            "school_code": self.school_code,
            "class_code": self.class_code,
        }
        self._release(graduation_id)

    @event("GraduationRolledBack")
    def roll_back_graduation(self, reason: str, meta: dict) -> None:
        """GRD-2 毕业退回: back in school, in the class it graduated from."""
        self.status = StudentStatus.ENROLLED.value
        self.graduation = None

    @event("Promoted")
    def promote(self, school_year: int, grade_before: int, grade_after: int, meta: dict) -> None:
        """GRD-3: one grade up into `school_year` (the class keeps its code, ID-5)."""
        self.promoted_to = school_year

    # --- ADM-2 / ADM-3: admission into the next stage (`Admission`) ----------------------

    @event("JoinedByAdmission")
    def join_by_admission(self, admission_id: str, business: str, school_code: str, stage: str,
                          meta: dict) -> None:  # fmt: skip
        """调档: the admitting school's student now, in school, awaiting its class; the
        admission holds the record until 分班 (nothing else may start meanwhile)."""
        self.admission = {"id": admission_id, "stage": stage, "from_school": self.school_code,
                          "from_class": self.class_code}  # fmt: skip
        self.status = status_after(BusinessType(business), self.status)
        self.school_code, self.class_code = school_code, None
        self._take(business, admission_id)

    @event("PlacedByAdmission")
    def place_by_admission(self, admission_id: str, class_code: str, meta: dict) -> None:
        """分班: the admitted student's class; the admission is done."""
        self.class_code = class_code
        self._release(admission_id)

    def roll_back_admission(self, admission_id: str, reason: str, meta: dict) -> None:
        """招生回退: a graduate of the school it graduated from again, as before the pull."""
        self._admission_rolled_back(admission_id=admission_id, reason=reason,
                                    school_code=self.admission["from_school"],
                                    class_code=self.admission["from_class"], meta=meta)  # fmt: skip

    @event("AdmissionRolledBack")
    def _admission_rolled_back(self, admission_id: str, reason: str, school_code: str,
                               class_code: str, meta: dict) -> None:  # fmt: skip
        self.status = StudentStatus.GRADUATED.value
        self.school_code, self.class_code = school_code, class_code
        self.admission = None
        self._release(admission_id)

    # --- DAY-1…DAY-7: record maintenance 学籍数据维护 --------------------------------------

    def check_editable(self, school_code: str) -> None:
        if school_code != self.school_code:
            raise Forbidden("只能维护本校学生的学籍信息", code="outside_jurisdiction")
        if self.status in (DELETED, StudentStatus.TRANSFERRED_OUT.value):
            raise DomainError(f"学籍状态为“{self.status}”的学生不能维护信息", code="not_editable")

    @event("Edited")
    def edit(self, changes: dict, before: dict, reason: str | None, meta: dict) -> None:
        """Fields edited directly, each edit one event with its actor and reason; `before`
        keeps the values they replace (the change history DAY-3/DAY-4 filter by)."""
        profile = dict(self.profile or {})
        for key, value in changes.items():
            if key in ("ethnicity", "class_code"):  # key data a province left uncontrolled
                setattr(self, key, value)
            elif value is None:
                profile.pop(key, None)
            else:
                profile[key] = value
        self.profile = profile

    # --- REG-9: "apply for deletion" (误操作删除) → the supervising bureau confirms -------------

    def check_deletion_request(self, school_code: str) -> None:
        if school_code != self.school_code:
            raise Forbidden("只能为本校学生申请删除", code="outside_jurisdiction")
        if self.student_number[0] in "GJ":
            raise DomainError("已获得正式学籍号的学生不能删除", code="formal_number")
        self.check_nothing_in_flight("deletion")
        check_may_start(BusinessType.DELETION, self.status)

    @event("DeletionRequested")
    def request_deletion(self, reason: str, meta: dict, deletion_id: str | None = None) -> None:
        """The record is locked by its deletion application (`StudentDeletion`) until decided."""
        self.deletion_reason = reason
        self.deletion_id = deletion_id
        self._take("deletion", deletion_id)

    def delete(self, opinion: str | None, meta: dict) -> None:
        """The effect of an approved deletion: published, the hub frees the identity."""
        self._deleted(
            student_number=self.student_number,
            dedup_key=self.dedup_key,
            opinion=opinion,
            meta=meta,
        )

    @event("Deleted")
    def _deleted(
        self, student_number: str, dedup_key: str, opinion: str | None, meta: dict
    ) -> None:
        """Carries the number and identity key: the hub frees the identity (published)."""
        self.status = status_after(BusinessType.DELETION, self.status)
        self._release(self.deletion_id)

    @event("DeletionRefused")
    def refuse_deletion(self, opinion: str | None, meta: dict) -> None:
        """A refused deletion ends its application and unlocks the record."""
        self.deletion_reason = None
        self._release(self.deletion_id)

    @property
    def stage(self) -> Stage:
        if self.class_code is None:  # admitted, awaiting its class (ADM-2)
            return Stage(self.admission["stage"])
        return ClassCode.parse(self.class_code).stage

    def imported_history(self) -> list[dict]:
        """The history the record brought from its previous province (XPT-6)."""
        return list(self.transferred_in["history"]) if self.transferred_in else []

    def full_record(self) -> dict:
        """Everything a province needs to carry the record on (the archive, XPT-6)."""
        return self.record() | {"dedup_key": self.dedup_key}

    def record(self) -> dict:
        return {
            "id": str(self.id),
            "student_number": self.student_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "id_type": self.id_type,
            "id_number": self.id_number,
            "ethnicity": self.ethnicity,
            "school_code": self.school_code,
            "class_code": self.class_code,
            "status": self.status,
            "auth_status": self.auth_status,
            "guardians": self.guardians,
            "registration_id": str(self.registration_id),
            "version": self.version,
            "deletion_requested": self.deletion_reason is not None and self.status != DELETED,
            "case_id": self.case_id,
            "in_flight": self.in_flight and self.in_flight | {"label": self.in_flight_label},
            "suspension": self.suspension,
            "graduation": self.graduation,
            "admission": self.admission,
            "profile": dict(self.profile or {}),
            "name_pinyin": (self.profile or {}).get("name_pinyin") or derived_pinyin(self.name),
            "transferred_in": _without_history(self.transferred_in),
            "notices": list(self.notices),
            "number_history": list(self.number_history),
        }


def _without_history(transferred_in: dict | None) -> dict | None:
    if transferred_in is None:
        return None
    return {k: v for k, v in transferred_in.items() if k != "history"}


class StudentNumberIndex(Aggregate):
    """Points a student number at its record (a G/J number never changes, ID-3)."""

    @staticmethod
    def create_id(student_number: str) -> UUID:
        return uuid5(_NS, f"number:{student_number}")

    @event("Assigned")
    def __init__(self, student_number: str, student_id: UUID) -> None:
        self.student_number = student_number
        self.student_id = student_id

    @event("Repointed")
    def repoint(self, student_id: UUID) -> None:
        """A student who left and came back (XPT-6): the number names the new record."""
        self.student_id = student_id
