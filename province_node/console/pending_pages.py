"""The 审核 page of a business on the approval engine: what awaits the caller's unit and role
(from the one pending read model), one decision dialog each, the domain's refusal next to its
field in the dialog kept open. A business's console module declares it with one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from xueji.console.kit import User, console_of, field_errors, meta_of


def decision_pages(
    router: APIRouter,
    *,
    path: str,
    business: str,
    service: str,
    title: str,
    template: str,
    rejected: str,
    context: Callable[[], dict] = dict,
) -> None:
    """`GET /<path>/pending` and `POST /<path>/{id}/decision` for `business` (its key in the
    pending view), each read and decided through `runtime.<service>` (a
    `ProcessService`); `rejected` says what a rejection did; `context()` adds what
    the template needs besides the items."""

    async def show(request: Request, user: User, **extra: object) -> Response:
        runtime = request.app.state.runtime
        items = await runtime.pending.items(meta_of(user), {business})
        found = getattr(runtime, service)
        details = [await found.get_process(UUID(i["id"])) for i in items]
        page = console_of(request).page
        return page(request, template, title=title, items=details, **context(), **extra)

    async def pending(request: Request, user: User) -> Response:
        return await show(request, user)

    async def decide(
        request: Request,
        user: User,
        process_id: UUID,
        approve: Annotated[str, Form()] = "",
        opinion: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        approved = approve == "1"
        kept = {"failed_id": str(process_id), "opinion": opinion}
        service_ = getattr(request.app.state.runtime, service)
        try:
            await service_.decide(process_id, approved, opinion.strip() or None, meta_of(user))
        except Exception as refused:  # noqa: BLE001 - next to its field in the dialog
            return await show(request, user, errors=field_errors(refused), **kept)
        return await show(request, user, done="审核通过" if approved else rejected)

    pending.__doc__ = f"{title}: what awaits the caller's unit and role, one dialog each."
    router.add_api_route(f"/{path}/pending", pending, methods=["GET"])
    router.add_api_route(f"/{path}/{{process_id}}/decision", decide, methods=["POST"])
