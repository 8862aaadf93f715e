"""RFC 9457 problem details for every error (API.md "Errors") and files handed out as
attachments, shared by hub and nodes."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException
from starlette.routing import Match

from contracts.errors import ContractError, DomainError, http_status
from xueji.bus import BusUnavailable, RemoteError
from xueji.logs import get_logger

log = get_logger("xueji.http")

HUB_UNAVAILABLE = "暂时无法连接跨省业务统一办理平台（中央），请稍后重试；本省业务不受影响"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """A file to save, the one way every route and page hands one out: the name as UTF-8 in
    `filename*` (RFC 6266/8187; 学生名单.xlsx) with an ASCII `filename` for old clients, never
    cached (personal data stays off shared caches and the browser's disk cache)."""
    name = filename.replace("/", "_").replace("\\", "_").strip() or "download"
    fallback = _ascii(name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    headers = {
        "Content-Disposition": disposition,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)


def _ascii(name: str) -> str:
    """The name in printable ASCII without quotes (non-ASCII letters dropped or `_`), keeping
    the extension: `学生名单_2026.xlsx` → `_2026.xlsx`, all-Chinese names → `download.xlsx`."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = "".join(c if c.isalnum() or c in "-_" else "_" for c in plain).strip("_")
    ext = "".join(c for c in ext if c.isascii() and c.isalnum())
    return f"{plain or 'download'}{dot if ext else ''}{ext}"


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    body = {
        "type": f"https://xueji.example/problems/{code}",
        "title": _TITLES.get(status, ""),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
    """Routing's own errors as problems: an unknown path (404), a wrong method (405 with
    `Allow` naming every method the path has, not only the first route's)."""
    path = request.url.path
    if exc.status_code == 404:
        return problem(404, "not_found", f"接口不存在：{path}")
    if exc.status_code == 405:
        allow = ", ".join(sorted(_methods_of(request)))
        detail = f"接口 {path} 不支持 {request.method} 方法，可用：{allow}"
        return problem(405, "method_not_allowed", detail, headers={"Allow": allow})
    detail = str(exc.detail)
    return problem(exc.status_code, "http_error", detail, headers=exc.headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _methods_of(request: Request) -> set[str]:
    """Every method some route of the app fully matches on this path (routers included by
    FastAPI are matched as a whole, so each method is tried rather than routes listed)."""
    routes = request.app.router.routes
    return {
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    }


def install_problem_handlers(app: FastAPI) -> None:
    """Maps bad input, refused rules and unavailable dependencies to problem responses; a
    refusal's status is `contracts.errors.http_status`, the same the bus replies carry."""

    app.add_exception_handler(HTTPException, http_problem)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        first = errors[0]["field"] if errors else None
        return problem(
            422, "invalid_request", f"请求参数不正确：{first}", field=first, errors=errors
        )

    @app.exception_handler(ContractError)
    async def _contract(_: Request, exc: ContractError) -> JSONResponse:
        return problem(422, exc.code, exc.message, field=exc.field)

    @app.exception_handler(BusUnavailable)
    async def _unavailable(_: Request, exc: BusUnavailable) -> JSONResponse:
        log.warning("dependency_unavailable", error=str(exc))
        return problem(
            503,
            "hub_unavailable",
            "暂时无法连接跨省业务统一办理平台（中央），请稍后重试；本省业务不受影响",
        )

    @app.exception_handler(RemoteError)
    async def _remote(_: Request, exc: RemoteError) -> JSONResponse:
        """A typed refusal from the hub keeps its status; anything else is a bad gateway."""
        if exc.status is None or exc.status >= 500:
            log.error("remote_error", code=exc.code, field=exc.field, message=exc.message)
        return problem(exc.status or 502, exc.code, exc.message, field=exc.field)

    @app.exception_handler(DomainError)
    async def _refused(_: Request, exc: DomainError) -> JSONResponse:
        extra = {k: v for k, v in vars(exc).items() if k not in {"message", "code", "field"}}
        return problem(http_status(exc), exc.code, exc.message, field=exc.field, **extra)


def install_log_context(app: FastAPI, service: str) -> None:
    """Binds the request's trace id into every log line of the request (BUS-5).

    FastAPI itself opens the server span (continuing a caller's `traceparent`); the bus
    helpers carry that context on to the hub.
    """

    @app.middleware("http")
    async def _bind(request: Request, call_next):
        trace_id = trace.get_current_span().get_span_context().trace_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(trace_id=format(trace_id, "032x"), service=service)
        try:
            return await call_next(request)
        finally:
            structlog.contextvars.clear_contextvars()
