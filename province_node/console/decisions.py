"""跨省转学 / 毕业后跨省就学 核办 (XPT-3, PGE-3): the cases awaiting the caller's unit, and
the decision dialog (an opinion to refuse; on an enrollment's graduating side, a ground).
Each item's `action` says what the caller does: decide, or (the in-school's registrar)
pull the archive — a button posting to the detail page's pull (`transfers.py`).

The pages call the use cases the JSON API calls (`runtime.cases`); the hub decides what is
allowed (an opinion to refuse, the ground) and its refusal is shown next to the field, in
the dialog kept open.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.cases import CaseFilters
from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.console.cases import FLOWS, title_of
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

#: PGE-3: why the graduating side refuses (`ground`). The hub refuses the two that are no
#: grounds (irregular admission, scores) with its own message, shown next to the field.
GROUNDS = (
    ("", "（请选择）"),
    ("withdrawn", "学生本人或监护人放弃"),
    ("record_error", "学籍信息有误"),
    ("not_graduated", "学生未毕业"),
    ("irregular_admission", "涉嫌违规招生"),
    ("scores", "考试成绩"),
    ("other", "其他"),
)
PGE3_NOTICE = "不得以涉嫌违规招生或考试成绩为由不予通过。"


def graduating_side(kind: str, case: dict) -> bool:
    """An enrollment case at a step of the graduating (out) province (PGE-3)."""
    return kind == "enrollments" and str(case.get("step") or "").startswith("out_")


@router.get("/{kind}/pending")
async def pending_list(request: Request, user: User, kind: str) -> Response:
    """XPT-3: the cases awaiting the caller's unit, with the 核办 dialog."""
    return await pending(request, user, kind)


async def pending(request: Request, user: User, kind: str, **extra: object) -> Response:
    title_of(kind)  # any other kind is a 404 page
    cases = request.app.state.runtime.cases
    found = await cases.cases(FLOWS[kind], "pending", CaseFilters(), meta_of(user))
    return console_of(request).page(
        request,
        "cross_pending.html",
        kind=kind,
        kind_title=title_of(kind),
        title=f"{title_of(kind)}{'调档' if _pulls(user) else '核办'}",
        items=found["items"],
        grounds=GROUNDS,
        pge3_notice=PGE3_NOTICE,
        graduating_side=lambda case: graduating_side(kind, case),
        **extra,
    )


def _pulls(user: User) -> bool:
    """A school's registrar decides nothing here: its list holds the archive pulls (XPT-6)."""
    return SCHOOL_REGISTRAR.allows(user)


@router.post("/{kind}/{case_id}/decision")
async def decide(
    request: Request,
    user: User,
    kind: str,
    case_id: UUID,
    approve: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form(max_length=500)] = "",
    ground: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    approved = approve == "1"
    kept = {"failed_id": str(case_id), "opinion": opinion, "ground": ground}
    title_of(kind)
    try:
        await request.app.state.runtime.cases.decide(
            case_id,
            approved,
            opinion.strip() or None,
            None if approved else ground or None,
            meta_of(user),
        )
    except Exception as refused:  # noqa: BLE001 - next to its field in the dialog
        return await pending(request, user, kind, errors=field_errors(refused), **kept)
    return await pending(request, user, kind, done="核办通过" if approved else "核办不通过")
