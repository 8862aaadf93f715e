"""Shared FastAPI dependencies as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

from contracts.meta import CommandMeta
from province_node.runtime import NodeRuntime
from xueji.access.guards import CurrentUser
from xueji.logs import bind_command
from xueji.telemetry import current_traceparent


def get_runtime(request: Request) -> NodeRuntime:
    return request.app.state.runtime


Runtime = Annotated[NodeRuntime, Depends(get_runtime)]


async def command_meta(
    user: CurrentUser,
    idempotency_key: Annotated[UUID | None, Header()] = None,
) -> CommandMeta:
    """Who is acting under which command id (SEC-6, BUS-2): `Idempotency-Key` makes a POST
    safe to repeat."""
    meta = CommandMeta.new(
        account=user.username,
        unit_code=user.unit_code,
        role=user.role,
        command_id=idempotency_key,
        traceparent=current_traceparent(),
    )
    bind_command(meta.command_id, meta.account, meta.unit_code)
    return meta


Meta = Annotated[CommandMeta, Depends(command_meta)]
