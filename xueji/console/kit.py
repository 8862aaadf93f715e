"""The console kit both services use: templates, the logged-in user, refusals as pages.

A service builds one `Console` (its menu, its template package, how to name a unit, how to
tell whether the central platform is reachable) and mounts it with `install_console`.
Pages call the same application objects as the JSON routers, never HTTP to themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from contracts.errors import ContractError, DomainError, Unauthorized, http_status
from contracts.meta import CommandMeta
from xueji.access.guards import CurrentUser
from xueji.access.sessions import Session
from xueji.bus import BusUnavailable, RemoteError
from xueji.console.captcha import Captchas
from xueji.console.labels import FILTERS
from xueji.console.menu import Item, active_path, visible
from xueji.http import HUB_UNAVAILABLE
from xueji.logs import get_logger
from xueji.telemetry import current_traceparent

log = get_logger("xueji.console")

COOKIE = "xueji_session"
HUB_DOWN = "中央平台暂不可达"


@dataclass
class Console:
    """One service's console: its name, menu, templates and what it says when cut off."""

    title: str
    menu: tuple[Item, ...]
    package: str  # the service's own templates: `<package>/templates`
    unit_name: Callable[[Request, str], str]
    hub_reachable: Callable[[Request], bool]
    hub_down_note: str
    #: The home page's extra panels (a node's 待办): `await home_panels(request, user)` gives
    #: their context; None: the plain home page.
    home_panels: Callable[[Request, Session], Awaitable[dict]] | None = None
    captchas: Captchas = dataclasses.field(default_factory=Captchas)  # QRY-4's image challenges

    def __post_init__(self) -> None:
        loader = ChoiceLoader(
            [PackageLoader(self.package, "templates"), PackageLoader("xueji.console", "templates")]
        )
        self.env = Environment(loader=loader, autoescape=select_autoescape(["html"]))
        self.env.filters.update(FILTERS)

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        user: Session | None = getattr(request.state, "console_user", None)
        menu = visible(self.menu, user.role, user.level) if user else []
        context = {
            "request": request,
            "console": self,
            "user": user,
            "unit_name": self.unit_name(request, user.unit_code) if user else "",
            "unit": lambda code: self.unit_name(request, code) if code else "—",
            "menu": menu,
            "active": active_path(menu, request.url.path),
            "hub_down": not self.hub_reachable(request),
            "htmx": request.headers.get("hx-request") == "true",
        } | context
        html = self.env.get_template(template).render(context)
        return HTMLResponse(html, status_code=status)


def console_of(request: Request) -> Console:
    return request.app.state.console


class Redirect(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def redirect(request: Request, location: str) -> Response:
    """A redirect that also works for htmx requests (which follow `HX-Redirect`)."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def console_user(request: Request) -> Session:
    """The session behind the HttpOnly cookie; the same sessions as the API (SEC-1, SEC-2)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise Redirect(f"/login?next={request.url.path}")
    try:
        session = await request.app.state.runtime.access.authenticate(token)
    except Unauthorized as ended:
        raise Redirect(f"/login?reason={ended.code}") from None
    request.state.console_user = session
    if session.must_change_password and request.url.path != "/password":
        raise Redirect("/password")
    return session


#: The console user: the API's `CurrentUser`, which on a console page (`ConsoleRoute`) calls
#: `console_user`; so the policy's dependencies (`xueji.access.guards`) serve pages too.
User = CurrentUser


def meta_of(user: Session) -> CommandMeta:
    """Who acts (SEC-6), as the JSON routers record it."""
    return CommandMeta.new(
        account=user.username,
        unit_code=user.unit_code,
        role=user.role,
        traceparent=current_traceparent(),
    )


class ConsoleRoute(APIRoute):
    """Console pages: refusals become Chinese pages (or fragments for htmx), never JSON."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # `/api/` is the JSON API's: a page pattern such as `/{kind}/{case_id}/{action}` must
        # not answer there (an unknown API path is a 404 problem, not a login redirect).
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            request.state.authenticate = console_user  # a page's session is its cookie's
            try:
                return await handler(request)
            except Redirect as go:
                return redirect(request, go.location)
            except Exception as error:  # noqa: BLE001 - every failure gets a page
                return error_page(request, error)

        return route


def error_page(request: Request, error: Exception) -> Response:
    status, title, detail = describe(error)
    if status >= 500 and not isinstance(error, BusUnavailable | RemoteError):
        log.error("console_error", path=request.url.path, exc_info=error)
    console = console_of(request)
    template = "_error.html" if request.headers.get("hx-request") == "true" else "error.html"
    # htmx swaps only 2xx answers: fragments say what went wrong with a 200.
    code = 200 if template == "_error.html" else status
    return console.page(request, template, status=code, title=title, detail=detail, code=status)


_TITLES = {
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    409: "无法办理",
    422: "输入有误",
    429: "操作过于频繁",
}


def describe(error: Exception) -> tuple[int, str, str]:
    """HTTP status, page title and Chinese explanation of a failure."""
    if isinstance(error, HTTPException):
        return error.status_code, "出错了", "页面不存在，请从左侧菜单进入。"
    if isinstance(error, RequestValidationError):  # a hand-edited address or an overlong field
        return 422, _TITLES[422], "输入有误，请检查后重试。"
    if isinstance(error, BusUnavailable):
        return 503, HUB_DOWN, HUB_UNAVAILABLE + "。"
    if isinstance(error, RemoteError):  # a typed refusal of the hub keeps its status
        status = error.status if error.status and error.status < 500 else 502
        return status, _TITLES.get(status, "中央平台返回错误"), error.message
    if isinstance(error, ContractError):
        return 422, _TITLES[422], error.message
    if isinstance(error, DomainError):
        status = http_status(error)
        return status, _TITLES.get(status, "无法办理"), error.message
    return 500, "系统错误", "处理请求时发生错误，请稍后重试；如问题持续请联系系统管理员。"


def field_errors(error: Exception) -> dict[str, str]:
    """A refusal as {field: message} for the form that caused it ("" = the whole form)."""
    if isinstance(error, ContractError | DomainError | RemoteError):
        return {error.field or "": error.message}
    return {"": describe(error)[2]}


def form_errors(
    error: Exception, shown: Collection[str], renamed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The domain's refusal next to the form's field it names (`renamed`: the domain's name
    of a field → the form's), or on top of the form ("") if the form has no such field."""
    errors = {}
    for field, message in field_errors(error).items():
        field = (renamed or {}).get(field, field)
        errors[field if field in shown else ""] = message
    return errors
