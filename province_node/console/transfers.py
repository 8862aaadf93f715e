"""跨省转学 / 毕业后跨省就学 pages (XPT, PGE): apply, track, revoke, archive pull (核办:
`decisions.py`).

The pages call the use cases the JSON API calls (`runtime.cases`, `province_node/cases.py`)
and show the domain's refusal next to the field it names.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from contracts.cases import Flow
from province_node.case_application import CaseApplication
from province_node.console.national import look_up
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.console.cases import FLOWS, case_filters, timeline, title_of
from xueji.console.kit import ConsoleRoute, User, console_of, form_errors, meta_of, redirect

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

MAX_PROOF_BYTES = 2 * 2**20
#: The form's fields, and the domain's names for the one it names differently.
FORM_FIELDS = ("target_class_code", "reason", "proof")
RENAMED = {"class_code": "target_class_code"}


def _flow(kind: str) -> Flow:
    title_of(kind)  # any other kind is a 404 page
    return FLOWS[kind]


def _page(request: Request, kind: str, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(
        request, template, status=status, kind=kind, kind_title=title_of(kind), **context
    )


async def _classes(request: Request, user: User) -> list[dict]:
    runtime = request.app.state.runtime
    return await runtime.schools.classes(user.unit_code)


def _form(request: Request, kind: str, status: int = 200, **context) -> Response:
    context = {"found": None, "errors": {}, "values": {}, "name": "", "number": ""} | context
    return _page(request, kind, "cross_new.html", status, title=f"{title_of(kind)}申请", **context)


@router.get("/{kind}/new")
async def apply_form(
    request: Request, user: SchoolRegistrar, kind: str, name: str = "", number: str = ""
) -> Response:
    """XPT-2: look the student up nationally, then fill in the application."""
    found, errors = None, {}
    if name or number:
        found = await look_up(request, user, name, number, errors)
    classes = await _classes(request, user)
    return _form(
        request, kind, found=found, errors=errors, classes=classes, name=name, number=number
    )


@router.post("/{kind}/new")
async def apply(
    request: Request,
    user: SchoolRegistrar,
    kind: str,
    student_name: Annotated[str, Form(max_length=60)] = "",
    student_number: Annotated[str, Form(max_length=19)] = "",
    target_class_code: Annotated[str, Form(max_length=7)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    proof: UploadFile | None = None,
) -> Response:
    flow, classes = _flow(kind), await _classes(request, user)
    data = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    try:
        application = CaseApplication(  # `target_grade` omitted: the class's grade (XPT-9)
            student_name, student_number, target_class_code, reason, proof=data
        )
        case = await request.app.state.runtime.cases.initiate(flow, application, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - next to its field, or on the form
        found = {"name": student_name, "student_number": student_number}
        values = {"target_class_code": target_class_code, "reason": reason}
        errors = form_errors(refused, FORM_FIELDS, RENAMED)
        return _form(
            request,
            kind,
            422,
            found=found,
            errors=errors,
            values=values,
            classes=classes,
            name=student_name,
            number=student_number,
        )
    return _form(request, kind, created=case, classes=classes)


@router.get("/{kind}/query")
async def query(request: Request, user: User, kind: str, revoke: bool = False) -> Response:
    """XPT-5: the cases of the jurisdiction with their current step."""
    title = f"{title_of(kind)}{'撤销' if revoke else '查询'}"
    filters = {k: request.query_params.get(k, "") for k in ("name", "student_number", "status")}
    found = await request.app.state.runtime.cases.cases(
        _flow(kind), "search", case_filters(filters), meta_of(user)
    )
    return _page(
        request,
        kind,
        "cross_query.html",
        title=title,
        items=found["items"],
        filters=filters,
        revoke=revoke,
    )


@router.get("/{kind}/revoke")
async def revoke_list(request: Request, user: User, kind: str) -> Response:
    return await query(request, user, kind, revoke=True)


#: What an action did, said on the detail page it redirects to (`?done=`).
DONE = {"revoked": "已撤销", "pulled": "已调档"}


@router.get("/{kind}/{case_id}")
async def detail(
    request: Request, user: User, policy: Policy, kind: str, case_id: UUID, done: str = ""
) -> Response:
    case = await request.app.state.runtime.cases.case(_flow(kind), case_id, meta_of(user))
    # XPT-4, XPT-6: the initiating school's registrar revokes or pulls (the hub decides)
    initiator = case.get("to_school_code", user.unit_code)
    return _page(
        request,
        kind,
        "cross_detail.html",
        title=f"{title_of(kind)}详情",
        case=case,
        timeline=timeline(case),
        done=DONE.get(done, ""),
        can_act=SCHOOL_REGISTRAR.allows(user) and policy.acts_for(user, initiator),
    )


#: The page's actions: (the use case's action, what the detail page then says).
ACTIONS = {"revoke": ("revoke", "revoked"), "archive-pull": ("archive_pull", "pulled")}


@router.post("/{kind}/{case_id}/{action}")
async def act(
    request: Request, user: SchoolRegistrar, kind: str, case_id: UUID, action: str
) -> Response:
    """XPT-4 revoke, XPT-6 archive pull; then the detail page (reloading it repeats nothing)."""
    title_of(kind)
    if action not in ACTIONS:
        raise HTTPException(404)
    command, done = ACTIONS[action]
    await request.app.state.runtime.cases.act(case_id, command, meta_of(user))
    return redirect(request, f"/{kind}/{case_id}?done={done}")
