"""问题学籍 use cases (PRB-1…PRB-6): open, act (change / delete / corroborate), decide an action,
revoke or resubmit it, arbitrate an in-province group, mirror the hub's cross-province groups,
query and export.

The rule of who acts next is `contracts.problems.ProblemGroup`'s; this module stores what it
decides, in one transaction with the record and the action. A change is a key data change
(`KeyDataChanges.apply` with the group), so it runs KDC-1…KDC-3 and the identity's move on the
hub exactly as any other. Every write is idempotent by its command id (BUS-2).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.approval import StepLevel, deciding_roles
from contracts.errors import ContractError, DomainError, Forbidden, NotFound
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from contracts.problems import ProblemAction as Action
from contracts.problems import ProblemNotice
from projections import excel
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.problem import (
    Problem,
    ProblemAction,
    ProblemRecord,
    action_business,
    mirror,
    move_side,
)
from province_node.domain.proof import check_proof
from province_node.domain.student import Student
from province_node.key_data_changes import KeyDataChanges
from province_node.processes import ProcessService
from province_node.views.problems import find
from xueji.access.exports import ConfirmedExport
from xueji.blobs import BlobStore
from xueji.clock import Clock
from xueji.store import Writer

EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = {
    "type_label": "问题学籍类型",
    "scope_label": "范围",
    "school_code": "学校标识码",
    "class_code": "班级",
    "name": "学生姓名",
    "sex": "性别",
    "id_type": "身份证件类型",
    "id_number": "身份证件号",
    "student_number": "全国学籍号",
    "state_label": "处理状态",
    "group_state_label": "问题学籍状态",
    "locked": "是否锁定",
    "opened_at": "产生时间",
}


@dataclass(frozen=True)
class ActionForm:
    """What the school registrar sends (`POST /api/v1/problems/{id}/actions`)."""

    record: str  # the student number of the side acting
    action: str
    reason: str
    proof: bytes | None
    changes: dict | None = None  # a change: field → new value (KDC-2)


class ProblemService(ProcessService):
    def __init__(self, node: ProvinceNode, writer: Writer, views: Views, org: OrgTree,
                 clock: Clock, blobs: BlobStore, key_data: KeyDataChanges) -> None:  # fmt: skip
        self.node, self.writer, self.views, self.org = node, writer, views, org
        self.clock, self.blobs, self.key_data = clock, blobs, key_data
        self.province = node.province

    # --- the hub's word (PRB-4) ------------------------------------------------------------

    async def mirror(self, notice: ProblemNotice) -> str:
        """PRB-4: the hub's word on a cross-province group (a durable notice)."""
        if notice.province != self.province:
            raise ContractError("province", "wrong_province", "该通知不属于本省")
        at = self.clock.now().isoformat()
        meta = CommandMeta.from_envelope(notice.envelope).as_dict()

        def apply() -> str:
            changed = mirror(self.node.find, notice.group_id, notice.group, self.province, at,
                             meta)  # fmt: skip
            if changed:
                self.node.save(*changed)
            return "applied" if changed else "duplicate"

        return await self.writer(apply)

    # --- acting (PRB-2, PRB-3) -----------------------------------------------------------------

    async def act(self, problem_id: UUID, form: ActionForm, meta: CommandMeta) -> dict:
        """A side handles its record: change (a key data change), delete or corroborate, each
        with a proof; only the side whose turn it is (PRB-2)."""
        action = _action(form.action)
        reason = (form.reason or "").strip() or f"问题学籍{action.label}"
        form = ActionForm(form.record, form.action, reason, form.proof, form.changes)
        if action is Action.CHANGE:
            problem = await self.writer(self._check_act, problem_id, form.record, action, meta)
            today, at = self.clock.today(), self.clock.now().isoformat()
            change = await self.key_data.apply(
                form.changes, form.record, form.reason, form.proof, today, at, meta,
                problem_id=problem["id"],
            )  # fmt: skip
            return await self.get(problem_id) | {"application": change}
        facts = check_proof(form.proof or b"")
        await asyncio.to_thread(self.blobs.put, form.proof)
        proof = {"sha256": facts.sha256, "content_type": facts.content_type, "size": facts.size}
        at = self.clock.now().isoformat()
        return await self.writer(self._act, problem_id, form, action, proof, at, meta)

    def _check_act(self, problem_id: UUID, number: str, action: Action,
                   meta: CommandMeta) -> dict:  # fmt: skip
        problem = self._get(problem_id)
        self._check_side(problem, number, action, meta)
        return problem.view()

    async def actable(self, problem_id: UUID, meta: CommandMeta) -> list[str]:
        """The records of the group the caller may act on now (the forms a page offers)."""

        def read() -> list[str]:
            problem, found = self._get(problem_id), []
            for side in problem.group.sides:
                try:
                    self._check_side(problem, side.student_number, Action.DELETE, meta)
                except (ContractError, DomainError, Forbidden, NotFound):
                    continue
                found.append(side.student_number)
            return found

        return await self.writer(read)

    def _check_side(self, problem: Problem, number: str, action: Action,
                    meta: CommandMeta) -> Student:  # fmt: skip
        side = problem.group.side(number)
        if side.province != self.province:
            raise Forbidden("对方省份的学籍由对方省份处理", code="other_province", field="record")
        student = self.node.get_student(number)  # PRB-6: where the record is now
        if student.school_code != meta.unit_code or meta.role != "registrar":
            raise Forbidden("只有学籍所在学校的学籍管理员可以处理该学籍", code="not_the_school",
                            field="record")  # fmt: skip
        problem.group.check_may_act(number, action)
        return student

    def _act(self, problem_id: UUID, form: ActionForm, action: Action, proof: dict, at: str,
             meta: CommandMeta) -> dict:  # fmt: skip
        known = self.node.find(ProblemAction.create_id(meta.command_id))
        if known is not None:  # BUS-2: the first answer
            return self._reply(self._get(UUID(known.problem_id))) | {"application": known.view()}
        problem = self._get(problem_id)
        student = self._check_side(problem, form.record, action, meta)
        others = [k for k in self.node.open_problems(form.record) if k != problem.kind.label]
        student.check_nothing_in_flight("deletion" if action is Action.DELETE else "problem",
                                        others)  # fmt: skip
        business = action_business(action, problem.scope)
        chain = self.node.frozen_chain(business, student.school_code, student.stage, self.org)
        application = ProblemAction(
            command_id=meta.command_id,
            problem_id=str(problem.id),
            problem_type=problem.kind.value,
            scope=problem.scope,
            student_id=str(student.id),
            student_number=student.student_number,
            student_name=student.name,
            school_code=student.school_code,
            action=action.value,
            reason=form.reason.strip(),
            proof=proof,
            chain=chain,
            at=at,
            meta=meta.as_dict(),
        )
        student.start_application(str(application.id), business.value, meta.as_dict())
        moved = move_side(self.node.find, problem, form.record, action, "started",
                          self.province, at, meta.as_dict())  # fmt: skip
        self.node.save(application, student, *moved)
        return self._reply(problem) | {"application": application.view()}

    def decided(self, application: ProblemAction, opinion: str | None, at: str,
                meta: dict) -> list:  # fmt: skip
        """Approved: the record is corroborated or deleted, and its side of the group moves."""
        if application.status != application.APPROVED:
            return []
        student: Student = self.node.repository.get(UUID(application.student_id))
        student.end_application(str(application.id), "approved", meta)
        if application.action == Action.DELETE.value:
            student.delete(opinion=opinion, meta=meta)  # published: the hub's index follows
        problem = self._get(UUID(application.problem_id))
        return [student, *move_side(self.node.find, problem, application.student_number,
                                    Action(application.action), "acted", self.province, at,
                                    meta)]  # fmt: skip

    def withdrawn(self, application: ProblemAction, at: str, meta: dict) -> list:
        """Withdrawn by the school: the record's turn again."""
        student = self.node.repository.get(UUID(application.student_id))
        student.end_application(str(application.id), "revoked", meta)
        problem = self._get(UUID(application.problem_id))
        return [student, *move_side(self.node.find, problem, application.student_number,
                                    Action(application.action), "withdrawn", self.province,
                                    at, meta, "已撤销")]  # fmt: skip

    # --- arbitration (PRB-3, in-province) ------------------------------------------------------

    async def arbitrate(self, problem_id: UUID, winner: str, opinion: str,
                        meta: CommandMeta) -> dict:  # fmt: skip
        at = self.clock.now().isoformat()
        return await self.writer(self._arbitrate, problem_id, winner, opinion, at, meta)

    def _arbitrate(self, problem_id: UUID, winner: str, opinion: str, at: str,
                   meta: CommandMeta) -> dict:  # fmt: skip
        problem = self._get(problem_id)
        if any(h.get("command_id") == meta.command_id for h in problem.group.history):
            return self._reply(problem)
        if problem.scope == "cross":
            raise Forbidden("跨省问题学籍由教育部在跨省业务统一办理平台仲裁",
                            code="not_the_arbiter")  # fmt: skip
        arbiter = problem.arbiter or {}
        level = {"county": StepLevel.SUPERVISING, "city": StepLevel.CITY}.get(
            arbiter.get("level", ""), StepLevel.PROVINCE
        )
        if meta.unit_code != arbiter.get("unit_code") or meta.role not in deciding_roles(level):
            raise Forbidden(f"该问题学籍由{arbiter.get('name', '上级教育部门')}仲裁",
                            code="not_the_arbiter")  # fmt: skip
        group = problem.group.arbitrated(winner, opinion, meta.unit_code, at)
        group = group.model_copy(
            update={
                "history": (
                    *group.history[:-1],
                    group.history[-1] | {"command_id": meta.command_id},
                )
            }  # fmt: skip
        )
        problem.change(group=group.as_dict(), why="arbitrated", at=at, meta=meta.as_dict())
        self.node.save(problem)
        return self._reply(problem)

    # --- reads -------------------------------------------------------------------------------

    async def get(self, problem_id: UUID) -> dict:
        """The group, each side, its history, and the actions taken (with their chains)."""

        def read() -> dict:
            return self._reply(self._get(problem_id))

        return await self.writer(read)

    async def search(self, filters: dict, schools: list[str] | None, page: int = 1,
                     page_size: int = 20) -> dict:  # fmt: skip
        await self.views.caught_up()
        table = self.views.view("problems").table("problems")
        offset = (page - 1) * page_size
        students = self.views.view("students").table("students")
        found = await self.views.read(find, table, filters, schools, page_size, offset, students)
        return found | {"page": page, "page_size": page_size}

    async def export(self, filters: dict, schools: list[str] | None,
                     export: ConfirmedExport) -> bytes:  # fmt: skip
        """The list as Excel (the seed's 导出Excel); SEC-4: confirmed by a second account."""
        found = await self.search(filters, schools, 1, EXPORT_LIMIT)
        rows = [tuple(_cell(c, item.get(c)) for c in EXPORT_COLUMNS) for item in found["items"]]
        columns = list(EXPORT_COLUMNS)
        await export.record(columns, len(rows), "问题学籍导出")
        return await asyncio.to_thread(excel.workbook, columns, rows, EXPORT_COLUMNS, "问题学籍")

    def _reply(self, problem: Problem) -> dict:
        """The group, each of this province's records shown where it is now (PRB-6)."""
        view = problem.view()
        for record in view["records"]:
            if record["province"] != self.province:
                continue
            with contextlib.suppress(NotFound):
                student = self.node.get_student(record["student_number"])
                record |= {"school_code": student.school_code, "class_code": student.class_code}
        return view

    def _get(self, problem_id: UUID) -> Problem:
        found = self.node.find(problem_id)
        if isinstance(found, ProblemRecord) and found.problem_id:
            found = self.node.find(UUID(found.problem_id))
        if not isinstance(found, Problem):
            raise NotFound(f"问题学籍 {problem_id} 不存在", field="id")
        return found

    def _get_action(self, action_id: UUID) -> ProblemAction:
        try:
            found = self.node.repository.get(action_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, ProblemAction):
            raise NotFound("问题学籍处理申请不存在", field="id")
        return found

    _process = _get_action


def ensure_in_sight(group: dict | None, user, policy, province: str) -> None:
    """A group is the caller's to see when its unit arbitrates it, or when it sees the school
    of one of this province's records in it; one out of sight answers as a group that does not
    exist (`group` None; SEC-8: no existence oracle)."""
    if group is not None and (group.get("arbiter") or {}).get("unit_code") == user.unit_code:
        return
    schools = None if group is None else [
        r["school_code"] for r in group["records"] if r["province"] == province]  # fmt: skip
    policy.ensure_sees_record(user, schools, "该问题学籍", "problem_id")


async def group_in_sight(runtime, problem_id: UUID, user, policy) -> dict:
    """The group if `ensure_in_sight` lets the caller see it (a missing one: the same 404)."""
    try:
        group = await runtime.problems.get(problem_id)
    except NotFound:
        group = None
    ensure_in_sight(group, user, policy, runtime.node.province)
    return group


def _action(raw: str) -> Action:
    try:
        return Action(raw)
    except ValueError:
        raise ContractError("action", "bad_action", "处理方式应为 change（变更）、delete（删除）"
                            "或 corroborate（佐证）") from None  # fmt: skip


def _cell(column: str, value: object) -> object:
    if column == "locked":
        return "是" if value else "否"
    return value
