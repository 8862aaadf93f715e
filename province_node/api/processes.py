"""The routes every business on the approval engine answers alike, declared with one call.

`process_routes(router, path="/graduations", param="graduation_id", …)` adds
`GET {path}/{id}` (the process with its chain, decisions and every event),
`POST {path}/{id}/decisions`, `POST {path}/{id}/revoke` and, where a return goes back to the
school, `POST {path}/{id}/resubmit`. Each first finds the process within the caller's sight
(SEC-8: one outside it answers as a missing one); the engine decides the rest
(`province_node.processes.ProcessService`). Call it after the module's fixed paths
(`/export`, `/pending` …), so that they are matched first.

No `from __future__ import annotations` here: FastAPI must see the routes' annotations as
objects, and `InSight` is local to each call.
"""

import functools
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from province_node.api.deps import Meta, Runtime
from province_node.processes import ProcessService
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    opinion: str | None = Field(default=None, max_length=500)


def process_routes(
    router: APIRouter,
    *,
    path: str,
    param: str,
    service: str,
    what: str,
    units: Callable[[dict], list[str]] | None = None,
    read: bool = True,
    resubmit: bool = False,
) -> Any:
    """Adds the routes of `runtime.<service>` under `{path}/{<param>}`; `what` names the
    process in the answer for one not found ("该毕业申请"), `units(record)` the schools whose
    units see it (default: its `school_code`). `read=False` leaves `GET` to the module (it
    adds to the answer). Returns the dependency that finds the process in the caller's sight."""

    def found_by(runtime: Runtime) -> ProcessService:
        return getattr(runtime, service)

    async def in_sight(
        process_id: Annotated[UUID, Path(alias=param)],
        runtime: Runtime,
        user: CurrentUser,
        policy: Policy,
    ) -> dict:
        load = functools.partial(found_by(runtime).get_process, process_id)
        return await policy.record_in_sight(user, load, what, param, units=units)

    InSight = Annotated[dict, Depends(in_sight)]  # noqa: N806 - a type alias

    async def get(process: InSight) -> dict:
        return process

    async def decide(process: InSight, body: DecisionIn, runtime: Runtime, meta: Meta) -> dict:
        process_id = UUID(process["id"])
        return await found_by(runtime).decide(process_id, body.approve, body.opinion, meta)

    async def revoke(process: InSight, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
        return await found_by(runtime).revoke(UUID(process["id"]), meta)

    async def resubmit_(process: InSight, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
        return await found_by(runtime).resubmit(UUID(process["id"]), meta)

    one = f"{path}/{{{param}}}"
    name = service.rstrip("s")
    get.__doc__ = f"{what}: state, chain, decisions and every event (who, when, opinion)."
    decide.__doc__ = "The current step's unit decides (the engine's decider rule)."
    revoke.__doc__ = "The initiating school withdraws it while it is in progress."
    resubmit_.__doc__ = "Returned to the school, it goes up its chain again."
    if read:
        router.add_api_route(one, get, methods=["GET"], name=f"get_{name}")
    router.add_api_route(f"{one}/decisions", decide, methods=["POST"], name=f"decide_{name}")
    router.add_api_route(f"{one}/revoke", revoke, methods=["POST"], name=f"revoke_{name}")
    if resubmit:
        router.add_api_route(
            f"{one}/resubmit", resubmit_, methods=["POST"], name=f"resubmit_{name}"
        )
    return InSight
