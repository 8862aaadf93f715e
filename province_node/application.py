"""The province node's eventsourcing Application: one method per use case (DESIGN §4)."""

from __future__ import annotations

import random
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, ProcessRecorder

from contracts.errors import ContractError
from contracts.ids import DocumentType, issue_g, issue_j, issue_l, parse_resident_id
from contracts.meta import CommandMeta
from contracts.regions import region
from province_node.domain.errors import NotFound
from province_node.domain.problem import ProblemRecord
from province_node.domain.registration import NationalChecks, Registration
from province_node.domain.registration_rules import RegistrationForm, ValidRegistration
from province_node.domain.school import School, SchoolDirectory
from province_node.domain.settings import ProvinceSettings
from province_node.domain.student import Student, StudentNumberIndex
from xueji.store import DateAsISO


class ProvinceNode(Application[UUID]):
    """Stores a province's events in its own database (`prov<code>_events`)."""

    def __init__(self, province: str, env: dict[str, str]) -> None:
        self.province = province
        self.name = f"prov{province}"  # [a-z0-9_] only, short: PostgreSQL pitfalls, DESIGN §3
        super().__init__(env)
        self._rng = random.Random()

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

    def check_placement(self, school_code: str, class_code: str) -> None:
        """The school must be this province's and the class one of its classes [004 Q51]."""
        try:
            school = self._school(school_code)
        except NotFound:
            raise ContractError(
                "school_code", "unknown_school", f"学校 {school_code} 不是本省学校"
            ) from None
        if not school.has_class(class_code):
            raise ContractError(
                "class_code", "unknown_class", f"班级 {class_code} 不属于学校 {school_code}"
            )

    # --- registration ----------------------------------------------------------------------

    def registration(self, registration_id: UUID) -> dict:
        try:
            return self.repository.get(registration_id).summary()
        except AggregateNotFoundError:
            raise NotFound(f"注册记录 {registration_id} 不存在") from None

    def find_registration(self, command_id: str) -> dict | None:
        try:
            return self.repository.get(Registration.create_id(command_id)).summary()
        except AggregateNotFoundError:
            return None

    def record_registration(
        self, valid: ValidRegistration, checks: NationalChecks, meta: CommandMeta
    ) -> dict:
        """Stores the registration and, when it may go on, the student: one transaction."""
        form, m = valid.form, meta.as_dict()
        person = valid.person()
        registration = Registration(
            command_id=meta.command_id,
            province=self.province,
            entry=form.entry,
            dedup_key=valid.dedup_key,
            meta=m,
            **person,
        )
        if checks.holder_province is not None:
            registration.refuse_duplicate(
                holder_province=checks.holder_province,
                holder_student_number=checks.holder_student_number,
                meta=m,
            )
            self.save(registration)
            return registration.summary()
        registration.pass_dedup(meta=m)
        registration.record_authentication(outcome=checks.auth, reason=checks.auth_reason, meta=m)
        if checks.refused_by_authentication:
            registration.refuse_unauthenticated(meta=m)
            self.save(registration)
            return registration.summary()
        number = self._issue_number(form, checks.auth)
        student = Student(
            registration_id=registration.id,
            student_number=number,
            dedup_key=valid.dedup_key,
            auth_status=checks.auth,
            meta=m,
            **person,
        )
        registration.create_student(student_number=number, meta=m)
        new = [
            registration,
            student,
            StudentNumberIndex(student_number=number, student_id=student.id),
        ]
        if checks.auth == "failed":  # PRB-1: registered with an L number, problem record open
            problem = ProblemRecord(
                kind="invalid_id",
                student_number=number,
                school_code=form.school_code,
                reason=checks.auth_reason or "身份认证未通过",
                meta=m,
            )
            registration.note_problem_record(problem_record_id=problem.id, meta=m)
            new.append(problem)
        self.save(*new)
        return registration.summary()

    def _issue_number(self, form: RegistrationForm, auth: str) -> str:
        """ID-3: `G` + resident ID once authenticated; `J` for document-less students whose
        dedup passed; otherwise a temporary `L` number (same rights, [003 §一.4])."""
        if auth == "passed":
            return str(issue_g(parse_resident_id(form.id_number)))
        region_code = self._school(form.school_code).region_code
        region(region_code)  # the school's region must be a known one
        if form.id_type == DocumentType.NONE.value:
            for sequence in range(1000):
                number = str(issue_j(region_code, form.birth_date, sequence))
                if not self._number_taken(number):
                    return number
        while True:
            number = str(issue_l(region_code, form.birth_date, self._rng))
            if not self._number_taken(number):
                return number

    def problem_record(self, problem_id: UUID) -> dict:
        try:
            return self.repository.get(problem_id).view()
        except AggregateNotFoundError:
            raise NotFound(f"问题学籍 {problem_id} 不存在") from None

    def _number_taken(self, number: str) -> bool:
        try:
            self.repository.get(StudentNumberIndex.create_id(number))
        except AggregateNotFoundError:
            return False
        return True

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

    def set_workflow_rule(self, rule: dict, meta: CommandMeta) -> dict:
        settings = self.settings()
        checked = settings.set_workflow_rule(rule, meta.as_dict())
        self.save(settings)
        return checked.model_dump(mode="json")

    # --- students ---------------------------------------------------------------------------

    def student(self, student_number: str) -> dict:
        return self._student(student_number).record()

    def student_history(self, student_number: str) -> list[dict]:
        student = self._student(student_number)
        return [_history_item(e) for e in self.events.get(student.id)]

    def _student(self, student_number: str) -> Student:
        try:
            index = self.repository.get(StudentNumberIndex.create_id(student_number))
        except AggregateNotFoundError:
            raise NotFound(f"学籍号 {student_number} 不存在", field="student_number") from None
        return self.repository.get(index.student_id)


def _history_item(domain_event: object) -> dict:
    data = {
        k: v
        for k, v in vars(domain_event).items()
        if k not in {"originator_id", "originator_version", "timestamp", "meta"}
    }
    meta = getattr(domain_event, "meta", {}) or {}
    return {
        "at": domain_event.timestamp.isoformat(),
        "type": type(domain_event).__name__,
        "actor": meta.get("account"),
        "unit": meta.get("unit_code"),
        "data": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()},
    }
