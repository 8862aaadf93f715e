"""问题学籍 (API.md "Problem records"; SPEC PRB-1…PRB-6).

`GET /problems?scope=province|cross&type=&state=` lists the records of this province in
problem groups within the caller's jurisdiction; `GET /problems/{id}` is the group (each side,
the history). `POST /problems/{id}/actions` is one side's 变更 / 删除 / 佐证 with its proof (a
change is a key data change, decided where key data changes are); corroborations and
deletions climb their SYS-1 chain under `/problems/actions/{id}`. `POST /problems/{id}/arbitration`
is the lowest common superior bureau's word on an in-province group whose sides both
corroborated (a cross-province group is arbitrated by the ministry on the hub).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.problems import GroupState, ProblemKind
from projections import excel
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import process_routes
from province_node.api.registrations import decoded_proof
from province_node.problems import ActionForm, group_in_sight
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1/problems", tags=["problems"])

_TYPES = "^(" + "|".join(k.value for k in ProblemKind) + ")$"
_STATES = "^(" + "|".join(s.value for s in GroupState) + ")$"


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: str = Field(min_length=19, max_length=19)  # the acting side's student number
    action: str = Field(max_length=20)  # change | delete | corroborate
    reason: str = Field(default="", max_length=500)  # 备注 (optional)
    proof: str | None = Field(default=None, max_length=4_000_000)  # base64 JPG/PNG ≤ 2 MB
    changes: dict | None = None  # a change: field → new value (KDC-2)


class ArbitrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    winner: str = Field(min_length=19, max_length=19)  # the record that keeps its identity
    opinion: str = Field(max_length=500)


async def problem_filters(
    user: CurrentUser,
    policy: Policy,
    scope: Annotated[str | None, Query(pattern="^(province|cross)$")] = None,
    type: Annotated[str | None, Query(pattern=_TYPES)] = None,  # noqa: A002 - the API's word
    state: Annotated[str | None, Query(pattern=_STATES)] = None,
    must_act: bool | None = None,
    locked: bool | None = None,
    arbitration: bool = False,  # the groups awaiting the caller's unit's arbitration
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    grade: Annotated[str | None, Query(max_length=20)] = None,
    class_code: Annotated[str | None, Query(max_length=7)] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
) -> tuple[dict, list[str] | None]:
    if school_code:
        policy.ensure_sees(user, school_code)
    filters = {"scope": scope, "type": type, "state": state, "must_act": must_act}
    filters |= {"locked": locked, "school_code": school_code, "grade_name": grade}
    filters |= {"class_code": class_code, "name": name, "student_number": student_number}
    if arbitration:
        filters |= {"arbiter": user.unit_code, "state": GroupState.ARBITRATION.value}
    return filters, policy.school_filter(user)


Filters = Annotated[tuple[dict, list[str] | None], Depends(problem_filters)]


@router.get("")
async def list_problems(
    runtime: Runtime,
    q: Filters,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """问题学籍处理列表: one row per record of this province (是否锁定, 处理状态)."""
    filters, schools = q
    return await runtime.problems.search(filters, schools, page, page_size)


@router.get("/export")
async def export_problems(runtime: Runtime, q: Filters, export: PersonalExport) -> Response:
    """The current list as Excel; SEC-4: a second account of the unit confirms."""
    filters, schools = q
    data = await runtime.problems.export(filters, schools, export)
    return attachment(data, "问题学籍导出.xlsx", excel.XLSX)


process_routes(router, path="/actions", param="action_id", service="problems",
               what="该问题学籍处理", resubmit=True)  # fmt: skip


async def problem_in_sight(
    problem_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy
) -> dict:
    return await group_in_sight(runtime, problem_id, user, policy)


@router.get("/{problem_id}")
async def get_problem(problem: Annotated[dict, Depends(problem_in_sight)]) -> dict:
    """The group: type, scope, state, each record side by side, the history (PRB-4: both
    sides see it)."""
    return problem


@router.post("/{problem_id}/actions", status_code=201)
async def act(problem_id: UUID, body: ActionIn, runtime: Runtime, meta: Meta,
              _: SchoolRegistrar) -> dict:  # fmt: skip
    """PRB-3: the side whose turn it is changes, deletes or corroborates, with a proof."""
    form = ActionForm(body.record.upper(), body.action, body.reason, decoded_proof(body.proof),
                      body.changes)  # fmt: skip
    return await runtime.problems.act(problem_id, form, meta)


@router.post("/{problem_id}/arbitration")
async def arbitrate(problem_id: UUID, body: ArbitrationIn, runtime: Runtime, meta: Meta) -> dict:
    """PRB-3 仲裁: the lowest common superior bureau keeps one record's identity."""
    return await runtime.problems.arbitrate(problem_id, body.winner.upper(), body.opinion, meta)
