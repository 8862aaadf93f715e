"""Login, forced password change, logout and the home page, shared by hub and nodes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.errors import Unauthorized
from xueji.access.sessions import _MESSAGES as SESSION_MESSAGES
from xueji.console.kit import COOKIE, ConsoleRoute, User, console_of, field_errors, redirect

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
async def login_form(request: Request, reason: str | None = None, next: str | None = None):
    notice = SESSION_MESSAGES.get(reason or "") if reason != "not_authenticated" else None
    return console_of(request).page(request, "login.html", notice=notice, next=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    console, access = console_of(request), request.app.state.runtime.access
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "请输入用户名"
    if not password:
        errors["password"] = "请输入密码"
    if not errors:
        try:
            result = await access.login(username.strip(), password)
        except Exception as refused:  # noqa: BLE001 - shown on the form
            errors = field_errors(refused)
        else:
            target = "/password" if result["must_change_password"] else _safe_next(next)
            response = redirect(request, target)
            response.set_cookie(  # SameSite=Strict also keeps other sites' forms out (CSRF)
                COOKIE,
                result["access_token"],
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                path="/",
            )
            return response
    status = 401 if errors.get("") and not errors.keys() - {""} else 422
    return console.page(
        request, "login.html", status=status, errors=errors, username=username, next=next
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    access = request.app.state.runtime.access
    if token:
        try:
            session = await access.authenticate(token)
            access.sessions.close(session.username)
        except Unauthorized:
            pass  # already ended: logging out is done either way
    response = redirect(request, "/login?reason=logged_out")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password")
async def password_form(request: Request, user: User) -> Response:
    return console_of(request).page(request, "password.html", forced=user.must_change_password)


@router.post("/password")
async def change_password(
    request: Request,
    user: User,
    old_password: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
    confirm_password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    console, forced = console_of(request), user.must_change_password
    errors: dict[str, str] = {}
    if not old_password:
        errors["old_password"] = "请输入原密码"
    if new_password != confirm_password:
        errors["confirm_password"] = "两次输入的新密码不一致"
    if not errors:
        try:
            await request.app.state.runtime.access.change_password(user, old_password, new_password)
        except Exception as refused:  # noqa: BLE001 - shown next to the field
            errors = field_errors(refused)
        else:
            return console.page(request, "password.html", changed=True, forced=False)
    return console.page(request, "password.html", status=422, errors=errors, forced=forced)


@router.get("/")
async def home(request: Request, user: User) -> Response:
    console = console_of(request)
    panels = await console.home_panels(request, user) if console.home_panels else {}
    return console.page(request, "home.html", **panels)
