"""Cross-province cases at a province node (XPT, PGE), and the national query (QRY-4).

The use cases the API routes and the console pages both call: start a case, decide, revoke
or pull, list and track, each forwarded to the hub by request/reply (the hub decides); and
what the hub's notices ask of this province's records (lock, transfer out, archive in), which
`notices.py` delivers. This province's own side of a case (its chain, who may track it, the
hub's questions about our students) is `case_sides.py`.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Literal, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel

from contracts import subjects
from contracts.cases import (
    ActOnCase,
    CaseFilters,
    CaseList,
    CaseOutPreparation,
    CaseQuery,
    CaseView,
    DecideCase,
    Flow,
    HubNotice,
    InitiateCase,
    MonitorQuery,
    MonitorReply,
    PrepareCaseOut,
)
from contracts.codes import ClassCode, Stage
from contracts.errors import ContractError, DomainError
from contracts.events import StudentArchive
from contracts.meta import CommandMeta
from contracts.national import NationalAnswer, NationalQuery, NationalStudent
from contracts.org import OrgTree
from contracts.problems import ProblemKind
from province_node.application import ProvinceNode
from province_node.case_application import CaseApplication
from province_node.case_sides import CaseSides
from province_node.domain.photo import check_photo
from province_node.domain.problem import open_single, side_of
from province_node.domain.proof import check_proof
from province_node.domain.student import Student, StudentNumberIndex
from province_node.photos import store_photo
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session
from xueji.blobs import BlobStore
from xueji.bus import Bus
from xueji.clock import Clock
from xueji.faults import fault_point
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("province_node.cases")
R = TypeVar("R", bound=BaseModel)
_NS = uuid5(NAMESPACE_URL, "xueji:province:case")


class CaseService:
    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        bus: Bus,
        org: OrgTree,
        clock: Clock,
        blobs: BlobStore,
        timeout: float,
    ) -> None:
        self.node, self.writer, self.bus, self.blobs = node, writer, bus, blobs
        self.timeout, self.clock = timeout, clock
        self.sides = CaseSides(node, writer, org, clock)
        self.policy = AccessPolicy(org)

    async def ask_hub(self, name: str, message: BaseModel, reply: type[R]) -> R:
        """One command or query to the hub, on this province's subject of RPC `name`;
        503 when it cannot be reached (xueji.http)."""
        subject = subjects.hub_rpc(self.node.province, name)
        return await self.bus.ask(subject, message, reply, self.timeout)

    async def view(self, name: str, message: BaseModel) -> dict:
        case = (await self.ask_hub(name, message, CaseView)).case
        fault_point(f"node.{name}.answered")  # e.g. node.case.decide.answered
        return case

    async def listing(self, message: BaseModel) -> dict:
        return (await self.ask_hub(subjects.HUB_CASE_QUERY, message, CaseList)).model_dump(
            include={"items", "total"}
        )

    # --- the use cases of the API and the console --------------------------------------------

    async def initiate(self, flow: Flow, application: CaseApplication, meta: CommandMeta) -> dict:
        """XPT-2 / PGE-1: the transfer-in (admitting) school's registrar starts a case for its
        own school (`meta.unit_code`), into one of its classes."""
        school_code, class_code = meta.unit_code, application.target_class_code
        await self.writer(self.node.check_placement, school_code, class_code)
        school = await self.writer(self.node.school, school_code)
        grade = self.sides.grade_of(school, class_code)
        if application.target_grade not in (None, grade):
            raise ContractError("target_grade", "grade_mismatch", "转入年级与所选班级不符")
        stage = ClassCode.parse(class_code).stage
        if flow == "enrollment" and stage is not Stage.SENIOR:
            raise DomainError("毕业后跨省就学只能录取到高中年级", code="not_eligible")
        command = InitiateCase(
            envelope=meta.envelope(),
            flow=flow,
            side=await self.sides.side(flow, school_code, stage, incoming=True),
            proof=await self._stored_proof(application.proof),
            target_grade=grade,
            **application.fields(),
            **await self.sides.hub_settings(),
        )
        return await self.view(subjects.HUB_CASE_INITIATE, command)

    async def _stored_proof(self, data: bytes | None) -> str | None:
        if data is None:
            return None
        proof = check_proof(data)
        await asyncio.to_thread(self.blobs.put, data)
        return proof.sha256

    async def decide(
        self, case_id: UUID, approve: bool, opinion: str | None, ground: str | None, meta
    ) -> dict:
        """The deciding unit approves or rejects (the hub requires an opinion to reject)."""
        command = DecideCase(
            envelope=meta.envelope(),
            province=self.node.province,
            case_id=case_id,
            approve=approve,
            opinion=opinion,
            ground=ground,
        )
        return await self.view(subjects.HUB_CASE_DECIDE, command)

    async def act(
        self, case_id: UUID, action: Literal["revoke", "archive_pull"], meta: CommandMeta
    ) -> dict:
        """XPT-4 revoke, XPT-6 archive pull: the initiating school's (the hub checks)."""
        command = ActOnCase(
            envelope=meta.envelope(), province=self.node.province, case_id=case_id, action=action
        )
        return await self.view(subjects.HUB_CASE_ACT, command)

    async def cases(
        self, flow: Flow, mode: Literal["pending", "search"], filters: CaseFilters, meta
    ) -> dict:
        """XPT-3 pending (`pending`) or XPT-5 tracking (`search`) for the caller's unit."""
        return await self.listing(self._query(flow, mode, filters, meta))

    async def case(
        self, flow: Flow, case_id: UUID, meta: CommandMeta, as_of: datetime | None = None
    ) -> dict:
        """One case with its steps and full history; `as_of`: as it was then."""
        query = self._query(flow, "one", CaseFilters(), meta, case_id=case_id, as_of=as_of)
        return await self.view(subjects.HUB_CASE_QUERY, query)

    async def monitoring(self, flow: Flow, meta: CommandMeta, user: Session) -> list:
        """XPT-10: the units of this province the caller sees (SEC-1: its own and those
        below it): pending, overdue, average decision time."""
        query = MonitorQuery(envelope=meta.envelope(), province=self.node.province, flow=flow)
        rows = (await self.ask_hub(subjects.HUB_CASE_MONITOR, query, MonitorReply)).items
        return self.policy.in_sight(user, rows)

    async def national_student(
        self, name: str, student_number: str | None, id_number: str | None, meta: CommandMeta
    ) -> NationalStudent:
        """QRY-4 全国学籍查询: name plus national number or ID number, asked of the hub (which
        limits it per province and account, `hub/national_query.py`)."""
        if not name.strip():
            raise ContractError("name", "required", "请输入姓名")
        if not (student_number or id_number):
            raise ContractError("student_number", "required", "请输入全国学籍号或身份证件号")
        query = NationalQuery(
            envelope=meta.envelope(),
            province=self.node.province,
            name=name.strip(),
            student_number=student_number,
            id_number=id_number,
        )
        return (await self.ask_hub(subjects.HUB_NATIONAL_QUERY, query, NationalAnswer)).student

    def _query(self, flow: Flow, mode, filters: CaseFilters, meta, **extra) -> CaseQuery:
        return CaseQuery(
            envelope=meta.envelope(),
            province=self.node.province,
            flow=flow,
            mode=mode,
            **filters.model_dump(),
            **extra,
        )

    async def prepare_out(self, question: PrepareCaseOut) -> CaseOutPreparation:
        """The hub asks about one of our students (the transfer-out side, XPT-2)."""
        return await self.sides.prepare_out(question)

    # --- the hub's notices on this province's records (XPT-2, XPT-6, CHG-3) -----------------

    async def apply_notice(self, notice: HubNotice) -> str:
        """Does what the hub asks of this province for a case; returns what happened
        (`applied`, or `duplicate`). Each notice is applied idempotently by the record's own
        state (locked by this case? already left for it? already arrived?), so a notice
        delivered twice, or again after a restart, changes nothing the second time."""
        return await self.writer(self._apply_notice, notice)

    def _apply_notice(self, notice: HubNotice) -> str:
        meta = CommandMeta.from_envelope(notice.envelope).as_dict()
        case_id = str(notice.case_id)
        if notice.notice == "archive_delivered":
            return self._receive_archive(notice, meta)
        student = self.node.get_student(notice.student_number)
        if notice.notice == "case_opened" and student.case_id is None:
            if student.left_by_case == case_id or student.case_closed(case_id):
                return "duplicate"  # late: the case is over here already
            student.open_case(case_id=case_id, flow=notice.flow, meta=meta)
        elif notice.notice == "case_closed" and not student.case_closed(case_id):
            student.close_case(case_id=case_id, outcome=notice.outcome or "", meta=meta)
        elif notice.notice == "archive_requested" and student.left_by_case != case_id:
            student.transfer_out(
                case_id=case_id, flow=notice.flow, to_province=notice.to_province, meta=meta
            )
        elif notice.notice == "case_completed" and not _noticed(student, case_id):
            student.notice_completed(case_id=case_id, to_province=notice.to_province, meta=meta)
        else:
            return "duplicate"
        self.node.save(student)
        fault_point(f"node.notice.{notice.notice}.stored")  # e.g. 转出 stored, not published
        return "applied"

    def _receive_archive(self, notice: HubNotice, meta: dict) -> str:
        """XPT-6: the student arrives at the target class with the same number and history."""
        student_id = Student.create_id(_registration_of(notice.case_id))
        if self.node.find(student_id) is not None:
            return "duplicate"
        archive = StudentArchive.parse(notice.archive)
        record = archive.record
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
            from_province=archive.province,
            history=archive.history,
        )
        self._carried_photo(student, archive, notice, meta)
        fault_point("node.transfer_in.before_store")
        carried = self._carried_problems(student, archive, meta)
        self.node.save(student, self._point_number(student), *carried)
        fault_point("node.transfer_in.stored")
        return "applied"

    def _carried_photo(
        self, student: Student, archive: StudentArchive, notice: HubNotice, meta: dict
    ) -> None:
        """ID-7: the photo arrives with the archive, checked again by the photo rule; one that
        fails it stays behind (logged) and the student arrives without it."""
        if archive.photo is None:
            return
        try:
            data = archive.photo.content()
            photo = check_photo(data, "archive.photo")
        except ContractError as refused:
            log.warning("archive_photo_refused", case_id=str(notice.case_id),
                        reason=refused.message)  # fmt: skip
            return
        at = self.clock.now().isoformat()
        store_photo(self.blobs, student, data, photo, f"archive:{archive.province}", at, meta)

    def _carried_problems(self, student: Student, archive: StudentArchive, meta: dict) -> list:
        """PRB-6: an ID the registry did not authenticate travels with the archive and is this
        province's to handle now (a duplicate group stays with the hub, which holds it)."""
        carried = []
        for problem in archive.problems:
            if problem.get("type") != ProblemKind.INVALID_ID.value:
                continue
            side = side_of(student, self.node.province, student.created_on.isoformat())
            reason = f"随转学档案转入（{archive.province}）：{problem.get('reason') or ''}"
            carried += open_single(self.node.find, side, reason, meta)
        return carried

    def _point_number(self, student: Student) -> StudentNumberIndex:
        """The number now names this record (a student coming back gets the new one)."""
        index = self.node.find(StudentNumberIndex.create_id(student.student_number))
        if index is None:
            return StudentNumberIndex(student_number=student.student_number, student_id=student.id)
        index.repoint(student_id=student.id)
        return index


def _noticed(student: Student, case_id: str) -> bool:
    return any(n["case_id"] == case_id for n in student.notices)


def _registration_of(case_id: UUID) -> UUID:
    """The transferred-in record's key: one per case, so a redelivery finds it."""
    return uuid5(_NS, str(case_id))
