"""学籍注册审核 / 上报 / 查询: pending lists with batch actions, decisions, one registration."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.ids import DocumentType
from xueji.access.guards import Policy
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of

router = APIRouter(prefix="/registration", route_class=ConsoleRoute, include_in_schema=False)


async def _pending(request: Request, user: User, action: str) -> list[dict]:
    items = await request.app.state.runtime.pending.registrations(meta_of(user))
    return [i for i in items if i["action"] == action]


def _by_school(request: Request, items: list[dict]) -> list[dict]:
    """REG-7: per school, the count of each document-type group awaiting the caller."""
    org, groups = request.app.state.runtime.org, {}
    for item in items:
        groups.setdefault(item["school_code"], []).append(item)
    return [
        {
            "school_code": code,
            "school_name": org.unit(code).name,
            "total": len(rows),
            "groups": Counter(DocumentType(r["id_type"]).group.value for r in rows),
        }
        for code, rows in sorted(groups.items())
    ]


async def _review_page(request: Request, user: User, **extra) -> Response:
    items = await _pending(request, user, "decide")
    return console_of(request).page(
        request,
        "registration_review.html",
        title="学籍注册审核",
        items=items,
        schools=_by_school(request, items),
        **extra,
    )


@router.get("/review")
async def review(request: Request, user: User) -> Response:
    return await _review_page(request, user)


@router.post("/{registration_id}/decision")
async def decide(
    request: Request,
    user: User,
    policy: Policy,
    registration_id: UUID,
    approve: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """One decision; on rejection the opinion is required (shown next to the field)."""
    runtime, approved = request.app.state.runtime, approve == "1"
    load = functools.partial(runtime.reviews.registration, registration_id)
    await policy.record_in_sight(user, load, "该学籍登记记录", "registration_id")
    try:
        result = await runtime.reviews.decide(
            registration_id, approved, opinion or None, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - shown in the dialog, next to the field
        return await _review_page(
            request,
            user,
            errors=field_errors(refused),
            failed_id=str(registration_id),
            opinion=opinion,
        )
    verb = "审核通过" if approved else "审核不通过，已退回学校"
    return await _review_page(request, user, done=f"{result['name']}：{verb}")


@router.post("/batch")
async def decide_school(
    request: Request,
    user: User,
    policy: Policy,
    school_code: Annotated[str, Form()],
    id_group: Annotated[str, Form()] = "",
) -> Response:
    """REG-7: approve every entry of a school (or one document-type group of it) at once."""
    runtime = request.app.state.runtime
    policy.ensure_sees(user, school_code)
    items = await runtime.reviews.decide_school_batch(
        school_code, id_group or None, True, None, meta_of(user)
    )
    return await _review_page(request, user, done=f"已批量审核通过 {len(items)} 名学生")


@router.get("/report")
async def report_list(request: Request, user: User, done: str | None = None) -> Response:
    items = await _pending(request, user, "report")
    return console_of(request).page(
        request,
        "registration_report.html",
        title="学籍注册上报",
        items=items,
        schools=_by_school(request, items),
        done=done,
    )


@router.post("/report")
async def report(request: Request, user: User) -> Response:
    """REG-6: the school registrar reports the chosen (or all) school-approved entries."""
    form = await request.form()
    ids = [UUID(str(i)) for i in form.getlist("ids")]
    if form.get("all") == "1":
        ids = [UUID(i["id"]) for i in await _pending(request, user, "report")]
    if not ids:
        return console_of(request).page(
            request,
            "registration_report.html",
            title="学籍注册上报",
            status=422,
            items=await _pending(request, user, "report"),
            schools=[],
            errors={"ids": "请至少选择一名学生"},
        )
    runtime = request.app.state.runtime
    items = await runtime.reviews.report(ids, meta_of(user))
    return await report_list(request, user, done=f"已上报 {len(items)} 名学生")


@router.get("/list")
async def listing(request: Request, user: User, policy: Policy, status: str = "") -> Response:
    runtime = request.app.state.runtime
    items = await runtime.registrations.open_registrations(policy.schools(user), status or None)
    return console_of(request).page(
        request, "registration_list.html", title="学籍注册查询", items=items, chosen=status
    )


@router.get("/{registration_id}")
async def detail(request: Request, user: User, policy: Policy, registration_id: UUID) -> Response:
    runtime = request.app.state.runtime
    load = functools.partial(runtime.reviews.registration, registration_id)
    registration = await policy.record_in_sight(user, load, "该学籍登记记录", "registration_id")
    school = runtime.org.unit(registration["school_code"]).name
    return console_of(request).page(
        request, "registration_detail.html", title="注册记录", r=registration, school=school
    )
