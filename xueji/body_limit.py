"""SEC-8 "request bodies limited before they are read": an ASGI middleware outside every
route, handler and authentication of a service.

A declared `Content-Length` over the limit is refused before a byte of the body is read; a
body without one (chunked) is counted as it streams and refused the moment it passes the
limit, whatever the app was doing with it (its own answer, e.g. a 400 for a broken form,
is replaced by the 413 as long as nothing was sent yet). Import routes (Excel files) get
the larger limit; every other path the smaller one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xueji.settings import MB, KitSettings


def too_large_message(limit: int) -> str:
    return f"请求内容过大：超过 {_size(limit)} 的上限，未作任何处理，请缩小文件或分批提交"


class BodyTooLarge(Exception):
    """Raised from `receive` once a streamed body passes its limit."""


class BodyLimit:
    """`limit` for every path, `upload_limit` for the paths in `upload_paths`."""

    def __init__(
        self, app: ASGIApp, limit: int, upload_limit: int, upload_paths: Iterable[str] = ()
    ) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit
        self.upload_paths = frozenset(p.rstrip("/") for p in upload_paths)

    def limit_for(self, path: str) -> int:
        return self.upload_limit if path.rstrip("/") in self.upload_paths else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)  # the body is never read
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's own answer to a body cut short: the 413 goes instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # the app let it through: answered below
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await _refuse(send, limit)


def install_body_limit(app, settings: KitSettings, upload_paths: Iterable[str] = ()) -> None:
    """Outermost of the app's own middleware: nothing runs on a body over the limit."""
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_paths=tuple(upload_paths),
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    """The project's problem details (API.md "Errors"), as `xueji.http.problem` writes them."""
    body = json.dumps(
        {
            "type": "https://xueji.example/problems/body_too_large",
            "title": "Content Too Large",
            "status": 413,
            "detail": too_large_message(limit),
            "code": "body_too_large",
            "limit_bytes": limit,
        },
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not read on this connection
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _size(limit: int) -> str:
    return f"{limit / MB:g} MB" if limit >= MB else f"{limit // 1024} KB"
