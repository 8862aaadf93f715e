"""SYS-4 on the ministry's console: 投诉处理 (the three forms, their deadlines, states and
history, the ministry's actions) and 投诉渠道, the complaint contacts of every level, a page
anyone may open without logging in (`[003 §三.2]`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.complaints import new_meta
from hub.domain.complaint import KINDS, STATES
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, redirect

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
LEVELS = {"ministry": "教育部", "province": "省级", "city": "地市级", "county": "区县级"}


@router.get("/complaints/contacts")
async def contacts(request: Request) -> Response:
    """Public: where each level takes complaints (phone and e-mail)."""
    items = await request.app.state.runtime.complaints.contacts()
    return console_of(request).page(request, "complaint_contacts.html", title="学籍投诉渠道",
                                    items=items, levels=LEVELS)  # fmt: skip


@router.get("/complaints")
async def complaints(request: Request, _: User, kind: str = "", state: str = "",
                     province: str = "") -> Response:  # fmt: skip
    runtime = request.app.state.runtime
    items = await runtime.complaints.list(
        province if province in runtime.settings.provinces else None,
        kind if kind in KINDS else None,
        state if state in STATES else None,
    )
    return console_of(request).page(
        request, "complaints.html", title="投诉处理", items=items, kinds=KINDS, states=STATES,
        kind=kind, state=state, province=province, provinces=runtime.settings.provinces,
    )  # fmt: skip


async def _detail(request: Request, complaint_id: UUID, status: int = 200,
                  errors: dict | None = None) -> Response:  # fmt: skip
    found = await request.app.state.runtime.complaints.get(complaint_id)
    return console_of(request).page(
        request, "complaint.html", status=status, title=found["kind_label"], c=found,
        errors=errors or {},
    )  # fmt: skip


@router.get("/complaints/{complaint_id}")
async def detail(request: Request, _: User, complaint_id: UUID) -> Response:
    return await _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/{action}")
async def act(request: Request, user: User, complaint_id: UUID, action: str) -> Response:
    """受理 / 处理意见 (a report), 办结 / 退回 (a verification or supervision form)."""
    form = await request.form()
    value = {k: str(form.get(k, "")).strip()[:4000] for k in ("receiver", "unit", "text", "note")}
    data = {
        "accept": lambda: {"receiver": value["receiver"][:20], "unit": value["unit"][:60]},
        "respond": lambda: {"text": value["text"],
                            "handler": {"unit": "教育部", "person": user.username, "phone": ""}},
        "close": lambda: {"note": value["note"][:500] or None},
        "send_back": lambda: {"note": value["note"][:500] or "答复不完整，请补充"},
    }  # fmt: skip
    required = {"accept": ("receiver", "unit"), "respond": ("text",)}.get(action, ())
    errors = {k: "请填写此项" for k in required if not value[k]}
    if action not in data:
        errors[""] = "未知的操作"
    if not errors:
        try:
            await request.app.state.runtime.complaints.act(complaint_id, action, new_meta(user),
                                                           **data[action]())  # fmt: skip
        except Exception as refused:  # noqa: BLE001 - shown on the page
            errors = field_errors(refused)
    if errors:
        return await _detail(request, complaint_id, 422, errors)
    return redirect(request, f"/complaints/{complaint_id}")
