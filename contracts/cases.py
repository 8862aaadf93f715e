"""Cross-province cases on the hub (XPT, PGE): the messages between nodes and the hub.

A case has two sides. The transfer-in (admitting) node resolves its own approval chain and
sends it with `InitiateCase`; the hub asks the out-province node for the student and the
out side's chain (`PrepareCaseOut`). Every later command names the case; the hub answers
with the case as `CaseView`. Work the hub hands to a node (lock the student, export the
archive, import it, notify) travels on the durable stream `HUB_OUT` (`HubNotice`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import ContractModel, Envelope

Flow = Literal["transfer", "enrollment"]
Province = Field(pattern=r"^\d{2}$")


class CaseStep(ContractModel):
    """One decision step: `in_school`, `in_bureau`, `in_city`, `out_school`, … (API.md)."""

    step: str = Field(pattern=r"^(in|out)_(school|bureau|city|province|ministry)$")
    unit_code: str = Field(min_length=1, max_length=20)
    unit_name: str = Field(max_length=100)


class CaseSide(ContractModel):
    """One province's side: its school, the chain it resolved, and every unit whose
    jurisdiction covers the school (they may track the case, XPT-5)."""

    province: str = Province
    school_code: str = Field(min_length=1, max_length=20)
    school_name: str = Field(max_length=100)
    school_system: Literal["6-3", "5-4"]
    steps: list[CaseStep] = Field(max_length=6)
    units: list[str] = Field(min_length=1, max_length=12)


class CaseStudent(ContractModel):
    """The student as the out-province node knows it when the case starts."""

    student_number: str = Field(min_length=19, max_length=19)
    name: str
    sex: str | None = None
    id_type: str
    id_number: str | None = None
    status: str
    stage: str
    national_grade: int = Field(ge=1, le=12)
    class_code: str


class PrepareCaseOut(ContractModel):
    """Hub → out-province node (request/reply): is the student eligible, and who decides
    on that side? The node answers `CaseOutPreparation` or a typed refusal."""

    kind: Literal["PrepareCaseOut"] = "PrepareCaseOut"
    version: Literal[1] = 1
    envelope: Envelope
    flow: Flow
    student_number: str = Field(min_length=19, max_length=19)
    student_name: str = Field(min_length=1, max_length=50)


class CaseOutPreparation(ContractModel):
    kind: Literal["CaseOutPreparation"] = "CaseOutPreparation"
    version: Literal[1] = 1
    student: CaseStudent
    side: CaseSide


class InitiateCase(ContractModel):
    """The transfer-in (admitting) school starts a case (XPT-2, PGE-1)."""

    kind: Literal["InitiateCase"] = "InitiateCase"
    version: Literal[1] = 1
    envelope: Envelope
    flow: Flow
    student_number: str = Field(min_length=19, max_length=19)
    student_name: str = Field(min_length=1, max_length=50)
    target_grade: int = Field(ge=1, le=12)
    target_class_code: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)
    proof: str | None = Field(default=None, max_length=80)
    side: CaseSide
    #: The initiating province's settings the hub applies to this case: its key-date
    #: overrides (SYS-2: the XPT-8 freeze, the PGE-2 windows, over the national defaults)
    #: and its switch `auto_archive_pull` (SYS-3, XPT-6), frozen with the case like its chain.
    key_date_overrides: dict[str, Any] = Field(default_factory=dict)
    auto_archive_pull: bool = False


class DecideCase(ContractModel):
    """A deciding unit approves or rejects the step awaiting it (opinion on rejection)."""

    kind: Literal["DecideCase"] = "DecideCase"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Province
    case_id: UUID
    approve: bool
    opinion: str | None = Field(default=None, max_length=500)
    ground: str | None = Field(default=None, max_length=40)


class ActOnCase(ContractModel):
    """Revoke (XPT-4) or request the archive pull (XPT-6), by the initiating school."""

    kind: Literal["ActOnCase"] = "ActOnCase"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Province
    case_id: UUID
    action: Literal["revoke", "archive_pull"]


class CaseFilters(ContractModel):
    """The filters of the pending and tracking screens (XPT-3, XPT-5)."""

    name: str | None = Field(default=None, max_length=50)
    student_number: str | None = Field(default=None, max_length=19)
    id_number: str | None = Field(default=None, max_length=40)
    from_province: str | None = Field(default=None, pattern=r"^\d{2}$")
    to_province: str | None = Field(default=None, pattern=r"^\d{2}$")
    status: str | None = Field(default=None, max_length=20)
    date_from: date | None = None
    date_to: date | None = None


class CaseQuery(CaseFilters):
    """Pending list (XPT-3), tracking search (XPT-5) or one case, for the caller's unit."""

    kind: Literal["CaseQuery"] = "CaseQuery"
    version: Literal[1] = 1
    envelope: Envelope
    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    flow: Flow
    mode: Literal["pending", "search", "one"]
    case_id: UUID | None = None
    as_of: datetime | None = None


class CaseView(ContractModel):
    """A case as API.md shows it (`GET /api/v1/transfers/{id}`)."""

    kind: Literal["CaseView"] = "CaseView"
    version: Literal[1] = 1
    case: dict


class CaseList(ContractModel):
    kind: Literal["CaseList"] = "CaseList"
    version: Literal[1] = 1
    items: list[dict]
    total: int


class HubNotice(ContractModel):
    """Hub → one province (stream `HUB_OUT`, durable): what that node must do for a case.

    - `case_opened` / `case_closed`: lock / unlock the student (business in flight, CHG-3);
    - `archive_requested`: export the student's full record and mark it transferred out;
    - `archive_delivered`: create the student at the target class from `archive`;
    - `case_completed`: the out-school is told the student arrived.
    """

    kind: Literal["HubNotice"] = "HubNotice"
    version: Literal[1] = 1
    notice: Literal[
        "case_opened", "case_closed", "archive_requested", "archive_delivered", "case_completed"
    ]
    envelope: Envelope
    case_id: UUID
    flow: Flow
    province: str = Province
    student_number: str = Field(min_length=19, max_length=19)
    outcome: str | None = None
    to_province: str | None = Field(default=None, pattern=r"^\d{2}$")
    target_school_code: str | None = None
    target_class_code: str | None = None
    archive: dict | None = None


class MonitorQuery(ContractModel):
    """XPT-10 for a province (its own units) or the ministry (all)."""

    kind: Literal["MonitorQuery"] = "MonitorQuery"
    version: Literal[1] = 1
    envelope: Envelope
    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    flow: Flow = "transfer"


class MonitorReply(ContractModel):
    kind: Literal["MonitorReply"] = "MonitorReply"
    version: Literal[1] = 1
    items: list[dict]
