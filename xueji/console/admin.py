"""系统管理 → 在线用户 (SEC-3), shared by hub and nodes: list and force offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.errors import Forbidden
from xueji.console.kit import ConsoleRoute, User, console_of

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)


def _sysadmin(user: User) -> None:
    if user.role != "sysadmin":
        raise Forbidden("在线用户管理由系统管理员办理", code="role_not_allowed")


async def _page(request: Request, user: User, done: str = "") -> Response:
    access = request.app.state.runtime.access
    items = sorted(access.online_users(user), key=lambda s: s["last_seen"], reverse=True)
    return console_of(request).page(
        request, "online_users.html", title="在线用户", items=items, done=done
    )


@router.get("/online-users")
async def online_users(request: Request, user: User) -> Response:
    _sysadmin(user)
    return await _page(request, user)


@router.post("/online-users/{username}/force-offline")
async def force_offline(request: Request, user: User, username: str) -> Response:
    """One user of the jurisdiction (`*` = everyone but the caller) is logged out."""
    _sysadmin(user)
    access = request.app.state.runtime.access
    count = access.force_offline(user, None if username == "*" else username)
    return await _page(request, user, done=f"已强制 {count} 个用户下线")
