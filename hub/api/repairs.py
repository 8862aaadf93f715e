"""BUS-6: repair of a province stream that went backwards, for the ministry sysadmin
(`xueji repair republish`)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.meta import CommandMeta
from hub.api.deps import Runtime
from xueji.access.guards import MinistrySysadmin

router = APIRouter(prefix="/api/v1/repairs", tags=["repair"])


class RepublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str = Field(pattern=r"^\d{2}$")
    #: The province's notification id to publish again from (the alarm names the last one
    #: the hub applied: `last_source_notification_id`).
    from_notification_id: int = Field(ge=1)


@router.post("/republish")
async def republish(body: RepublishIn, runtime: Runtime, user: MinistrySysadmin) -> dict:
    """The province publishes its log again from the id, the hub follows it again."""
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    return await runtime.repair.republish(body.province, body.from_notification_id, meta)
