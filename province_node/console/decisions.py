"""跨省转学 / 毕业后跨省就学 核办 (XPT-3, PGE-3): the cases awaiting the caller's unit, and
the decision dialog (an opinion to refuse; on an enrollment's graduating side, a ground).
Each item's `action` says what the caller does: decide, or (the in-school's registrar)
pull the archive — a button posting to the detail page's pull (`transfers.py`).

Everything goes through `cross_client.client_for`; the API decides what is allowed (an
opinion is checked here too, only to keep the dialog open with the message at the field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from province_node.console.cross_client import client_for
from xueji.console.cases import title_of
from xueji.console.kit import ConsoleRoute, FeatureUnavailable, User, console_of, field_errors

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
    items = await client_for(request, user).pending(kind)
    return console_of(request).page(
        request,
        "cross_pending.html",
        kind=kind,
        kind_title=title_of(kind),
        title=f"{title_of(kind)}{'调档' if _school_registrar(user) else '核办'}",
        items=items,
        grounds=GROUNDS,
        pge3_notice=PGE3_NOTICE,
        graduating_side=lambda case: graduating_side(kind, case),
        **extra,
    )


def _school_registrar(user: User) -> bool:
    """A school's registrar decides nothing here: its list holds the archive pulls (XPT-6)."""
    return user.level == "school" and user.role == "registrar"


@router.post("/{kind}/{case_id}/decision")
async def decide(
    request: Request,
    user: User,
    kind: str,
    case_id: str,
    approve: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form(max_length=500)] = "",
    ground: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    approved = approve == "1"
    kept = {"failed_id": case_id, "opinion": opinion, "ground": ground}
    if not approved and not opinion.strip():
        errors = {"opinion": "核办不通过时须填写核办意见"}
        return await pending(request, user, kind, errors=errors, **kept)
    try:
        await client_for(request, user).decide(
            kind, case_id, approved, opinion.strip(), ground=None if approved else ground or None
        )
    except Exception as refused:  # noqa: BLE001 - next to its field in the dialog
        if isinstance(refused, FeatureUnavailable):
            raise
        return await pending(request, user, kind, errors=field_errors(refused), **kept)
    return await pending(request, user, kind, done="核办通过" if approved else "核办不通过")
