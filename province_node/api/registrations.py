"""Registration 学籍注册 (API.md "Registration"): single entry for now."""

from __future__ import annotations

import base64
import binascii
import functools
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import ContractError
from contracts.ids import IdGroup
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import DecisionIn
from province_node.api.queries import registrations_in_sight
from province_node.domain.registration_rules import RegistrationForm
from province_node.excel.templates import build_template
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar
from xueji.http import attachment

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
    #: Proof material as base64 (JPG/PNG ≤ 2 MB, required for students without a document).
    proof: str | None = Field(default=None, max_length=4_000_000)


@router.post("", status_code=201)
async def create_registration(
    body: RegistrationCreate, runtime: Runtime, meta: Meta, user: SchoolRegistrar, policy: Policy
) -> dict:
    """Single-entry registration by the school's registrar; 409 `dedup_conflict` when the
    identity is held nationally."""
    policy.ensure_own(user, body.school_code, field="school_code")
    form = RegistrationForm(
        **body.model_dump(exclude={"guardians", "proof"}),
        guardians=[g.model_dump() for g in body.guardians],
        proof=decoded_proof(body.proof),
    )
    return await runtime.registrations.register(form, meta)


class BatchDecisionIn(DecisionIn):
    school_code: str = Field(max_length=20)
    id_group: Literal["resident", "hmt_foreign", "no_document"] | None = None


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[UUID] = Field(min_length=1, max_length=2000)


def decoded_proof(proof: str | None) -> bytes | None:
    if proof is None:
        return None
    try:
        return base64.b64decode(proof, validate=True)
    except (binascii.Error, ValueError):
        raise ContractError("proof", "bad_base64", "证明材料须为 base64 编码的图片") from None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 2**20


@router.get("/templates/{id_group}")
async def download_template(
    id_group: Literal["resident", "hmt_foreign"],
    user: CurrentUser,
    entry: Literal["primary", "non_primary"] = "primary",
) -> Response:
    """REG-4: the Excel template of a document-type group, with drop-down lists."""
    name = f"学籍注册模板_{IdGroup(id_group).value}_{entry}.xlsx"
    return attachment(build_template(IdGroup(id_group), entry), name, XLSX)


@router.post("/import")
async def import_registrations(
    runtime: Runtime,
    meta: Meta,
    _: SchoolRegistrar,
    file: UploadFile,
    entry: Annotated[Literal["primary", "non_primary"], Form()],
    id_group: Annotated[Literal["resident", "hmt_foreign", "no_document"], Form()],
) -> dict:
    """REG-4: upload → per-file record and per-row problems; valid rows go on. Files of
    more than a few hundred rows continue in the background (`GET …/imports/{file_id}`)."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)  # the reader refuses what is too large
    return await runtime.imports.import_file(
        data, file.filename or "upload.xlsx", entry, id_group, meta
    )


@router.get("/imports/{file_id}")
async def import_file(file_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy) -> dict:
    """One import's record: result, rows done so far, per-row problems."""
    load = functools.partial(runtime.imports.file, file_id)
    return await policy.record_in_sight(user, load, f"导入文件 {file_id} ", "file_id")


@router.get("")
async def list_registrations(
    runtime: Runtime, user: CurrentUser, policy: Policy, status: str | None = None
) -> dict:
    """Registrations of the caller's jurisdiction, optionally of one status (any status:
    answered from the registrations view)."""
    items = await registrations_in_sight(runtime, policy, user, status)
    return {"items": items, "total": len(items)}


@router.get("/pending")
async def pending_registrations(runtime: Runtime, meta: Meta, user: CurrentUser) -> dict:
    """REG-6: entries awaiting the caller: a decision (`decide`) or the school's `report`
    (from the one pending read model, 待办)."""
    items = await runtime.pending.registrations(meta)
    return {"items": items, "total": len(items)}


@router.post("/report")
async def report_registrations(
    body: ReportIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """REG-6: the school registrar submits its school-approved entries to the bureau."""
    items = await runtime.reviews.report(body.ids, meta)
    return {"items": items, "total": len(items)}


@router.post("/decisions")
async def decide_batch(
    body: BatchDecisionIn, runtime: Runtime, meta: Meta, user: CurrentUser, policy: Policy
) -> dict:
    """REG-7: approve (or return) every entry of a school, or of one document-type group of
    it, that awaits the caller."""
    policy.ensure_sees(user, body.school_code)
    items = await runtime.reviews.decide_school_batch(
        body.school_code, body.id_group, body.approve, body.opinion, meta
    )
    return {"items": items, "total": len(items)}


@router.post("/{registration_id}/decisions")
async def decide(registration_id: UUID, body: DecisionIn, runtime: Runtime, meta: Meta) -> dict:
    """REG-6: the current step's unit approves, or returns it to the school with an opinion."""
    return await runtime.reviews.decide(registration_id, body.approve, body.opinion, meta)


@router.post("/{registration_id}/resubmit")
async def resubmit(registration_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """A returned entry goes back to the school approver."""
    return await runtime.reviews.resubmit(registration_id, meta)


@router.delete("/{registration_id}")
async def delete_registration(
    registration_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """REG-9: one entry, before it was reported; there is no batch delete."""
    return await runtime.reviews.delete(registration_id, meta)


@router.get("/{registration_id}")
async def get_registration(
    registration_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy
) -> dict:
    """One registration and its current state."""
    load = functools.partial(runtime.reviews.registration, registration_id)
    return await policy.record_in_sight(user, load, "该学籍登记记录", "registration_id")
