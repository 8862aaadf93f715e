"""SYS-4 on a node (API.md "Complaints"): the province level's 问题报告单 to the ministry and
its answers to the 核查单 / 督办单; a bureau's sysadmin publishes its complaint contacts."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.complaints import Handler, ReportForm
from province_node.api.deps import Meta, Runtime
from xueji.access.guards import BureauSysadmin, Policy, ProvinceOrg

router = APIRouter(prefix="/api/v1", tags=["complaints"])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)  # 经核实的情况 / 办理情况
    handler: Handler  # 承办人, 联系电话


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=5, max_length=30)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=80)


@router.post("/complaints/reports", status_code=201)
async def file_report(body: ReportForm, runtime: Runtime, meta: Meta, _: ProvinceOrg) -> dict:
    """附件2 问题报告单: cross-province or system problems, reported to the ministry."""
    return await runtime.complaints.file_report(body, meta)


@router.get("/complaints")
async def list_complaints(runtime: Runtime, meta: Meta, _: ProvinceOrg) -> dict:
    """The province's reports and the forms it is charged with, newest first."""
    items = await runtime.complaints.list(meta)
    return {"items": items, "total": len(items)}


@router.get("/complaints/{complaint_id}")
async def get_complaint(complaint_id: UUID, runtime: Runtime, meta: Meta, _: ProvinceOrg) -> dict:
    [found] = await runtime.complaints.list(meta, complaint_id)
    return found


@router.post("/complaints/{complaint_id}/answer")
async def answer(complaint_id: UUID, body: AnswerIn, runtime: Runtime, meta: Meta,
                 _: ProvinceOrg) -> dict:  # fmt: skip
    """The province's answer to a 核查单 (经核实的情况) or 督办单 (办理情况)."""
    return await runtime.complaints.respond(complaint_id, body.text, body.handler, meta)


@router.put("/complaint-contacts/{unit_code}")
async def publish_contact(unit_code: str, body: ContactIn, runtime: Runtime, meta: Meta,
                          user: BureauSysadmin, policy: Policy) -> dict:  # fmt: skip
    """`[003 §三.2]`: a bureau publishes the phone and e-mail where it takes complaints (shown
    without login on the hub's 投诉渠道 page)."""
    policy.ensure_sees(user, unit_code)
    return await runtime.complaints.publish_contact(unit_code, body.phone, body.email, meta)
