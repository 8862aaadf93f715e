"""The province node's eventsourcing Application: persistence and getters (DESIGN §4).

Like the eventsourcing library's `bankaccounts` example, it stores and reads aggregates; the
use cases that change them are the async services (`registrations.py`, `reviews.py`,
`students.py`, `schools.py`, `configuration.py`, `cases.py`, `applications.py`, …), which
run their writes on the node's writer and `save` here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, ProcessRecorder

from contracts.codes import SchoolType, Stage
from contracts.errors import ContractError
from contracts.events import ArchivePhoto, StudentArchive
from contracts.org import OrgTree
from province_node.domain.dead_notices import DeadNotices
from province_node.domain.errors import NotFound
from province_node.domain.key_data_change import CONTROLLABLE
from province_node.domain.problem import KINDS, ProblemRecord
from province_node.domain.registration import Registration
from province_node.domain.school import School, SchoolDirectory
from province_node.domain.settings import ProvinceSettings
from province_node.domain.student import Student, StudentNumberIndex
from province_node.domain.workflow import school_region_chain
from province_node.domain.workflow_defaults import BusinessType, StepLevel
from province_node.history import history_item
from xueji.store import DateAsISO
from xueji.timetravel import state_as_of


class ProvinceNode(Application[UUID]):
    """Stores a province's events in its own database (`prov<code>_events`)."""

    def __init__(self, province: str, env: dict[str, str]) -> None:
        self.province = province
        self.name = f"prov{province}"  # [a-z0-9_] only, short: PostgreSQL pitfalls, DESIGN §3
        super().__init__(env)

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder also gives us the tracking table the outbox relay keeps its place in.
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def find(self, aggregate_id: UUID) -> object | None:
        """The aggregate of this id, or None."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def dead_notices(self) -> dict:
        """BUS-4: the hub's notices set aside instead of applied (`province_node/notices.py`)."""
        found = self.find(DeadNotices.create_id())
        return found.view() if isinstance(found, DeadNotices) else DeadNotices.empty()

    # --- schools -------------------------------------------------------------------------

    def directory(self) -> SchoolDirectory:
        return self.find(SchoolDirectory.create_id(self.province)) or SchoolDirectory(
            province=self.province
        )

    def school_codes(self) -> list[str]:
        return list(self.directory().school_codes)

    def schools(self) -> list[dict]:
        return [self.get_school(code).summary() for code in self.directory().school_codes]

    def school(self, school_code: str) -> dict:
        school = self.get_school(school_code)
        return {**school.summary(), "classes": list(school.classes.values())}

    def get_school(self, school_code: str) -> School:
        try:
            return self.repository.get(School.create_id(school_code))
        except AggregateNotFoundError:
            raise NotFound(f"学校 {school_code} 不存在", field="school_code") from None

    def check_placement(self, school_code: str, class_code: str, field: str = "class_code") -> None:
        """The school must be this province's and the class one of its classes [004 Q51]."""
        try:
            school = self.get_school(school_code)
        except NotFound:
            raise ContractError(
                "school_code", "unknown_school", f"学校 {school_code} 不是本省学校"
            ) from None
        school.check_active()  # ORG-2: nothing new at a school being revoked or revoked
        if not school.has_class(class_code):
            raise ContractError(
                field, "unknown_class", f"班级 {class_code} 不属于学校 {school_code}"
            )

    # --- province settings (SYS-1, SYS-2, SYS-3) -------------------------------------------

    def settings(self) -> ProvinceSettings:
        try:
            return self.repository.get(ProvinceSettings.create_id(self.province))
        except AggregateNotFoundError:
            return ProvinceSettings(province=self.province)

    def controlled_fields(self, school_code: str, org: OrgTree) -> dict:
        regions = school_region_chain(school_code, org)
        fields = self.settings().controlled_fields(regions)
        return {"school_code": school_code, "fields": fields,
                "labels": {f: CONTROLLABLE[f] for f in fields}}  # fmt: skip

    def frozen_chain(
        self,
        business: BusinessType,
        school_code: str,
        stage: Stage,
        org: OrgTree,
        up_to_province: bool = False,
    ) -> list[dict]:
        """SYS-1: the chain in force now for a business of this school, to freeze on it;
        `up_to_province`: every level up to the province however the rule ends (KDC-3)."""
        school_type = SchoolType(self.get_school(school_code).school_type)
        table = self.settings().workflow()
        steps = table.freeze(business, school_code, school_type, stage, org).steps
        if up_to_province:
            levels = {s.level for s in steps} | {StepLevel.SUPERVISING, StepLevel.CITY}
            levels |= {StepLevel.PROVINCE}
            steps = table.resolve(sorted(levels, key=lambda lv: lv.rank), school_code, org)
        return [step.model_dump(mode="json") for step in steps]

    # --- students ---------------------------------------------------------------------------

    def student(self, student_number: str) -> dict:
        return self.get_student(student_number).record()

    def student_as_of(self, student_number: str, at: datetime) -> dict:
        """AUD-2: the record as it was at `at`; NotFound before it existed."""
        past = state_as_of(self, self.get_student(student_number).id, at)
        if past is None:
            raise NotFound(f"学籍号 {student_number} 在 {at.isoformat()} 尚不存在", field="as_of")
        return past.record()

    def student_history(self, student_number: str) -> list[dict]:
        student = self.get_student(student_number)
        local = [history_item(e) for e in self.events.get(student.id)]
        return [*student.imported_history(), *local]

    def get_student(self, student_number: str) -> Student:
        try:  # a number is reserved at registration; the record exists once approved
            index = self.repository.get(StudentNumberIndex.create_id(student_number))
            return self.repository.get(index.student_id)
        except AggregateNotFoundError:
            raise NotFound(f"学籍号 {student_number} 不存在", field="student_number") from None

    def student_for_case(self, student_number: str, name: str) -> Student:
        """The record a case is about; its name must match (QRY-4 form, XPT-2)."""
        student = self.get_student(student_number)
        if student.name != name:
            raise NotFound("姓名与全国学籍号不符", field="student_name")
        return student

    def number_taken(self, number: str) -> bool:
        return self.find(StudentNumberIndex.create_id(number)) is not None

    def archive_of(
        self,
        student_id: UUID,
        up_to_version: int,
        photo: Callable[[str], bytes | None] | None = None,
    ) -> StudentArchive:
        """XPT-6: the full record and its history as they were when the student left; with
        `photo` (reads a blob; None when it cannot), the photo it had then (ID-7)."""
        student = self.repository.get(student_id, version=up_to_version)
        local = [history_item(e) for e in self.events.get(student_id, lte=up_to_version)]
        history = [*student.imported_history(), *local]
        data = photo(student.photo["blob"]) if photo and student.photo else None
        return StudentArchive(
            province=self.province,
            record=student.full_record(),
            history=history,
            problems=self.open_problem_records(student.student_number),
            photo=ArchivePhoto.of(data) if data else None,
        )

    # --- registrations and problem records ----------------------------------------------------

    def registration(self, registration_id: UUID) -> dict:
        return self.get_registration(registration_id).summary()

    def get_registration(self, registration_id: UUID) -> Registration:
        try:
            return self.repository.get(registration_id)
        except AggregateNotFoundError:
            raise NotFound(f"注册记录 {registration_id} 不存在") from None

    def get_registrations(self, ids: list[UUID]) -> list[Registration]:
        return [self.get_registration(i) for i in ids]

    def find_registration(self, command_id: str) -> dict | None:
        found = self.find(Registration.create_id(command_id))
        return found.summary() if found is not None else None

    def claim_is_lost(self, registration_id: str) -> bool:
        """REG-5: this province's registration the hub names as holding a claim has ended
        without a student, or was never stored (the hub's reply to it was lost, or the node
        stopped before storing it): its claim may move to a new registration. The caller
        excludes the registrations whose claim is still on its way to the store."""
        registration = self.find(UUID(registration_id))
        if registration is None:
            return True
        return isinstance(registration, Registration) and registration.has_ended

    def open_problem_records(self, student_number: str) -> list[dict]:
        """PRB-6: the record's open problems as its archive carries them (type and reason)."""
        found = []
        for kind in KINDS:
            record = self.find(ProblemRecord.create_id(kind, student_number))
            if record is not None and record.status == "open":
                found.append({"type": kind, "reason": record.reason})
        return found

    def open_problems(self, student_number: str) -> list[str]:
        """The types of the record's open problem records (PRB-1; CHG-3 blocks on them).
        A record's id is its type and number, so each type is one look-up per number the
        record has had (ID-3: a renumbered record keeps the problems of its old number)."""
        numbers = [student_number]
        with contextlib.suppress(NotFound):  # a registration's number has no student yet
            numbers += [h["number"] for h in self.get_student(student_number).number_history]
        found = []
        for kind, name in KINDS.items():
            for number in numbers:
                problem = self.find(ProblemRecord.create_id(kind, number))
                if problem is not None and problem.status == "open" and name not in found:
                    found.append(name)
        return found
