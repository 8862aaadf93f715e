"""跨省转学 / 毕业后跨省就学 pages (XPT, PGE): apply, track, revoke, archive pull (核办:
`decisions.py`).

Everything goes through `cross_client.client_for` (API.md "Cross-province transfer").
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from province_node.console.cross_client import client_for
from province_node.console.national import look_up, query_errors
from xueji.console.cases import timeline, title_of
from xueji.console.kit import (
    ConsoleRoute,
    FeatureUnavailable,
    User,
    console_of,
    field_errors,
    redirect,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

MAX_PROOF_BYTES = 2 * 2**20


def _page(request: Request, kind: str, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(
        request, template, status=status, kind=kind, kind_title=title_of(kind), **context
    )


async def _classes(request: Request, user: User) -> list[dict]:
    runtime = request.app.state.runtime
    if user.level != "school":
        return []
    return (await runtime.writer(runtime.node.school, user.unit_code))["classes"]


@router.get("/{kind}/new")
async def apply_form(
    request: Request, user: User, kind: str, name: str = "", number: str = ""
) -> Response:
    """XPT-2: look the student up nationally, then fill in the application."""
    found, errors = None, {}
    if name or number:
        errors = query_errors(name, number)
        if not errors:
            found = await look_up(request, user, name, number, errors)
    return _page(
        request,
        kind,
        "cross_new.html",
        title=f"{title_of(kind)}申请",
        name=name,
        number=number,
        found=found,
        errors=errors,
        values={},
        classes=await _classes(request, user),
    )


@router.post("/{kind}/new")
async def apply(
    request: Request,
    user: User,
    kind: str,
    student_name: Annotated[str, Form(max_length=60)] = "",
    student_number: Annotated[str, Form(max_length=19)] = "",
    target_class_code: Annotated[str, Form(max_length=7)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    proof: UploadFile | None = None,
) -> Response:
    classes = await _classes(request, user)
    known = {c["class_code"] for c in classes}
    values = {"target_class_code": target_class_code, "reason": reason}
    errors = {}
    if target_class_code not in known:
        errors["target_class_code"] = "请选择转入班级"
    if not reason.strip():
        errors["reason"] = "请填写转学理由"
    data = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    if data is not None and len(data) > MAX_PROOF_BYTES:
        errors["proof"] = "证明材料不能超过 2 MB"
    found = {"name": student_name, "student_number": student_number}
    if not errors:
        body = {  # `target_grade` omitted: the target class's grade (XPT-9)
            "student_name": student_name,
            "student_number": student_number,
            "target_class_code": target_class_code,
            "reason": reason.strip(),
        }
        if data:
            body["proof"] = base64.b64encode(data).decode()
        try:
            case = await client_for(request, user).create(kind, body)
        except Exception as refused:  # noqa: BLE001 - next to the field, or on the form
            if isinstance(refused, FeatureUnavailable):
                raise
            errors = field_errors(refused)
        else:
            return _page(
                request,
                kind,
                "cross_new.html",
                title=f"{title_of(kind)}申请",
                created=case,
                found=None,
                errors={},
                values={},
                classes=classes,
                name="",
                number="",
            )
    return _page(
        request,
        kind,
        "cross_new.html",
        status=422,
        title=f"{title_of(kind)}申请",
        found=found,
        errors=errors,
        values=values,
        classes=classes,
        name=student_name,
        number=student_number,
    )


@router.get("/{kind}/query")
async def query(request: Request, user: User, kind: str, revoke: bool = False) -> Response:
    """XPT-5: the cases of the jurisdiction with their current step."""
    filters = {k: request.query_params.get(k, "") for k in ("name", "student_number", "status")}
    items = await client_for(request, user).query(kind, {k: v for k, v in filters.items() if v})
    title = f"{title_of(kind)}{'撤销' if revoke else '查询'}"
    return _page(
        request, kind, "cross_query.html", title=title, items=items, filters=filters, revoke=revoke
    )


@router.get("/{kind}/revoke")
async def revoke_list(request: Request, user: User, kind: str) -> Response:
    return await query(request, user, kind, revoke=True)


#: What an action did, said on the detail page it redirects to (`?done=`).
DONE = {"revoked": "已撤销", "pulled": "已调档"}


@router.get("/{kind}/{case_id}")
async def detail(request: Request, user: User, kind: str, case_id: str, done: str = "") -> Response:
    case = await client_for(request, user).get(kind, case_id)
    # XPT-4, XPT-6: the initiating school's registrar revokes or pulls (the API decides)
    initiator = case.get("to_school_code", user.unit_code) == user.unit_code
    return _page(
        request,
        kind,
        "cross_detail.html",
        title=f"{title_of(kind)}详情",
        case=case,
        timeline=timeline(case),
        done=DONE.get(done, ""),
        can_act=user.level == "school" and user.role == "registrar" and initiator,
    )


@router.post("/{kind}/{case_id}/{action}")
async def act(request: Request, user: User, kind: str, case_id: str, action: str) -> Response:
    """XPT-4 revoke, XPT-6 archive pull; then the detail page (reloading it repeats nothing)."""
    client = client_for(request, user)
    title_of(kind)
    if action == "revoke":
        await client.revoke(kind, case_id)
        done = "revoked"
    elif action == "archive-pull":
        await client.archive_pull(kind, case_id)
        done = "pulled"
    else:
        raise HTTPException(404)
    return redirect(request, f"/{kind}/{case_id}?done={done}")
