"""SYS-4 complaints between a province node and the hub (request/reply): a province files a
问题报告单, answers the 核查单 / 督办单 it is charged with, publishes the complaint contacts of
its levels, and lists its forms. Subjects: `hub_rpc(<province>, HUB_COMPLAINT_ACT | _QUERY)`."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import ContractModel, Envelope

Short = Field(min_length=1, max_length=60)


class Contact(ContractModel):
    """业务联系人 / 技术联系人 of a report: name, unit, phone."""

    name: str = Field(min_length=1, max_length=20)
    unit: str = Short
    phone: str = Field(min_length=5, max_length=30)


class ReportForm(ContractModel):
    """附件2 中小学生学籍管理问题报告单 (one item per problem)."""

    business_contact: Contact
    technical_contact: Contact
    problems: list[str] = Field(min_length=1, max_length=20)


class Handler(ContractModel):
    """承办人 / 核查单位承办人 and the phone of the answering unit."""

    unit: str = Short
    person: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=5, max_length=30)


class PublishedContact(ContractModel):
    """`[003 §三.2]`: the phone and e-mail where a level takes complaints."""

    unit_code: str = Field(pattern=r"^[0-9]{6}$")
    phone: str = Field(min_length=5, max_length=30)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=80)


class ComplaintCommand(ContractModel):
    kind: Literal["ComplaintCommand"] = "ComplaintCommand"
    version: Literal[1] = 1
    envelope: Envelope
    action: Literal["file_report", "respond", "publish_contact"]
    report: ReportForm | None = None
    complaint_id: UUID | None = None
    text: str | None = Field(default=None, min_length=1, max_length=4000)
    handler: Handler | None = None
    contact: PublishedContact | None = None
    unit_name: str | None = Field(default=None, max_length=60)
    unit_level: str | None = Field(default=None, max_length=10)


class ComplaintQuery(ContractModel):
    kind: Literal["ComplaintQuery"] = "ComplaintQuery"
    version: Literal[1] = 1
    envelope: Envelope
    complaint_id: UUID | None = None


class ComplaintReply(ContractModel):
    items: list[dict[str, Any]] = Field(max_length=10_000)
