"""Registration 学籍注册 (API.md "Registration"): single entry for now."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import Forbidden
from province_node.api.deps import Meta, Runtime, ensure_within
from province_node.domain.registration_rules import RegistrationForm
from xueji.access.api import CurrentUser, require_role

router = APIRouter(prefix="/api/v1/registrations", tags=["registrations"])


class GuardianIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=50)
    relation: str = Field(default="", max_length=20)
    id_type: str = Field(max_length=1)
    id_number: str | None = Field(default=None, max_length=40)


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry: Literal["primary", "non_primary"]
    id_type: Literal["1", "6", "7", "8", "9", "A", "Z"]
    id_number: str | None = Field(default=None, max_length=40)
    name: str = Field(max_length=60)
    sex: Literal["1", "2"] | None = None
    birth_date: date | None = None
    ethnicity: str | None = Field(default=None, max_length=2)
    school_code: str = Field(max_length=20)
    class_code: str = Field(max_length=7)
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=6)


class RegistrationPublic(BaseModel):
    id: UUID
    status: str
    dedup_status: str
    auth_status: str
    student_number: str | None = None
    problem_record_id: UUID | None = None


@router.post("", status_code=201, response_model=RegistrationPublic)
async def create_registration(
    body: RegistrationCreate, runtime: Runtime, meta: Meta, user: CurrentUser
) -> dict:
    """Single-entry registration by the school's registrar; 409 `dedup_conflict` when the
    identity is held nationally."""
    require_role(user, "registrar")
    if user.unit_code != body.school_code:
        raise Forbidden("只能为本校学生注册学籍", code="outside_jurisdiction", field="school_code")
    form = RegistrationForm(
        **body.model_dump(exclude={"guardians"}), guardians=[g.model_dump() for g in body.guardians]
    )
    return await runtime.registrations.register(form, meta)


@router.get("/{registration_id}")
async def get_registration(registration_id: UUID, runtime: Runtime, user: CurrentUser) -> dict:
    """One registration and its current state."""
    registration = await runtime.writer(runtime.node.registration, registration_id)
    ensure_within(runtime, user, registration["school_code"])
    return registration
