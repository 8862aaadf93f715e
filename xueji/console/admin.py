"""系统管理 shared by hub and nodes: 在线用户 (SEC-3: list and force offline), 账号管理 and
未登录账号 (SYS-5: every account of the jurisdiction with its last login, freeze/unfreeze; the
weekly list of school and county accounts that did not log in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from contracts.errors import NotFound
from xueji.access.guards import Sysadmin
from xueji.console.kit import ConsoleRoute, console_of, describe, field_errors

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


async def _page(request: Request, user: Sysadmin, done: str = "") -> Response:
    access = request.app.state.runtime.access
    items = sorted(access.online_users(user), key=lambda s: s["last_seen"], reverse=True)
    return console_of(request).page(
        request, "online_users.html", title="在线用户", items=items, done=done
    )


@router.get("/online-users")
async def online_users(request: Request, user: Sysadmin) -> Response:
    return await _page(request, user)


@router.post("/online-users/{username}/force-offline")
async def force_offline(request: Request, user: Sysadmin, username: str) -> Response:
    """One user of the jurisdiction (`*` = everyone but the caller) is logged out."""
    access = request.app.state.runtime.access
    count = access.force_offline(user, None if username == "*" else username)
    return await _page(request, user, done=f"已强制 {count} 个用户下线")


async def _accounts(
    request: Request, user: Sysadmin, page: int, done: str = "", refused: Exception | None = None
) -> Response:
    access = request.app.state.runtime.access
    found = await access.accounts(user, page, PAGE_SIZE)
    return console_of(request).page(
        request,
        "accounts.html",
        status=describe(refused)[0] if refused else 200,
        title="账号管理",
        found=found,
        pages=max(1, -(-found["total"] // PAGE_SIZE)),
        rules=access.rules,
        done=done,
        errors=field_errors(refused) if refused else {},
    )


@router.get("/accounts")
async def accounts(
    request: Request, user: Sysadmin, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    return await _accounts(request, user, page)


@router.post("/accounts/{username}/{action}")
async def freeze_or_unfreeze(
    request: Request,
    user: Sysadmin,
    username: str,
    action: str,
    page: Annotated[int, Form(ge=1)] = 1,
) -> Response:
    """冻结 / 解冻 one account (a superior unit's sysadmin, the service decides)."""
    access = request.app.state.runtime.access
    try:
        if action == "freeze":
            await access.freeze(user, username, "上级单位冻结")
            done = f"已冻结账号 {username}，其会话已结束"
        elif action == "unfreeze":
            await access.unfreeze(user, username)
            done = f"已解冻账号 {username}"
        else:
            raise NotFound(f"未知操作 {action}", field="action")
    except Exception as refused:  # noqa: BLE001 - shown on the list
        return await _accounts(request, user, page, refused=refused)
    return await _accounts(request, user, page, done=done)


@router.get("/accounts/inactive")
async def inactive_accounts(
    request: Request, user: Sysadmin, days: Annotated[int, Query(ge=1, le=3650)] = 7
) -> Response:
    """SYS-5 `[003 §二]`: school and county accounts not logged in for `days` (a week)."""
    items = await request.app.state.runtime.access.inactive_accounts(user, days)
    items.sort(key=lambda a: (a["unit_code"], a["username"]))
    return console_of(request).page(
        request, "inactive_accounts.html", title="未登录账号", items=items, days=days
    )
