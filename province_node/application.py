"""The province node's eventsourcing Application: one method per use case (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, ProcessRecorder

from contracts.codes import SchoolType, Stage
from contracts.errors import ContractError
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from province_node.case_records import CaseRecords
from province_node.domain.deletion import StudentDeletion
from province_node.domain.errors import DomainError, NotFound
from province_node.domain.key_data_change import CONTROLLABLE
from province_node.domain.school import School, SchoolDirectory
from province_node.domain.settings import ProvinceSettings
from province_node.domain.student import Student, StudentNumberIndex
from province_node.domain.workflow import school_region_chain
from province_node.domain.workflow_defaults import BusinessType, StepLevel
from province_node.history import history_item
from province_node.pending_checks import PendingCheckUseCases
from province_node.registering import RegistrationUseCases
from xueji.store import DateAsISO
from xueji.timetravel import state_as_of


class ProvinceNode(RegistrationUseCases, PendingCheckUseCases, CaseRecords, Application[UUID]):
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

    # --- schools -------------------------------------------------------------------------

    def load_schools(self, schools: list[dict], meta: CommandMeta) -> int:
        """Adds the schools (with their classes) not yet known; returns how many were new."""
        directory = self._directory()
        new = []
        for seed in schools:
            if seed["school_code"] in directory.school_codes:
                continue
            school = School(
                meta=meta.as_dict(), **{k: v for k, v in seed.items() if k != "classes"}
            )
            for klass in seed["classes"]:
                school.open_class(meta=meta.as_dict(), **klass)
            directory.add(school.school_code)
            new.append(school)
        if new:
            self.save(directory, *new)
        return len(new)

    def school_codes(self) -> list[str]:
        return list(self._directory().school_codes)

    def schools(self) -> list[dict]:
        return [self._school(code).summary() for code in self._directory().school_codes]

    def school(self, school_code: str) -> dict:
        school = self._school(school_code)
        return {**school.summary(), "classes": list(school.classes.values())}

    def _directory(self) -> SchoolDirectory:
        try:
            return self.repository.get(SchoolDirectory.create_id(self.province))
        except AggregateNotFoundError:
            return SchoolDirectory(province=self.province)

    def _school(self, school_code: str) -> School:
        try:
            return self.repository.get(School.create_id(school_code))
        except AggregateNotFoundError:
            raise NotFound(f"学校 {school_code} 不存在", field="school_code") from None

    def get_school(self, school_code: str) -> School:
        return self._school(school_code)

    def check_placement(self, school_code: str, class_code: str, field: str = "class_code") -> None:
        """The school must be this province's and the class one of its classes [004 Q51]."""
        try:
            school = self._school(school_code)
        except NotFound:
            raise ContractError(
                "school_code", "unknown_school", f"学校 {school_code} 不是本省学校"
            ) from None
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

    def change_switches(self, changes: dict[str, bool], meta: CommandMeta) -> dict:
        settings = self.settings()
        switches = settings.change_switches(changes, meta.as_dict())
        self.save(settings)
        return switches.model_dump()

    def override_key_dates(self, overrides: dict, meta: CommandMeta) -> dict:
        settings = self.settings()
        key_dates = settings.override_key_dates(overrides, meta.as_dict())
        self.save(settings)
        return key_dates.model_dump(mode="json")

    def set_controlled_fields(self, scope: str, fields: list[str], meta: CommandMeta) -> list:
        settings = self.settings()
        checked = settings.set_controlled_fields(scope, fields, meta.as_dict())
        self.save(settings)
        return checked

    def controlled_fields(self, school_code: str, org: OrgTree) -> dict:
        regions = school_region_chain(school_code, org)
        fields = self.settings().controlled_fields(regions)
        return {"school_code": school_code, "fields": fields,
                "labels": {f: CONTROLLABLE[f] for f in fields}}  # fmt: skip

    def set_workflow_rule(self, rule: dict, meta: CommandMeta) -> dict:
        settings = self.settings()
        checked = settings.set_workflow_rule(rule, meta.as_dict())
        self.save(settings)
        return checked.model_dump(mode="json")

    # --- students ---------------------------------------------------------------------------

    def student(self, student_number: str) -> dict:
        return self._student(student_number).record()

    def student_as_of(self, student_number: str, at: datetime) -> dict:
        """AUD-2: the record as it was at `at`; NotFound before it existed."""
        past = state_as_of(self, self._student(student_number).id, at)
        if past is None:
            raise NotFound(f"学籍号 {student_number} 在 {at.isoformat()} 尚不存在", field="as_of")
        return past.record()

    def student_history(self, student_number: str) -> list[dict]:
        student = self._student(student_number)
        local = [history_item(e) for e in self.events.get(student.id)]
        return [*student.imported_history(), *local]

    # --- REG-9 误操作删除, on the approval engine --------------------------------------------

    def request_student_deletion(
        self, student_number: str, reason: str, org: OrgTree, at: str, meta: CommandMeta
    ) -> dict:
        """The school applies to delete a wrongly registered student; a repeat of the same
        command answers the same and stores nothing (BUS-2)."""
        student = self._student(student_number)
        deletion_id = StudentDeletion.create_id(meta.command_id)
        if student.deletion_id == str(deletion_id):
            return student.record()
        student.check_deletion_request(meta.unit_code)
        chain = self.frozen_chain(BusinessType.DELETION, student.school_code, student.stage, org)
        deletion = StudentDeletion(
            command_id=meta.command_id,
            student_number=student.student_number,
            school_code=student.school_code,
            reason=reason,
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        student.request_deletion(reason=reason, deletion_id=str(deletion.id), meta=meta.as_dict())
        self.save(student, deletion)
        return student.record()

    def decide_student_deletion(
        self, student_number: str, approve: bool, opinion: str | None, at: str, meta: CommandMeta
    ) -> dict:
        """The chain's unit (the supervising bureau) confirms or refuses; the same command
        again answers the same and stores nothing (BUS-2)."""
        student = self._student(student_number)
        if student.deletion_id is None:
            raise DomainError(StudentDeletion.NOT_YOUR_STEP, code="not_your_step")
        deletion = self.repository.get(UUID(student.deletion_id))
        if deletion.seen(meta.command_id):
            return student.record()
        if deletion.current is None:
            raise DomainError(deletion.NOT_IN_REVIEW, code="deletion_decided")
        deletion.check_decision(meta.unit_code, meta.role, approve, opinion)
        deletion.decide(approve=approve, opinion=opinion, at=at, meta=meta.as_dict())
        if deletion.status == deletion.APPROVED:
            student.delete(opinion=opinion, meta=meta.as_dict())
        elif deletion.status == deletion.REJECTED:
            student.refuse_deletion(opinion=opinion, meta=meta.as_dict())
        self.save(deletion, student)
        return student.record()

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
        school_type = SchoolType(self._school(school_code).school_type)
        table = self.settings().workflow()
        steps = table.freeze(business, school_code, school_type, stage, org).steps
        if up_to_province:
            levels = {s.level for s in steps} | {StepLevel.SUPERVISING, StepLevel.CITY}
            levels |= {StepLevel.PROVINCE}
            steps = table.resolve(sorted(levels, key=lambda lv: lv.rank), school_code, org)
        return [step.model_dump(mode="json") for step in steps]

    def get_student(self, student_number: str) -> Student:
        return self._student(student_number)

    def _student(self, student_number: str) -> Student:
        try:  # a number is reserved at registration; the record exists once approved
            index = self.repository.get(StudentNumberIndex.create_id(student_number))
            return self.repository.get(index.student_id)
        except AggregateNotFoundError:
            raise NotFound(f"学籍号 {student_number} 不存在", field="student_number") from None
