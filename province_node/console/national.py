"""全国学籍查询 from a province node (QRY-4): the same use case as the API's
`GET /api/v1/national/students` (`runtime.cases.national_student`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from xueji.access import reads
from xueji.console.kit import ConsoleRoute, User, console_of, form_errors, meta_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

#: The page has one number field for either number the query takes, and says there what
#: else went wrong (not found, the hub unreachable).
_RENAMED = {"student_number": "number", "id_number": "number", "": "number"}


@router.get("/national")
async def national(request: Request, user: User, name: str = "", number: str = "") -> Response:
    """QRY-4 from the province: name plus national student number or ID number."""
    found, errors = None, {}
    if name or number:
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


async def look_up(request: Request, user: User, name: str, number: str, errors: dict):
    """The student found nationally, or None with the refusal next to its field."""
    number = number.strip().upper()
    by_number = number[:1] in ("G", "J", "L") and len(number) == 19
    runtime = request.app.state.runtime
    asked = {"name": name, "number": number}
    await runtime.access.record_read(user, reads.NATIONAL, number if by_number else None, asked)
    try:
        return await runtime.cases.national_student(
            name,
            number if by_number else None,
            None if by_number or not number else number,
            meta_of(user),
        )
    except Exception as refused:  # noqa: BLE001 - said next to its field
        errors.update(form_errors(refused, ("name", "number"), _RENAMED))
        return None
