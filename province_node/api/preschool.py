"""Pre-school archive list 学前调档名单 (REG-2) and supplementary entry 学前档案信息补录 (REG-3).

Only the registrar of the school itself works on its list (`SchoolRegistrar`): everyone
else gets 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.ids import IdGroup
from province_node.api.deps import Meta, Runtime
from province_node.api.registrations import XLSX, GuardianIn, decoded_proof
from province_node.domain.preschool import STATES, ChildIdentity
from province_node.excel.archive_list import exported_columns, exported_rows
from xueji.access.api import PersonalExport
from xueji.access.guards import SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/preschool", tags=["preschool"])


class EntryIn(BaseModel):
    """Add, or modify (the whole identity again, as the form shows it)."""

    model_config = ConfigDict(extra="forbid")
    id_type: Literal["1", "6", "7", "8", "9", "A", "Z"]
    id_number: str | None = Field(default=None, max_length=40)
    name: str = Field(max_length=60)
    sex: Literal["1", "2"] | None = None
    birth_date: date | None = None
    guardian: GuardianIn | None = None

    def child(self) -> ChildIdentity:
        return ChildIdentity(**self.model_dump(exclude={"guardian"}))

    def guardian_dict(self) -> dict | None:
        return self.guardian.model_dump() if self.guardian else None


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_id: str | None = Field(max_length=40)  # null: none of the candidates is this child


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ethnicity: str | None = Field(default=None, max_length=2)
    class_code: str = Field(max_length=7)
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=6)
    # base64 JPG/PNG ≤ 2 MB; required for a child without a document (REG-6, ID-7)
    proof: str | None = Field(default=None, max_length=4_000_000)


@router.post("/entries", status_code=201)
async def add_entry(body: EntryIn, runtime: Runtime, meta: Meta, user: SchoolRegistrar) -> dict:
    """REG-2 新增: stored, then matched against the pre-school records at once."""
    return await runtime.preschool.add(body.child(), body.guardian_dict(), meta)


@router.get("/entries")
async def list_entries(
    runtime: Runtime, user: SchoolRegistrar, state: Literal[STATES] | None = None
) -> dict:
    items = await runtime.preschool.entries(user.unit_code, state)
    return {"items": items, "total": len(items)}


@router.get("/entries/{entry_id}")
async def get_entry(entry_id: UUID, runtime: Runtime, meta: Meta, user: SchoolRegistrar) -> dict:
    return await runtime.preschool.entry(entry_id, meta)


@router.patch("/entries/{entry_id}")
async def modify_entry(
    entry_id: UUID, body: EntryIn, runtime: Runtime, meta: Meta, user: SchoolRegistrar
) -> dict:
    """REG-2 修改: matched again; refused (409 `locked`) once registration has started."""
    return await runtime.preschool.modify(entry_id, body.child(), body.guardian_dict(), meta)


@router.delete("/entries/{entry_id}")
async def delete_entry(entry_id: UUID, runtime: Runtime, meta: Meta, user: SchoolRegistrar) -> dict:
    return await runtime.preschool.delete(entry_id, meta)


@router.post("/entries/{entry_id}/match")
async def match_entry(entry_id: UUID, runtime: Runtime, meta: Meta, user: SchoolRegistrar) -> dict:
    """Asks the pre-school registry again (after it was unreachable: `待查询学前学籍`)."""
    return await runtime.preschool.match(entry_id, meta)


@router.post("/entries/{entry_id}/confirm")
async def confirm_entry(
    entry_id: UUID, body: ConfirmIn, runtime: Runtime, meta: Meta, user: SchoolRegistrar
) -> dict:
    """REG-2 学前学籍确认: one of the candidates, or `null` for "none of them"."""
    return await runtime.preschool.confirm(entry_id, body.record_id, meta)


@router.post("/entries/{entry_id}/complete")
async def complete_entry(
    entry_id: UUID, body: CompleteIn, runtime: Runtime, meta: Meta, user: SchoolRegistrar
) -> dict:
    """REG-3 补录: checked with the registration rules (class of this school, guardians)."""
    completion = body.model_dump(exclude={"guardians", "proof"})
    completion["guardians"] = [g.model_dump() for g in body.guardians]
    proof = decoded_proof(body.proof)
    return await runtime.preschool.complete(entry_id, completion, proof, meta)


@router.post("/entries/{entry_id}/register")
async def register_entry(
    entry_id: UUID, runtime: Runtime, meta: Meta, user: SchoolRegistrar
) -> dict:
    """REG-3: the completed entry becomes a primary new student's registration (REG-5, REG-6)."""
    return await runtime.preschool.start_registration(entry_id, meta)


@router.get("/export/{id_group}")
async def export_entries(
    id_group: Literal["resident", "hmt_foreign", "no_document"],
    runtime: Runtime,
    user: SchoolRegistrar,
    export: PersonalExport,
    ids: Annotated[list[UUID] | None, Query()] = None,
) -> Response:
    """REG-2 调档学生导出: per document group, in that group's registration import template.
    Without `ids` the whole group minus what may not be exported; with `ids` exactly those
    (409 `locked` if one is in registration). Names and ID numbers: SEC-4 like every export
    of personal data (a second account confirms; recorded with filters and row count)."""
    data = await runtime.preschool.export(user.unit_code, IdGroup(id_group), ids)
    export.filters = {"id_group": id_group} | export.filters
    rows, columns = exported_rows(data), exported_columns(data)
    await export.record(columns, rows, f"学前调档名单导出: {id_group}")
    return attachment(data, f"学前调档名单_{id_group}.xlsx", XLSX)
