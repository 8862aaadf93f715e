"""系统管理 → 在线用户 (SEC-3), shared by hub and nodes: list and force offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from xueji.access.guards import Sysadmin
from xueji.console.kit import ConsoleRoute, console_of

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)


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
