"""Student records (API.md "Students")."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import ContractError
from contracts.ids import parse_student_number
from projections.excel import XLSX
from province_node.api.deps import Meta, Runtime
from province_node.batch_edit import BATCH_EDIT_BYTES
from province_node.domain.profile import term_of
from province_node.domain.term_review import parse_term, term_label
from xueji.access import reads
from xueji.access.api import PersonalExport
from xueji.access.guards import BureauRegistrar, CurrentUser, Policy, SchoolRegistrar
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/students", tags=["students"])


async def student_in_sight(runtime, user: Session, policy: AccessPolicy, number: str,
                           read: str | None = None) -> dict:  # fmt: skip
    """The record if the caller's jurisdiction covers it; one outside it answers exactly as
    a number nobody holds (SEC-8: no existence oracle). `read`: the read is audited as that."""
    load = functools.partial(runtime.students.record, number)
    record = await policy.record_in_sight(user, load, f"学籍号 {number} 的学生", "student_number")
    if read is not None:
        await runtime.access.record_read(user, read, number)
    return record


class TermReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: str = Field(max_length=6)
    school_code: str = Field(max_length=10)
    note: str | None = Field(default=None, max_length=500)


@router.get("/updates")
async def term_updates(
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    term: Annotated[str | None, Query(max_length=6)] = None,
) -> dict:
    """DAY-7 信息更新审核: per school in sight, the records updated in the term (default: the
    current one) and whether the county reviewed them."""
    checked = parse_term(term) if term else term_of(runtime.clock.today())
    schools = policy.school_filter(user) or await runtime.schools.codes()
    items = await runtime.students.term_updates(checked, schools)
    return {"term": checked, "term_label": term_label(checked), "items": items}


@router.post("/updates/reviews")
async def review_term(body: TermReviewIn, runtime: Runtime, meta: Meta, _: BureauRegistrar) -> dict:
    """DAY-7: the school's county marks the term's updates reviewed (done)."""
    return await runtime.students.review_term(parse_term(body.term), body.school_code, body.note,
                                              meta)  # fmt: skip


@router.get("/batch-edit")
async def batch_edit_export(
    runtime: Runtime,
    user: SchoolRegistrar,
    export: PersonalExport,
    class_code: Annotated[str, Query(pattern=r"^[0-9]{7}$")],
    fields: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """DAY-2: the class's non-key fields as Excel to edit and import again (SEC-4)."""
    chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    data = await runtime.batch_edits.export(user.unit_code, class_code, chosen, export)
    return attachment(data, f"学生信息批量修改_{class_code}.xlsx", XLSX)


@router.post("/batch-edit")
async def batch_edit_import(runtime: Runtime, meta: Meta, _: SchoolRegistrar,
                            file: UploadFile) -> dict:  # fmt: skip
    """DAY-2: the edited file back; per-row problems; only changed cells become events."""
    data = await file.read(BATCH_EDIT_BYTES + 1)
    return await runtime.batch_edits.import_file(data, meta)


@router.get("/{student_number}")
async def get_student(
    student_number: str,
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    as_of: Annotated[
        datetime | None,
        Query(description="AUD-2: the record as it was then (ISO; naive = Beijing)"),
    ] = None,
) -> dict:
    """The full record of one student of the caller's jurisdiction (now, or `as_of` then)."""
    number = str(parse_student_number(student_number))
    record = await student_in_sight(runtime, user, policy, number, reads.RECORD)
    if as_of is not None:
        return await runtime.students.record_as_of(number, as_of)
    return record


@router.patch("/{student_number}")
async def edit_student(
    student_number: str,
    body: Annotated[dict, Body(max_length=60)],
    runtime: Runtime,
    meta: Meta,
    user: SchoolRegistrar,
    policy: Policy,
) -> dict:
    """DAY-1…DAY-7 学籍数据维护: non-key fields (API.md "The record"), changed directly by the
    student's school; `reason` says why; a controlled field → 409 `controlled_field`."""
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number)
    changes = dict(body)
    reason = changes.pop("reason", None)
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise ContractError("reason", "bad_reason", "修改原因须为文字，不超过500字")
    return await runtime.students.edit(number, changes, reason, meta)


@router.get("/{student_number}/history")
async def get_student_history(
    student_number: str, runtime: Runtime, user: CurrentUser, policy: Policy
) -> dict:
    """Every stored event of the record: who, when, what."""
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number, reads.HISTORY)
    return {"items": await runtime.students.history(number)}


class DeletionRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class DeletionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    opinion: str | None = Field(default=None, max_length=500)


@router.post("/{student_number}/deletion-request")
async def request_deletion(
    student_number: str, body: DeletionRequestIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """REG-9: the school registrar applies to delete a wrongly registered student."""
    number = str(parse_student_number(student_number))
    return await runtime.students.request_deletion(number, body.reason, meta)


@router.post("/{student_number}/deletion-request/decision")
async def decide_deletion(
    student_number: str,
    body: DeletionDecisionIn,
    runtime: Runtime,
    meta: Meta,
    user: CurrentUser,
    policy: Policy,
) -> dict:
    """REG-9: the school's supervising bureau confirms or refuses the deletion."""
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number)
    return await runtime.students.decide_deletion(number, body.approve, body.opinion, meta)
