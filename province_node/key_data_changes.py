"""关键数据变更 use cases (KDC-1…KDC-3): applying, and what approval or withdrawal does.

`ApplicationService` owns the resource (`POST /applications {"type": "key_data_change"}`)
and the engine's commands; this module judges and stores the application, claims the new
identity on the hub when the dedup key changes, authenticates changed identities, and
applies the approved values to the record.
"""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.codes import StudentStatus
from contracts.errors import ContractError, DomainError
from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from contracts.person import Person
from contracts.problems import ProblemAction as Action
from contracts.regions import PROVINCES
from province_node.application import ProvinceNode
from province_node.domain.key_data_change import (
    IDENTITY_FIELDS,
    KeyDataChange,
    check_changes,
    check_id_number,
    climbs_to_province,
)
from province_node.domain.problem import (
    Found,
    action_business,
    move_side,
    open_single,
    side_of,
    unique,
)
from province_node.domain.proof import check_proof
from province_node.domain.student import Student
from province_node.domain.workflow import school_region_chain
from province_node.domain.workflow_defaults import BusinessType
from province_node.messaging import HubClient
from province_node.reauthentication import Renumbering
from province_node.registry_client import RegistryClient, authentication_of
from xueji.blobs import BlobStore
from xueji.store import Writer

#: The statuses a record may change its key data in (a left record is history).
CHANGEABLE = {StudentStatus.ENROLLED.value, StudentStatus.SUSPENDED.value}


