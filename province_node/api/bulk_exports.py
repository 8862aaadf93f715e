"""SYS-6 bulk data exports (API.md "Bulk exports"): the commitment text, the application,
the decisions of its chain, and the download (SEC-4: a second account confirms)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from projections.excel import XLSX
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import DecisionIn
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/bulk-exports", tags=["bulk exports"])


Column = Annotated[str, Field(max_length=40)]


class BulkExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=2, max_length=500)
    region: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    columns: list[Column] = Field(min_length=1, max_length=80)
    #: the SHA-256 of the commitment text (`GET …/commitment`): the applicant accepted it
    commitment_sha256: str = Field(min_length=64, max_length=64)


@router.get("/commitment")
async def commitment(runtime: Runtime, _: CurrentUser) -> dict:
    """The 数据管理安全承诺书 the applicant accepts, and its digest to send back."""
    return runtime.bulk_exports.commitment()


@router.post("", status_code=201)
async def apply(body: BulkExportIn, runtime: Runtime, user: CurrentUser, meta: Meta) -> dict:
    """A bureau applies to export its records (purpose, scope, the commitment accepted)."""
    return await runtime.bulk_exports.apply(
        user, body.purpose, body.region, body.columns, body.commitment_sha256, meta
    )


@router.get("/{application_id}")
async def get_application(application_id: UUID, runtime: Runtime, user: CurrentUser) -> dict:
    return await runtime.bulk_exports.get(application_id, user)


@router.post("/{application_id}/decisions")
async def decide(application_id: UUID, body: DecisionIn, runtime: Runtime, meta: Meta) -> dict:
    """The chain's current unit decides (not the applicant itself)."""
    return await runtime.bulk_exports.decide(application_id, body.approve, body.opinion, meta)


@router.get("/{application_id}/file")
async def download(
    application_id: UUID, runtime: Runtime, user: CurrentUser, export: PersonalExport
) -> Response:
    """The approved export, to its applicant while available; each download audited."""
    data = await runtime.bulk_exports.download(application_id, user, export)
    return attachment(data, f"学籍数据批量导出_{application_id}.xlsx", XLSX)
