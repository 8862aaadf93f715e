"""省级账号重置 (SEC-2 `[004 Q111]`) on the ministry's console: the ministry's sysadmin resets
the password of a province-level account; the province's node does it (over the bus)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from xueji.access.guards import MinistrySysadmin
from xueji.console.kit import ConsoleRoute, console_of, form_errors

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FIELDS = ("province", "username", "new_password", "confirm_password")


def _page(request: Request, status: int = 200, **context: object) -> Response:
    provinces = request.app.state.runtime.settings.provinces
    return console_of(request).page(
        request,
        "province_accounts.html",
        status=status,
        title="省级账号重置",
        provinces=provinces,
        **context,
    )


@router.get("/admin/province-accounts")
async def reset_form(request: Request, user: MinistrySysadmin) -> Response:
    return _page(request, errors={}, form={})


@router.post("/admin/province-accounts")
async def reset(
    request: Request,
    user: MinistrySysadmin,
    province: Annotated[str, Form(max_length=2)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
    confirm_password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    form = {"province": province, "username": username.strip()}
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "请输入省级账号的用户名"
    if new_password != confirm_password:
        errors["confirm_password"] = "两次输入的新密码不一致"
    if not errors:
        resets = request.app.state.runtime.province_accounts
        try:
            done = await resets.reset(user, province, username.strip(), new_password)
        except Exception as refused:  # noqa: BLE001 - shown next to its field
            errors = form_errors(refused, FIELDS)
        else:
            return _page(request, errors={}, form={}, done=done)
    return _page(request, status=422, errors=errors, form=form)
