"""Cross-province transfer 跨省转学 and post-graduation enrollment 毕业后跨省就学 (API.md):
the same endpoints on every node, each a use case of `runtime.cases` (`province_node/cases.py`),
which forwards it to the hub, which decides."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.cases import CaseFilters, Flow
from contracts.national import NationalStudent
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import DecisionIn
from province_node.api.registrations import decoded_proof
from province_node.case_application import CaseApplication
from xueji.access import reads
from xueji.access.guards import CurrentUser, SchoolRegistrar

national = APIRouter(prefix="/api/v1/national", tags=["national"])


@national.get("/students")
async def national_students(
    runtime: Runtime,
    meta: Meta,
    name: Annotated[str, Query(max_length=50)],
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    id_number: Annotated[str | None, Query(max_length=18)] = None,
) -> NationalStudent:
    """QRY-4 全国学籍查询: name plus national number or ID number (rate-limited per account)."""
    asked = {"name": name, "student_number": student_number, "id_number": id_number}
    await runtime.access.record_read(meta, reads.NATIONAL, student_number, asked)
    return await runtime.cases.national_student(name, student_number, id_number, meta)


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_name: str = Field(max_length=50)
    student_number: str = Field(min_length=19, max_length=19)
    #: Years of schooling 1–12 (XPT-9); omitted: the target class's grade.
    target_grade: int | None = Field(default=None, ge=1, le=12)
    target_class_code: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    proof: str | None = Field(default=None, max_length=4_000_000)


class CaseDecisionIn(DecisionIn):
    #: PGE-3: why the graduating side refuses (some grounds are not allowed).
    ground: str | None = Field(default=None, max_length=40)


def case_router(prefix: str, flow: Flow) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[f"{flow}s"])

    @router.post("", status_code=201)
    async def initiate(body: CaseIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
        """XPT-2 / PGE-1: the transfer-in (admitting) school's registrar starts a case."""
        application = CaseApplication(
            **body.model_dump(exclude={"proof"}), proof=decoded_proof(body.proof)
        )
        return await runtime.cases.initiate(flow, application, meta)

    @router.get("/pending")
    async def pending(
        runtime: Runtime, meta: Meta, filters: Annotated[CaseFilters, Query()]
    ) -> dict:
        """XPT-3: the cases awaiting the caller's unit, in or out of this province."""
        return await runtime.cases.cases(flow, "pending", filters, meta)

    @router.get("")
    async def search(
        runtime: Runtime, meta: Meta, filters: Annotated[CaseFilters, Query()]
    ) -> dict:
        """XPT-5: every case in the caller's jurisdiction, with its current step."""
        return await runtime.cases.cases(flow, "search", filters, meta)

    @router.get("/monitoring")
    async def monitoring(runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
        """XPT-10: this province's units: pending, overdue, average decision time."""
        return {"items": await runtime.cases.monitoring(flow, meta, user)}

    @router.get("/{case_id}")
    async def one(
        case_id: UUID, runtime: Runtime, meta: Meta, as_of: datetime | None = None
    ) -> dict:
        """The case with its steps and full history (who, when, opinion); `as_of`: then."""
        return await runtime.cases.case(flow, case_id, meta, as_of)

    @router.post("/{case_id}/decisions")
    async def decide(case_id: UUID, body: CaseDecisionIn, runtime: Runtime, meta: Meta) -> dict:
        """The deciding unit approves or rejects (an opinion is required to reject)."""
        return await runtime.cases.decide(case_id, body.approve, body.opinion, body.ground, meta)

    @router.post("/{case_id}/revoke")
    async def revoke(case_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
        """XPT-4: the initiating school withdraws a case not yet pulled."""
        return await runtime.cases.act(case_id, "revoke", meta)

    @router.post("/{case_id}/archive-pull")
    async def archive_pull(case_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
        """XPT-6: the transfer-in school pulls the archive once every step approved."""
        return await runtime.cases.act(case_id, "archive_pull", meta)

    return router


routers = [
    national,
    case_router("/api/v1/transfers", "transfer"),
    case_router("/api/v1/enrollments", "enrollment"),
]
