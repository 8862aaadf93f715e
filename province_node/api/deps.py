"""Shared FastAPI dependencies as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

from contracts.meta import CommandMeta
from province_node.runtime import NodeRuntime
from xueji.telemetry import current_traceparent


def get_runtime(request: Request) -> NodeRuntime:
    return request.app.state.runtime


Runtime = Annotated[NodeRuntime, Depends(get_runtime)]


def command_meta(
    runtime: Runtime,
    idempotency_key: Annotated[UUID | None, Header()] = None,
    x_xueji_account: Annotated[str | None, Header()] = None,
    x_xueji_unit: Annotated[str | None, Header()] = None,
    x_xueji_role: Annotated[str | None, Header()] = None,
) -> CommandMeta:
    """Who is acting and under which command id (SEC-6, BUS-2).

    Until accounts arrive (issue 3) the actor comes from `X-Xueji-*` headers, defaulting to
    the province's development operator; `Idempotency-Key` makes a POST safe to repeat.
    """
    province = runtime.settings.province
    return CommandMeta.new(
        account=x_xueji_account or f"dev-{province}",
        unit_code=x_xueji_unit or province,
        role=x_xueji_role or "registrar",
        command_id=idempotency_key,
        traceparent=current_traceparent(),
    )


Meta = Annotated[CommandMeta, Depends(command_meta)]
