"""跨省问题学籍 on the ministry's console (PRB-3, PRB-4): the list (是否锁定), a group's records
side by side with its history, and the ministry's 问题学籍仲裁 form."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from contracts.errors import ContractError
from contracts.meta import CommandMeta
from contracts.problems import GroupState, ProblemKind
from xueji.access import policy
from xueji.access.guards import MinistryArbiter
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
KINDS = [("", "全部")] + [(k.value, k.label) for k in ProblemKind]
STATES = [("", "全部")] + [(s.value, s.label) for s in GroupState]


@router.get("/problems")
async def problems(
    request: Request,
    user: User,
    type: str = "",  # noqa: A002 - the API's name
    state: str = "",
    province: str = "",
    locked: str = "",
) -> Response:
    runtime, errors = request.app.state.runtime, {}
    lock = {"yes": True, "no": False}.get(locked)  # 是否锁定: a side's action in approval
    try:
        items = await runtime.problems.search(state or None, type or None, province or None, lock)
    except Exception as refused:  # noqa: BLE001 - shown next to its filter
        items, errors = [], field_errors(refused)
    return console_of(request).page(
        request,
        "problems.html",
        status=422 if errors else 200,
        title="跨省问题学籍",
        items=items,
        filters={"type": type, "state": state, "province": province, "locked": locked},
        kinds=KINDS,
        states=STATES,
        provinces=runtime.settings.provinces,
        errors=errors,
    )


@router.get("/problems/{group_id}")
async def problem(request: Request, user: User, group_id: UUID, done: str = "") -> Response:
    group = await request.app.state.runtime.problems.one(group_id)
    return _page(request, user, group, {}, done=bool(done))


@router.post("/problems/{group_id}/arbitration")
async def arbitrate(request: Request, user: MinistryArbiter, group_id: UUID) -> Response:
    """问题学籍仲裁: the winner keeps its identity, the others may only change or delete."""
    form = await request.form()
    runtime = request.app.state.runtime
    winner, opinion = str(form.get("winner") or ""), str(form.get("opinion") or "")
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    try:
        if not winner:
            raise ContractError("winner", "winner_required", "请选择仲裁通过（保留学籍）的一方")
        await runtime.problems.arbitrate(group_id, winner, opinion, meta)
    except Exception as refused:  # noqa: BLE001 - shown next to its field
        group = await runtime.problems.one(group_id)
        return _page(request, user, group, field_errors(refused), opinion=opinion)
    return RedirectResponse(f"/problems/{group_id}?done=1", status_code=303)


def _page(request: Request, user, group: dict, errors: dict, opinion: str = "",
          done: bool = False) -> Response:  # fmt: skip
    can_arbitrate = group["state"] == "arbitration" and policy.MINISTRY_ARBITER.allows(user)
    return console_of(request).page(
        request,
        "problem.html",
        status=422 if errors else 200,
        title="跨省问题学籍详情",
        group=group,
        can_arbitrate=can_arbitrate,
        errors=errors,
        opinion=opinion,
        done=done,
    )
