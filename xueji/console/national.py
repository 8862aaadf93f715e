"""全国学籍查询 (QRY-4) on both consoles: one form (name, one number field, the captcha), the
captcha solved before the query, the read audited (AUD-1), the service's refusal next to its
field. Each console passes its own way of asking: the hub its `NationalQueryService`, a node
its hub RPC — both reach the one limiter on the hub."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from contracts.national import numbers_of
from xueji.access import reads
from xueji.access.sessions import Session
from xueji.console.kit import console_of, form_errors

#: `(name, student_number, id_number)` → the student found (a refusal raises).
Query = Callable[[str, str | None, str | None], Awaitable[Any]]

FIELDS = ("name", "number", "captcha")
#: The page has one number field for either number the query takes, and says there what
#: else went wrong (not found, the hub unreachable).
RENAMED = {"student_number": "number", "id_number": "number", "": "number"}


async def national_page(request: Request, user: Session, query: Query, name: str, number: str,
                        challenge: str, captcha: str, template: str = "national.html",
                        title: str = "全国学籍查询", **context: Any) -> Response:  # fmt: skip
    """The query page (`template`: the ministry's and provinces' 全国学籍查询, or a node's
    全国学籍号查询服务 for parents, `[003 §三]`)."""
    console = console_of(request)
    found, errors = None, {}
    if name or number:
        try:
            console.captchas.solve(challenge, captcha)
            found = await look_up(request, user, query, name, number)
        except Exception as refused:  # noqa: BLE001 - said next to its field
            errors = form_errors(refused, FIELDS, RENAMED)
    return console.page(
        request,
        template,
        title=title,
        name=name,
        number=number,
        found=found,
        errors=errors,
        challenge=console.captchas.issue(),
        **context,
    )


async def look_up(request: Request, user: Session, query: Query, name: str, number: str) -> Any:
    """The query itself, audited as a national look-up (also the transfer form's first step)."""
    student_number, id_number = numbers_of(number)
    asked = {"name": name, "number": number}
    await request.app.state.runtime.access.record_read(user, reads.NATIONAL, student_number, asked)
    return await query(name, student_number, id_number)
