"""Shared FastAPI dependencies of the hub."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.runtime import HubRuntime


def get_runtime(request: Request) -> HubRuntime:
    return request.app.state.runtime


Runtime = Annotated[HubRuntime, Depends(get_runtime)]
