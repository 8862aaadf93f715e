"""SYS-4 complaints on the hub (API.md "Complaints"): the ministry's side of the three forms,
and the complaint contacts of every level, published without login (`[003 §三.2]`)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Runtime
from hub.complaints import new_meta
from xueji.access.guards import CurrentUser, MinistrySysadmin

router = APIRouter(prefix="/api/v1", tags=["complaints"])
Text = Annotated[str, Field(max_length=60)]


class Person(BaseModel):
    """问题反映人 / 学生: what the forms ask (all optional but the name)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20)
    sex: Text = ""
    age: Text = ""
    ethnicity: Text = ""
    id_number: Text = ""
    phone: Text = ""
    student_number: Text = ""


class Party(BaseModel):
    """交办单位 / 督办单位 with its 责任人 and 联系电话."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=60)
    person: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=5, max_length=30)


class IssueIn(BaseModel):
    """附件3 问题核查单 (`verification`) or 附件4 问题督办单 (`supervision`)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["verification", "supervision"]
    province: str = Field(pattern=r"^[0-9]{2}$")  # 核查单位 / 承办单位: the province charged
    reporter: Person
    student: Person | None = None
    matter: str = Field(min_length=1, max_length=4000)  # 所反映事项 / 反映事项
    issuer: Party  # 交办单位 / 督办单位
    deadline: str = Field(max_length=10)  # 完成时限
    parent_id: UUID | None = None  # the report it follows up, if any


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receiver: str = Field(min_length=1, max_length=20)  # 教育部受理人
    unit: str = Field(min_length=1, max_length=60)  # 受理单位


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)  # 处理意见


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=500)


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=5, max_length=30)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=80)


@router.get("/complaints")
async def list_complaints(
    runtime: Runtime,
    _: CurrentUser,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    kind: Literal["report", "verification", "supervision"] | None = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
) -> dict:
    items = await runtime.complaints.list(province, kind, state)
    return {"items": items, "total": len(items)}


@router.post("/complaints", status_code=201)
async def issue(body: IssueIn, runtime: Runtime, user: CurrentUser) -> dict:
    """A 核查单 by the technical department (sysadmin), a 督办单 by the administrative one."""
    form = body.model_dump(mode="json", exclude={"kind", "province", "deadline", "parent_id"})
    parent = str(body.parent_id) if body.parent_id else None
    return await runtime.complaints.issue(body.kind, body.province, form, body.deadline, parent,
                                          new_meta(user))  # fmt: skip


@router.get("/complaints/{complaint_id}")
async def get_complaint(complaint_id: UUID, runtime: Runtime, _: CurrentUser) -> dict:
    return await runtime.complaints.get(complaint_id)


@router.post("/complaints/{complaint_id}/acceptance")
async def accept(complaint_id: UUID, body: AcceptIn, runtime: Runtime, user: CurrentUser) -> dict:
    """受理 a province's 问题报告单."""
    return await runtime.complaints.act(complaint_id, "accept", new_meta(user),
                                        receiver=body.receiver, unit=body.unit)  # fmt: skip


@router.post("/complaints/{complaint_id}/answer")
async def answer(complaint_id: UUID, body: AnswerIn, runtime: Runtime, user: CurrentUser) -> dict:
    """处理意见 on an accepted report."""
    handler = {"unit": "教育部", "person": user.username, "phone": ""}
    return await runtime.complaints.act(complaint_id, "respond", new_meta(user), text=body.text,
                                        handler=handler)  # fmt: skip


@router.post("/complaints/{complaint_id}/closure")
async def close(complaint_id: UUID, body: NoteIn, runtime: Runtime, user: CurrentUser) -> dict:
    """办结 an answered verification or supervision form."""
    return await runtime.complaints.act(complaint_id, "close", new_meta(user),
                                        note=body.note or None)  # fmt: skip


@router.post("/complaints/{complaint_id}/return")
async def send_back(complaint_id: UUID, body: NoteIn, runtime: Runtime, user: CurrentUser) -> dict:
    """退回 an answer that is not enough (the deadline stands)."""
    return await runtime.complaints.act(complaint_id, "send_back", new_meta(user),
                                        note=body.note or "答复不完整，请补充")  # fmt: skip


@router.get("/complaint-contacts")
async def contacts(runtime: Runtime) -> dict:
    """Public (no login): where each level takes complaints, phone and e-mail."""
    items = await runtime.complaints.contacts()
    return {"items": items, "total": len(items)}


@router.put("/complaint-contacts/ministry")
async def publish_ministry(body: ContactIn, runtime: Runtime, user: MinistrySysadmin) -> dict:
    return await runtime.complaints.publish_ministry(body.phone, body.email, new_meta(user))
