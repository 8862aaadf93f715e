"""问题学籍管理 pages (省内问题学籍处理 / 跨省问题学籍处理 / 问题学籍审核 / 省内问题学籍仲裁):
PRB-1…PRB-4 [002 §2].

The lists default to the records awaiting the caller's school (待本学校处理); a group's page
shows its records side by side with their state and history, the action form for the side
whose turn it is (变更 with the new values, 删除, 佐证 — each with its proof), and the
arbitration form for the arbitrating bureau. The pages call the use cases the JSON API calls
(`runtime.problems`) and show the domain's refusal next to the field it names.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.problems import GroupState, ProblemAction, ProblemKind
from province_node.console.pending_pages import decision_pages
from province_node.domain.key_data_change import CONTROLLABLE
from province_node.domain.proof import MAX_PROOF_BYTES
from province_node.problems import ActionForm, group_in_sight
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.console.kit import ConsoleRoute, User, console_of, form_errors, meta_of

router = APIRouter(prefix="/problems", route_class=ConsoleRoute, include_in_schema=False)
TYPES = [("", "全部")] + [(k.value, k.label) for k in ProblemKind]
STATES = [("", "全部")] + [(s.value, s.label) for s in GroupState]
ACTIONS = [(a.value, a.label) for a in ProblemAction]
LISTS = {
    "province": "省内问题学籍处理",
    "cross": "跨省问题学籍处理",
    "arbitration": "省内问题学籍仲裁",
}
#: The key data a 变更 may correct from this page (KDC-1 decides which are controlled).
CHANGE_FIELDS = {f: CONTROLLABLE[f] for f in ("name", "sex", "birth_date", "id_type", "id_number")}


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(request, template, status=status, **context)


@router.get("/{scope}")
async def listing(request: Request, user: User, policy: Policy, scope: str,
                  type: str = "", state: str = "open", grade: str = "", class_code: str = "",
                  name: str = "", mine: str = "1") -> Response:  # noqa: A002  # fmt: skip
    """The seed's list: 问题学籍类型, 年级, 班级, 学生, 处理状态, 是否锁定."""
    if scope not in LISTS:
        return _page(request, "problems.html", 404, title="问题学籍", items=[], total=0,
                     scope="province", filters={}, types=TYPES, states=STATES)  # fmt: skip
    filters = {"type": type or None, "state": state or None, "grade_name": grade or None,
               "class_code": class_code or None, "name": name or None}  # fmt: skip
    if scope == "arbitration":
        filters |= {"arbiter": user.unit_code, "state": GroupState.ARBITRATION.value}
    else:
        filters["scope"] = scope
        if mine == "1":
            filters["must_act"] = True  # 默认显示待处理的问题学籍
    runtime = request.app.state.runtime
    found = await runtime.problems.search(filters, policy.school_filter(user), 1, 200)
    shown = {"type": type, "state": state, "grade": grade, "class_code": class_code,
             "name": name, "mine": mine}  # fmt: skip
    return _page(request, "problems.html", title=LISTS[scope], items=found["items"],
                 total=found["total"], scope=scope, filters=shown, types=TYPES,
                 states=STATES)  # fmt: skip


async def _detail(request: Request, user: User, policy: Policy, problem_id: UUID,
                  status: int = 200, **context) -> Response:  # fmt: skip
    runtime = request.app.state.runtime
    group = await group_in_sight(runtime, problem_id, user, policy)
    province = runtime.node.province
    mine = await runtime.problems.actable(problem_id, meta_of(user))
    acting = [r for r in group["records"] if r["student_number"] in mine]
    arbiter = (group.get("arbiter") or {}).get("unit_code") == user.unit_code
    context = {"errors": {}, "values": {}, "done": None, "form": None} | context
    return _page(request, "problem_detail.html", status, title="问题学籍处理", g=group,
                 province=province,
                 acting=acting, arbitrates=arbiter and group["state"] == "arbitration",
                 actions=ACTIONS, change_fields=CHANGE_FIELDS, **context)  # fmt: skip


decision_pages(
    router,
    path="actions",
    business="problem_action",
    service="problems",
    title="问题学籍审核",
    template="problem_pending.html",
    rejected="审核不通过，已退回学校学籍管理员处理",
)


@router.get("/group/{problem_id}")
async def detail(request: Request, user: User, policy: Policy, problem_id: UUID) -> Response:
    return await _detail(request, user, policy, problem_id)


@router.post("/group/{problem_id}/actions")
async def act(request: Request, user: SchoolRegistrar, policy: Policy, problem_id: UUID,
              record: Annotated[str, Form(max_length=19)] = "",
              action: Annotated[str, Form(max_length=20)] = "",
              reason: Annotated[str, Form(max_length=500)] = "",
              proof: UploadFile | None = None) -> Response:  # fmt: skip
    """PRB-3: one side's 变更 / 删除 / 佐证 with its proof; a change carries the new values."""
    submitted = await request.form()
    changes = {f: str(submitted.get(f"change_{f}", "")).strip() for f in CHANGE_FIELDS}
    changes = {f: v for f, v in changes.items() if v}
    data = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    values = {"record": record, "action": action, "reason": reason} | {
        f"change_{f}": v for f, v in changes.items()
    }
    form = ActionForm(record, action, reason, data, changes or None)
    try:
        await request.app.state.runtime.problems.act(problem_id, form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - next to its field
        shown = ("record", "action", "reason", "proof") + tuple(f"changes.{f}" for f in changes)
        errors = form_errors(refused, shown)
        return await _detail(request, user, policy, problem_id, 422, errors=errors, values=values,
                             form="action")  # fmt: skip
    label = dict(ACTIONS).get(action, action)
    return await _detail(request, user, policy, problem_id, done=f"已提交{label}，等待审核")


@router.post("/group/{problem_id}/arbitration")
async def arbitrate(request: Request, user: User, policy: Policy, problem_id: UUID,
                    winner: Annotated[str, Form(max_length=19)] = "",
                    opinion: Annotated[str, Form(max_length=500)] = "") -> Response:  # fmt: skip
    """PRB-3 仲裁: the winner keeps its identity; the others may only change or delete."""
    try:
        await request.app.state.runtime.problems.arbitrate(problem_id, winner, opinion,
                                                           meta_of(user))  # fmt: skip
    except Exception as refused:  # noqa: BLE001 - next to its field
        errors = form_errors(refused, ("winner", "opinion"))
        return await _detail(request, user, policy, problem_id, 422, errors=errors,
                             values={"winner": winner, "opinion": opinion},
                             form="arbitration")  # fmt: skip
    return await _detail(request, user, policy, problem_id, done="仲裁完成")
