"""Province configuration: switches (SYS-3), key dates (SYS-2), workflow rules (SYS-1).

Everyone of the province reads them; only the province's sysadmin changes them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.calendar import add_working_days, is_working_day
from contracts.codes import Stage
from province_node.api.deps import Meta, Runtime
from province_node.domain.workflow import BusinessType
from xueji.access.guards import (
    BureauSysadmin,
    CurrentUser,
    Policy,
    ProvinceSysadmin,
    SchoolInSight,
)

router = APIRouter(prefix="/api/v1/admin", tags=["settings"])
calendar = APIRouter(prefix="/api/v1/calendar", tags=["settings"])


@router.get("/switches")
async def get_switches(runtime: Runtime, user: CurrentUser) -> dict:
    """SYS-3 switches in force in this province."""
    return await runtime.configuration.switches()


@router.patch("/switches")
async def change_switches(
    changes: Annotated[dict[str, Any], Body()], runtime: Runtime, _: ProvinceSysadmin, meta: Meta
) -> dict:
    """Turn switches on or off: `{"registration_open": false}`."""
    return await runtime.configuration.change_switches(changes, meta)


@router.get("/key-dates")
async def get_key_dates(runtime: Runtime, user: CurrentUser) -> dict:
    """SYS-2 key dates in force: national defaults with this province's overrides."""
    return await runtime.configuration.key_dates()


@router.patch("/key-dates")
async def override_key_dates(
    overrides: Annotated[dict[str, Any], Body()], runtime: Runtime, _: ProvinceSysadmin, meta: Meta
) -> dict:
    """Override key dates, e.g. `{"promotion": [8, 20]}`."""
    return await runtime.configuration.override_key_dates(overrides, meta)


@router.get("/workflow/rules")
async def workflow_rules(
    runtime: Runtime, user: CurrentUser, business_type: BusinessType | None = None
) -> dict:
    """SYS-1: the table in force (shipped defaults, then this province's rows)."""
    items = await runtime.configuration.workflow_rules(business_type)
    return {"items": items, "total": len(items)}


@router.post("/workflow/rules", status_code=201)
async def set_workflow_rule(
    rule: Annotated[dict[str, Any], Body()], runtime: Runtime, _: ProvinceSysadmin, meta: Meta
) -> dict:
    """Add or replace a row for a region of this province (most specific scope wins)."""
    return await runtime.configuration.set_workflow_rule(rule, meta)


class ControlledFieldsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] = Field(max_length=20)


@router.get("/controlled-fields")
async def controlled_fields(runtime: Runtime, school_code: SchoolInSight) -> dict:
    """KDC-1: the fields that go through key data change for this school (受控字段)."""
    return await runtime.configuration.controlled_fields(school_code)


@router.put("/controlled-fields/{scope}")
async def set_controlled_fields(
    scope: str, body: ControlledFieldsIn, runtime: Runtime, meta: Meta,
    user: BureauSysadmin, policy: Policy,
) -> dict:  # fmt: skip
    """KDC-1: a province, city or county sysadmin chooses them for its own region (or a
    region below it); the most specific choice applies to a school."""
    policy.ensure_sees(user, scope)
    fields = await runtime.configuration.set_controlled_fields(scope, body.fields, meta)
    return {"scope": scope, "fields": fields}


@router.get("/workflow/chain")
async def workflow_chain(
    runtime: Runtime, business_type: BusinessType, school_code: SchoolInSight, stage: Stage
) -> dict:
    """The concrete approving units a new case of this school would get now."""
    return await runtime.configuration.workflow_chain(business_type, school_code, stage)


@calendar.get("/working-days")
async def working_days(
    runtime: Runtime, user: CurrentUser, start: date, days: Annotated[int, Query(ge=0, le=366)] = 10
) -> dict:
    """SYS-2: the date `days` statutory working days after `start` (e.g. a step's deadline),
    with the years the ministry entered on the hub; 409 `calendar_year_missing` for a year
    nobody has entered."""

    def compute(entered) -> dict:
        return {
            "start": start.isoformat(),
            "days": days,
            "date": add_working_days(start, days, entered).isoformat(),
            "start_is_working_day": is_working_day(start, entered),
        }

    return await runtime.calendar.compute(compute)


@router.post("/dedup/run")
async def run_deferred_dedup(runtime: Runtime, _: ProvinceSysadmin, meta: Meta) -> dict:
    """REG-5 with instant dedup off: ask the hub now for every registration still waiting
    (the node also does this on its own every few minutes)."""
    return await runtime.later_checks.run_deferred_dedup(meta)


@router.post("/authentication/run")
async def retry_pending_authentications(runtime: Runtime, _: ProvinceSysadmin, meta: Meta) -> dict:
    """REG-5: ask the population registry now for every authentication left pending (the
    node also retries by itself, and at once when the registry answers again)."""
    return await runtime.later_checks.retry_pending_authentications(meta)
