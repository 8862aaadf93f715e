"""The node's part of cross-province cases on its own records (XPT-2, XPT-6, CHG-3).

Mixed into `ProvinceNode`. Each hub notice is applied idempotently by the record's own
state (locked by this case? already left for it? already arrived?), so a notice delivered
twice, or again after a restart, changes nothing the second time.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError

from contracts.cases import HubNotice
from contracts.errors import NotFound
from contracts.meta import CommandMeta
from province_node.domain.problem import KINDS, ProblemRecord
from province_node.domain.student import Student, StudentNumberIndex
from province_node.history import history_item
from xueji.faults import fault_point

_NS = uuid5(NAMESPACE_URL, "xueji:province:case")


class CaseRecords:
    def student_for_case(self, student_number: str, name: str) -> Student:
        """The record a case is about; its name must match (QRY-4 form, XPT-2)."""
        student = self._student(student_number)
        if student.name != name:
            raise NotFound("姓名与全国学籍号不符", field="student_name")
        return student

    def open_problems(self, student_number: str) -> list[str]:
        """The types of the record's open problem records (PRB-1; CHG-3 blocks on them).
        A record's id is its type and number, so each type is one look-up."""
        found = []
        for kind, name in KINDS.items():
            try:
                problem = self.repository.get(ProblemRecord.create_id(kind, student_number))
            except AggregateNotFoundError:
                continue
            if problem.status == "open":
                found.append(name)
        return found

    def apply_notice(self, notice: HubNotice) -> str:
        """Does what the hub asks of this province for a case; returns what happened."""
        meta = CommandMeta.from_envelope(notice.envelope).as_dict()
        case_id = str(notice.case_id)
        if notice.notice == "archive_delivered":
            return self._receive_archive(notice, meta)
        student = self._student(notice.student_number)
        if notice.notice == "case_opened" and student.case_id is None:
            if student.left_by_case == case_id:
                return "duplicate"
            student.open_case(case_id=case_id, flow=notice.flow, meta=meta)
        elif notice.notice == "case_closed" and student.case_id == case_id:
            student.close_case(case_id=case_id, outcome=notice.outcome or "", meta=meta)
        elif notice.notice == "archive_requested" and student.left_by_case != case_id:
            student.transfer_out(
                case_id=case_id, flow=notice.flow, to_province=notice.to_province, meta=meta
            )
        elif notice.notice == "case_completed" and not _noticed(student, case_id):
            student.notice_completed(case_id=case_id, to_province=notice.to_province, meta=meta)
        else:
            return "duplicate"
        self.save(student)
        fault_point(f"node.notice.{notice.notice}.stored")  # e.g. 转出 stored, not published
        return "applied"

    def _receive_archive(self, notice: HubNotice, meta: dict) -> str:
        """XPT-6: the student arrives at the target class with the same number and history."""
        student_id = Student.create_id(_registration_of(notice.case_id))
        try:
            self.repository.get(student_id)
            return "duplicate"
        except AggregateNotFoundError:
            pass
        archive = notice.archive or {}
        record = archive["record"]
        student = Student._create(
            Student.TransferredIn,
            id=student_id,
            registration_id=_registration_of(notice.case_id),
            student_number=record["student_number"],
            dedup_key=record["dedup_key"],
            id_type=record["id_type"],
            id_number=record["id_number"],
            name=record["name"],
            sex=record["sex"],
            birth_date=date.fromisoformat(record["birth_date"]),
            ethnicity=record.get("ethnicity"),
            school_code=notice.target_school_code,
            class_code=notice.target_class_code,
            guardians=record.get("guardians", []),
            auth_status=record.get("auth_status", "passed"),
            meta=meta,
            case_id=str(notice.case_id),
            from_province=archive["province"],
            history=archive.get("history", []),
        )
        fault_point("node.transfer_in.before_store")
        self.save(student, self._point_number(student))
        fault_point("node.transfer_in.stored")
        return "applied"

    def _point_number(self, student: Student) -> StudentNumberIndex:
        """The number now names this record (a student coming back gets the new one)."""
        try:
            index = self.repository.get(StudentNumberIndex.create_id(student.student_number))
            index.repoint(student_id=student.id)
            return index
        except AggregateNotFoundError:
            return StudentNumberIndex(student_number=student.student_number, student_id=student.id)

    def archive_of(self, student_id: UUID, up_to_version: int) -> dict:
        """XPT-6: the full record and its history as they were when the student left."""
        student = self.repository.get(student_id, version=up_to_version)
        local = [history_item(e) for e in self.events.get(student_id, lte=up_to_version)]
        history = [*student.imported_history(), *local]
        return {"province": self.province, "record": student.full_record(), "history": history}


def _noticed(student: Student, case_id: str) -> bool:
    return any(n["case_id"] == case_id for n in student.notices)


def _registration_of(case_id: UUID) -> UUID:
    """The transferred-in record's key: one per case, so a redelivery finds it."""
    return uuid5(_NS, str(case_id))