class KeyDataChanges:
    def __init__(self, node: ProvinceNode, writer: Writer, org: OrgTree, blobs: BlobStore,
                 hub: HubClient | None, registry: RegistryClient | None) -> None:  # fmt: skip
        self.node, self.writer, self.org, self.blobs = node, writer, org, blobs
        self.hub, self.registry = hub, registry
        self.renumbering = Renumbering(node)

    async def apply(self, changes: dict | None, number: str, reason: str, proof: bytes | None,
                    today: date, at: str, meta: CommandMeta,
                    problem_id: str | None = None) -> dict:  # fmt: skip
        """KDC-2: before/after values and a proof; KDC-3's checks, claim and authentication.
        `problem_id`: the change is a problem group's 变更 (PRB-3), which it then handles."""
        known = await self.writer(self._known, meta.command_id)
        if known is not None:
            return known
        facts = check_proof(proof or b"")
        student, checked = await self.writer(self._judge, number, changes or {}, today, meta)
        after = student.record() | checked
        new_key = _dedup_key(after)
        authentication = None
        if set(checked) & IDENTITY_FIELDS and after["id_type"] == DocumentType.RESIDENT_ID.value:
            answer = await self.registry.authenticate(after["id_number"], after["name"], meta)
            authentication = authentication_of(answer)[0]
        if new_key != student.dedup_key:
            await self._claim(student, after, new_key, meta)
        await asyncio.to_thread(self.blobs.put, proof)
        proof_facts = {"sha256": facts.sha256, "content_type": facts.content_type,
                       "size": facts.size}  # fmt: skip
        return await self.writer(self._store, number, checked, new_key, authentication,
                                 reason, proof_facts, today, at, meta, problem_id)  # fmt: skip

    def _known(self, command_id: str) -> dict | None:
        try:
            return self.node.repository.get(KeyDataChange.create_id(command_id)).view()
        except AggregateNotFoundError:
            return None

    def _judge(self, number: str, changes: dict, today: date,
               meta: CommandMeta) -> tuple[Student, dict]:  # fmt: skip
        """KDC-1/KDC-3 on the record as stored: the checked changes."""
        student = self.node.get_student(number)
        if student.school_code != meta.unit_code:
            raise DomainError("只能为本校学生申请关键数据变更", code="outside_jurisdiction",
                              field="student_number")  # fmt: skip
        if student.status not in CHANGEABLE:
            raise DomainError(f"学籍状态为“{student.status}”的学生不能办理关键数据变更",
                              code="not_eligible")  # fmt: skip
        regions = school_region_chain(student.school_code, self.org)
        controlled = self.node.settings().controlled_fields(regions)
        record = student.record()
        checked = check_changes(changes, record, controlled, today)
        check_id_number(checked, record)
        if "class_code" in checked:
            self.node.check_placement(student.school_code, checked["class_code"],
                                      "changes.class_code")  # fmt: skip
        return student, checked

    async def _claim(self, student: Student, after: dict, key: str, meta: CommandMeta) -> None:
        """KDC-3: the new identity must be free nationally; it is held for this record until
        the change is decided (released if withdrawn)."""
        identity = {"dedup_key": key, "school_code": student.school_code}
        identity |= {f: after[f] for f in ("id_type", "id_number", "name", "sex", "birth_date")}
        reply = await self.hub.claim_identity(str(student.registration_id), identity, meta)
        if reply.outcome == "conflict":
            holder = PROVINCES.get(reply.holder_province or "", reply.holder_province)
            raise DomainError(
                f"变更后的身份信息已被{holder}的学籍（{reply.holder_student_number or '办理中'}）"
                "占用，请通过问题学籍处理",
                code="dedup_conflict",
                field="changes",
            )

    def _store(
        self,
        number: str,
        changes: dict,
        new_key: str,
        authentication: str | None,
        reason: str,
        proof: dict,
        today: date,
        at: str,
        meta: CommandMeta,
        problem_id: str | None = None,
    ) -> dict:
        known = self._known(meta.command_id)
        if known is not None:
            return known
        student = self.node.get_student(number)
        problem = self.node.find(UUID(problem_id)) if problem_id else None
        open_problems = self.node.open_problems(number)
        business = BusinessType.KEY_DATA_CHANGE
        if problem is not None:  # its own problem does not block its way out (PRB-3)
            open_problems = [k for k in open_problems if k != problem.kind.label]
            to_none = changes.get("id_type") == DocumentType.NONE.value
            business = action_business(Action.CHANGE, problem.scope, to_none)
        student.check_nothing_in_flight("key_data_change", open_problems)
        record = student.record()
        chain = self.node.frozen_chain(
            business, student.school_code, student.stage, self.org,
            up_to_province=climbs_to_province(changes, student.identity_changes, today),
        )  # fmt: skip
        application = KeyDataChange(
            command_id=meta.command_id,
            student_id=str(student.id),
            student_number=number,
            student_name=student.name,
            school_code=student.school_code,
            changes=changes,
            before={f: record.get(f) for f in changes},
            dedup_key=student.dedup_key,
            new_dedup_key=new_key,
            authentication=authentication,
            reason=reason,
            proof=proof,
            chain=chain,
            at=at,
            meta=meta.as_dict(),
            problem_id=problem_id,
        )
        student.start_application(str(application.id), "key_data_change", meta.as_dict())
        moved = []
        if problem is not None:
            moved = move_side(self.node.find, problem, number, Action.CHANGE, "started",
                              self.node.province, at, meta.as_dict())  # fmt: skip
        self.node.save(application, student, *moved)
        return application.view()

    def approved(self, application: KeyDataChange, student: Student, opinion: str | None,
                 at: str, meta: dict) -> list:  # fmt: skip
        """The values take effect; the problem group it handles moves on (PRB-3); a failed
        authentication opens (or reopens) the record's invalid-ID problem (PRB-1); otherwise
        the number follows ID-3 in the same transaction (`L`/`J` → `G` once the new values
        pass, a `G` turned HK/foreign → a new `L`, PRB-5), and a passing one ends the
        record's invalid-ID problem."""
        student.change_key_data(
            application_id=str(application.id), changes=application.changes,
            old_dedup_key=application.dedup_key, dedup_key=application.new_dedup_key,
            auth_status=application.authentication, opinion=opinion, at=at, meta=meta,
        )  # fmt: skip
        found, changed = Found(self.node.find), []
        if application.problem_id:
            problem = found(UUID(application.problem_id))
            changed += move_side(found, problem, student.student_number, Action.CHANGE, "acted",
                                 self.node.province, at, meta)  # fmt: skip
        if application.authentication == "failed":
            side = side_of(student, self.node.province, at)
            changed += open_single(found, side, "关键数据变更后身份认证未通过", meta)
        else:
            changed += self.renumbering.after_authentication(
                student, application.authentication, at, meta, found
            )
        return unique(changed)

    def withdrawn(self, application: KeyDataChange, student: Student, at: str,
                  meta: dict) -> list:  # fmt: skip
        """Revoked: the new identity's claim is given back; a problem's turn returns."""
        application.release_new_claim(str(student.registration_id), meta)
        if not application.problem_id:
            return []
        problem = self.node.find(UUID(application.problem_id))
        return move_side(self.node.find, problem, student.student_number, Action.CHANGE,
                         "withdrawn", self.node.province, at, meta, "已撤销")  # fmt: skip


def _dedup_key(record: dict) -> str:
    try:
        return Person.of(record).dedup_key()
    except ContractError as error:
        raise ContractError(f"changes.{error.field}", error.code, error.message) from None
