"""The approval engine's value objects, shared by the province nodes and the hub (DESIGN §4a).

Every business that climbs a chain of units is decided with these: a `Step` (the level and
the unit that decides it), the one decider rule (`check_decider`: a school step is stamped by
the school's approver, a bureau step by its registrar or approver), the one opinion rule
(`check_opinion`: a rejection says why) and a `Decision` for the history. A chain is frozen
from the SYS-1 table when the business is submitted and kept with it for life.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from contracts.codes import Role
from contracts.errors import ContractError, Forbidden

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class StepLevel(StrEnum):
    """An approving level, declared in ascending order (a chain must climb, never descend)."""

    SCHOOL = "school"
    SUPERVISING = "supervising"
    CITY = "city"
    PROVINCE = "province"
    MINISTRY = "ministry"

    @property
    def label(self) -> str:
        labels = {"school": "学校", "supervising": "主管教育局", "city": "地市"}
        return (labels | {"province": "省级", "ministry": "教育部"})[self.value]

    @property
    def rank(self) -> int:
        return list(StepLevel).index(self)


class Step(BaseModel):
    """One step of a chain: the level and the concrete unit that decides it."""

    model_config = _FROZEN

    level: StepLevel
    unit_code: str
    unit_name: str


class Decision(BaseModel):
    """One decision as the history keeps it (who, where, what, why, when)."""

    model_config = _FROZEN

    step: str  # the step's name: its level, or the hub's side-qualified name (`out_school`)
    unit_code: str
    account: str | None
    approve: bool
    opinion: str | None
    at: str  # ISO time of the deciding clock (node or hub)


def deciding_roles(level: StepLevel | str) -> tuple[Role, ...]:
    """The one decider rule: the school's step is its approver's stamp (学校学籍主管领导);
    a bureau's step is decided by its registrar or its approver."""
    if StepLevel(level) is StepLevel.SCHOOL:
        return (Role.APPROVER,)
    return (Role.REGISTRAR, Role.APPROVER)


def check_decider(step: Step, unit_code: str, role: str, message: str) -> None:
    """Refuses anyone but the step's unit in a deciding role; `message` says it in the
    business's words."""
    if step.unit_code != unit_code or role not in deciding_roles(step.level):
        raise Forbidden(message, code="not_your_step")


def check_opinion(
    approve: bool, opinion: str | None, message: str = "不通过时须填写审核意见"
) -> None:
    """A rejection always carries an opinion (the seed's 审核意见)."""
    if not approve and not (opinion or "").strip():
        raise ContractError("opinion", "opinion_required", message)


def decision(
    step: str, unit_code: str, meta: dict, approve: bool, opinion: str | None, at: datetime | str
) -> dict:
    """A history entry for a decision, as stored in events (plain data)."""
    when = at.isoformat() if isinstance(at, datetime) else at
    entry = Decision(
        step=step,
        unit_code=unit_code,
        account=meta.get("account"),
        approve=approve,
        opinion=opinion,
        at=when,
    )
    return entry.model_dump()
