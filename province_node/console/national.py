"""全国学籍查询 from a province node (QRY-4): the same use case as the API's
`GET /api/v1/national/students` (`runtime.cases.national_student`, over the hub RPC)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from xueji.console import national as national_query
from xueji.console.kit import ConsoleRoute, User, form_errors, meta_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _query(request: Request, user: User) -> national_query.Query:
    cases = request.app.state.runtime.cases
    return lambda name, number, id_number: cases.national_student(
        name, number, id_number, meta_of(user)
    )


@router.get("/national")
async def national(request: Request, user: User, name: str = "", number: str = "",
                   challenge: str = "", captcha: str = "") -> Response:  # fmt: skip
    """QRY-4 from the province: name plus national student number or ID number."""
    query = _query(request, user)
    return await national_query.national_page(
        request, user, query, name, number, challenge, captcha
    )


@router.get("/national/number")
async def number_service(request: Request, user: User, name: str = "", number: str = "",
                         challenge: str = "", captcha: str = "") -> Response:  # fmt: skip
    """[003 §三] 全国学籍号查询服务: a school or county tells a parent the child's national
    student number (name plus ID number) and prints the 学生基本信息表 for its own students."""
    query = _query(request, user)
    return await national_query.national_page(
        request, user, query, name, number, challenge, captcha,
        template="national_number.html", title="全国学籍号查询服务",
        province=request.app.state.runtime.node.province,
    )  # fmt: skip


async def look_up(request: Request, user: User, name: str, number: str, errors: dict):
    """XPT-2's first step: the student found nationally, or None with the refusal next to
    its field (the transfer form; limited on the hub like every national query)."""
    try:
        return await national_query.look_up(request, user, _query(request, user), name, number)
    except Exception as refused:  # noqa: BLE001 - said next to its field
        errors.update(form_errors(refused, ("name", "number"), national_query.RENAMED))
        return None
