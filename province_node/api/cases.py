"""Cross-province transfer 跨省转学 and post-graduation enrollment 毕业后跨省就学 (API.md):
the same endpoints on every node, each forwarded to the hub, which decides."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts import subjects
from contracts.cases import (
    ActOnCase,
    CaseFilters,
    CaseQuery,
    DecideCase,
    Flow,
    InitiateCase,
    MonitorQuery,
    MonitorReply,
    NationalAnswer,
    NationalQuery,
)
from contracts.codes import ClassCode, Level, Stage
from contracts.errors import ContractError, DomainError, Forbidden
from contracts.meta import CommandMeta
from province_node.api.deps import Meta, Runtime
from province_node.api.registrations import decoded_proof
from province_node.domain.proof import check_proof
from xueji.access.api import CurrentUser, require_role
from xueji.access.sessions import Session

national = APIRouter(prefix="/api/v1/national", tags=["national"])


@national.get("/students")
async def national_students(
    runtime: Runtime,
    meta: Meta,
    name: Annotated[str, Query(min_length=1, max_length=50)],
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    id_number: Annotated[str | None, Query(max_length=18)] = None,
) -> dict:
    """QRY-4 全国学籍查询: name plus national number or ID number (rate-limited per account)."""
    if not (student_number or id_number):
        raise ContractError("student_number", "required", "请输入全国学籍号或身份证件号")
    query = NationalQuery(
        envelope=meta.envelope(),
        province=runtime.settings.province,
        name=name.strip(),
        student_number=student_number,
        id_number=id_number,
    )
    answer = await runtime.cases.ask_hub(subjects.HUB_NATIONAL_QUERY, query, NationalAnswer)
    return answer.student


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_name: str = Field(min_length=1, max_length=50)
    student_number: str = Field(min_length=19, max_length=19)
    #: Years of schooling 1–12 (XPT-9); omitted: the target class's grade.
    target_grade: int | None = Field(default=None, ge=1, le=12)
    target_class_code: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)
    proof: str | None = Field(default=None, max_length=4_000_000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    opinion: str | None = Field(default=None, max_length=500)
    #: PGE-3: why the graduating side refuses (some grounds are not allowed).
    ground: str | None = Field(default=None, max_length=40)


def case_router(prefix: str, flow: Flow) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[f"{flow}s"])

    @router.post("", status_code=201)
    async def initiate(body: CaseIn, runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
        """XPT-2 / PGE-1: the transfer-in (admitting) school's registrar starts a case."""
        school_code = _own_school(runtime, user)
        await runtime.writer(runtime.node.check_placement, school_code, body.target_class_code)
        school = await runtime.writer(runtime.node.school, school_code)
        grade = runtime.cases.grade_of(school, body.target_class_code)
        if body.target_grade not in (None, grade):
            raise ContractError("target_grade", "grade_mismatch", "转入年级与所选班级不符")
        stage = ClassCode.parse(body.target_class_code).stage
        if flow == "enrollment" and stage is not Stage.SENIOR:
            raise DomainError("毕业后跨省就学只能录取到高中年级", code="not_eligible")
        proof = await _stored_proof(runtime, body.proof)
        command = InitiateCase(
            envelope=meta.envelope(),
            flow=flow,
            side=await runtime.cases.side(flow, school_code, stage, incoming=True),
            proof=proof,
            target_grade=grade,
            **body.model_dump(exclude={"proof", "target_grade"}),
            **await runtime.cases.hub_settings(),
        )
        return await runtime.cases.view(subjects.HUB_CASE_INITIATE, command)

    @router.get("/pending")
    async def pending(
        runtime: Runtime, meta: Meta, filters: Annotated[CaseFilters, Query()]
    ) -> dict:
        """XPT-3: the cases awaiting the caller's unit, in or out of this province."""
        return await runtime.cases.listing(_query(runtime, meta, flow, "pending", filters))

    @router.get("")
    async def search(
        runtime: Runtime, meta: Meta, filters: Annotated[CaseFilters, Query()]
    ) -> dict:
        """XPT-5: every case in the caller's jurisdiction, with its current step."""
        return await runtime.cases.listing(_query(runtime, meta, flow, "search", filters))

    @router.get("/monitoring")
    async def monitoring(runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
        """XPT-10: this province's units: pending, overdue, average decision time."""
        query = MonitorQuery(
            envelope=meta.envelope(), province=runtime.settings.province, flow=flow
        )
        reply = await runtime.cases.ask_hub(subjects.HUB_CASE_MONITOR, query, MonitorReply)
        return {"items": reply.items}

    @router.get("/{case_id}")
    async def one(
        case_id: UUID, runtime: Runtime, meta: Meta, as_of: datetime | None = None
    ) -> dict:
        """The case with its steps and full history (who, when, opinion); `as_of`: then."""
        query = _query(runtime, meta, flow, "one", CaseFilters(), case_id=case_id, as_of=as_of)
        return await runtime.cases.view(subjects.HUB_CASE_QUERY, query)

    @router.post("/{case_id}/decisions")
    async def decide(case_id: UUID, body: DecisionIn, runtime: Runtime, meta: Meta) -> dict:
        """The deciding unit approves or rejects (an opinion is required to reject)."""
        command = DecideCase(
            envelope=meta.envelope(),
            province=runtime.settings.province,
            case_id=case_id,
            **body.model_dump(),
        )
        return await runtime.cases.view(subjects.HUB_CASE_DECIDE, command)

    @router.post("/{case_id}/revoke")
    async def revoke(case_id: UUID, runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
        """XPT-4: the initiating school withdraws a case not yet pulled."""
        return await _act(runtime, meta, user, case_id, "revoke")

    @router.post("/{case_id}/archive-pull")
    async def archive_pull(case_id: UUID, runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
        """XPT-6: the transfer-in school pulls the archive once every step approved."""
        return await _act(runtime, meta, user, case_id, "archive_pull")

    return router


async def _act(
    runtime,
    meta: CommandMeta,
    user: Session,
    case_id: UUID,
    action: Literal["revoke", "archive_pull"],
) -> dict:
    _own_school(runtime, user)
    command = ActOnCase(
        envelope=meta.envelope(), province=runtime.settings.province, case_id=case_id, action=action
    )
    return await runtime.cases.view(subjects.HUB_CASE_ACT, command)


def _own_school(runtime, user: Session) -> str:
    """Cases are started and pulled by a school's registrar, for that school."""
    require_role(user, "registrar")
    if (
        user.unit_code not in runtime.org
        or runtime.org.unit(user.unit_code).level is not Level.SCHOOL
    ):
        raise Forbidden("只有学校学籍管理员可以发起、撤销或调档", code="school_only")
    return user.unit_code


async def _stored_proof(runtime, encoded: str | None) -> str | None:
    data = decoded_proof(encoded)
    if data is None:
        return None
    proof = check_proof(data)
    await asyncio.to_thread(runtime.registrations.blobs.put, data)
    return proof.sha256


def _query(
    runtime, meta: CommandMeta, flow: Flow, mode, filters: CaseFilters, **extra
) -> CaseQuery:
    return CaseQuery(
        envelope=meta.envelope(),
        province=runtime.settings.province,
        flow=flow,
        mode=mode,
        **filters.model_dump(),
        **extra,
    )


routers = [
    national,
    case_router("/api/v1/transfers", "transfer"),
    case_router("/api/v1/enrollments", "enrollment"),
]
