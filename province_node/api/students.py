"""Student records (API.md "Students")."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import ContractError
from contracts.ids import parse_student_number
from province_node.api.deps import Meta, Runtime
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar
from xueji.access.policy import AccessPolicy
from xueji.access.sessions import Session

router = APIRouter(prefix="/api/v1/students", tags=["students"])


def student_in_sight(runtime, user: Session, policy: AccessPolicy, number: str):
    """The record if the caller's jurisdiction covers it; one outside it answers exactly as
    a number nobody holds (SEC-8: no existence oracle)."""
    load = functools.partial(runtime.students.record, number)
    return policy.record_in_sight(user, load, f"学籍号 {number} 的学生", "student_number")


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
    record = await student_in_sight(runtime, user, policy, number)
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
    await student_in_sight(runtime, user, policy, number)
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
