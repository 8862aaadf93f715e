"""The operator consoles' shared kit (layout, menu tree, login/session, static files, error
pages). Province nodes and the hub add their own pages (`province_node/console`,
`hub/console`) and mount everything with `install_console`.

`static/htmx.min.js` is htmx 2.0.11 (npm `htmx.org@2.0.11`, licence 0BSD, see
`static/htmx.LICENSE.txt`), vendored: the network is closed to CDNs.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from xueji.console.admin import router as admin_router
from xueji.console.auth import router as auth_router
from xueji.console.captcha import router as captcha_router
from xueji.console.kit import Console
from xueji.http import http_problem

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI, console: Console, *routers: APIRouter) -> None:
    """Serves the console at `/` next to the JSON API (which keeps its problem details)."""
    app.state.console = console
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    for router in (auth_router, admin_router, captcha_router, *routers):
        app.include_router(router)

    @app.exception_handler(HTTPException)
    async def _not_found(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return await http_problem(request, exc)  # the API's answer, never a page
        detail = "页面不存在，请从左侧菜单进入。" if exc.status_code == 404 else str(exc.detail)
        return console.page(
            request,
            "error.html",
            status=exc.status_code,
            title="出错了",
            detail=detail,
            code=exc.status_code,
        )
