"""全国学籍查询 from a province node (QRY-4), through the cross-province client."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from province_node.console.cross_client import client_for
from xueji.console.kit import ConsoleRoute, FeatureUnavailable, User, console_of, field_errors

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/national")
async def national(request: Request, user: User, name: str = "", number: str = "") -> Response:
    """QRY-4 from the province: name plus national student number or ID number."""
    found, errors = None, {}
    if name or number:
        errors = query_errors(name, number)
        if not errors:
            found = await look_up(request, user, name, number, errors)
    return console_of(request).page(
        request,
        "national.html",
        title="全国学籍查询",
        name=name,
        number=number,
        found=found,
        errors=errors,
    )


def query_errors(name: str, number: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "请输入姓名"
    if not number.strip():
        errors["number"] = "请输入全国学籍号或身份证件号"
    return errors


async def look_up(request: Request, user: User, name: str, number: str, errors: dict):
    number = number.strip().upper()
    by_number = number[:1] in ("G", "J", "L") and len(number) == 19
    try:
        return await client_for(request, user).national_student(
            name.strip(),
            student_number=number if by_number else None,
            id_number=None if by_number else number,
        )
    except Exception as refused:  # noqa: BLE001 - said next to the number
        if isinstance(refused, FeatureUnavailable):
            raise
        errors.update({"number": field_errors(refused).popitem()[1]})
        return None
