"""学籍异动 (异动申请 / 异动审核 / 异动查询) and 省内转学 (转学申请 / 转学核办 / 转学查询 /
转学撤销) pages: one set of pages for the one application resource (CHG-1…CHG-5).

The pages call the use cases the JSON API calls (`runtime.applications`, `runtime.pending`)
and show the domain's refusal next to the field it names.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor

from contracts.errors import ContractError
from province_node.applications import ApplicationForm, sides
from province_node.domain.key_data_change import CONTROLLABLE
from province_node.domain.status_change import ChangeType
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.console.kit import (
    ConsoleRoute,
    User,
    console_of,
    field_errors,
    form_errors,
    meta_of,
    redirect,
)


class _KindConvertor(Convertor):
    """`{kind:application_kind}` matches only these menus' paths, so `/{kind}/…` pages of
    the cross-province flows keep theirs."""

    regex = "status-changes|in-province-transfers|key-data-changes"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("application_kind", _KindConvertor())
router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

MAX_PROOF_BYTES = 2 * 2**20
FORM_FIELDS = ("type", "date", "reason", "note", "target_class_code", "proof")
LOOKUP_FIELDS = ("student_number", "student_name")
#: The key data change form's inputs, and the domain's names for them (`changes.name` …).
KDC_FIELDS = tuple(f"new_{f}" for f in CONTROLLABLE)
KDC_RENAMED = {f"changes.{f}": f"new_{f}" for f in CONTROLLABLE} | {"changes": ""}


@dataclass(frozen=True)
class Kind:
    """One menu of the two: its path, its words and the pending list's business."""

    path: str
    title: str
    business: str
    decide_word: str  # 审核 / 核办

    @property
    def transfer(self) -> bool:
        return self.business == "in_province_transfer"

    @property
    def key_data(self) -> bool:
        return self.business == "key_data_change"

    @property
    def types(self) -> list[str]:
        """The application types its query lists."""
        if self.transfer:
            return ["transfer"]
        return ["key_data_change"] if self.key_data else [t for t, _ in CHANGE_TYPES]


KINDS = {
    "status-changes": Kind("status-changes", "学籍异动", "status_change", "审核"),
    "in-province-transfers": Kind(
        "in-province-transfers", "省内转学", "in_province_transfer", "核办"
    ),
    "key-data-changes": Kind("key-data-changes", "关键数据变更", "key_data_change", "审核"),
}
#: 异动申请's types, in the seed's order (a transfer has its own menu).
CHANGE_TYPES = [(t.value, t.label) for t in ChangeType if t is not ChangeType.TRANSFER]
STATUS_OPTIONS = [("", "全部"), ("in_progress", "审核中"), ("approved", "已生效")]
STATUS_OPTIONS += [("rejected", "已驳回"), ("revoked", "已撤销")]


def _kind(name: str) -> Kind:
    if name not in KINDS:
        raise HTTPException(404)
    return KINDS[name]


def _page(request: Request, kind: Kind, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(request, template, status=status, kind=kind, **context)


async def _classes(request: Request, school: str) -> list[dict]:
    runtime = request.app.state.runtime
    return await runtime.schools.classes(school)


async def _form(request: Request, user: User, kind: Kind, status: int = 200, **context) -> Response:
    context = {"found": None, "errors": {}, "values": {}, "created": None} | context
    runtime = request.app.state.runtime
    classes = await _classes(request, user.unit_code)
    if kind.key_data:  # KDC-1: the fields in force for this school
        fields = await runtime.configuration.controlled_fields(user.unit_code)
        context["controlled"] = list(fields["labels"].items())
    return _page(request, kind, "change_new.html", status, title=f"{kind.title}申请",
                 classes=classes, types=CHANGE_TYPES,
                 today=request.app.state.runtime.clock.today(), **context)  # fmt: skip


@router.get("/{kind:application_kind}/new")
async def apply_form(
    request: Request, user: SchoolRegistrar, kind: str, number: str = "", name: str = ""
) -> Response:
    """Step 1: find the student by number and name; step 2: the application."""
    chosen, found, errors = _kind(kind), None, {}
    if number:
        try:
            found = await request.app.state.runtime.applications.look_up(
                chosen.transfer, number.strip().upper(), name.strip(), user.unit_code
            )
        except Exception as refused:  # noqa: BLE001 - next to its field
            errors = form_errors(refused, LOOKUP_FIELDS, {"id": "student_number"})
    values = {"student_number": number, "student_name": name}
    return await _form(request, user, chosen, found=found, errors=errors, values=values)


@router.post("/{kind:application_kind}/new")
async def apply(
    request: Request,
    user: SchoolRegistrar,
    kind: str,
    student_number: Annotated[str, Form(max_length=19)] = "",
    student_name: Annotated[str, Form(max_length=60)] = "",
    type: Annotated[str, Form(max_length=30)] = "",
    date: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    target_class_code: Annotated[str, Form(max_length=7)] = "",
    proof: UploadFile | None = None,
) -> Response:
    chosen = _kind(kind)
    data = await proof.read(MAX_PROOF_BYTES + 1) if proof and proof.filename else None
    posted = await request.form()
    changes = {f: str(v) for f in CONTROLLABLE if (v := posted.get(f"new_{f}"))}
    values = {"student_number": student_number, "student_name": student_name, "type": type}
    values |= {f"new_{f}": v for f, v in changes.items()}
    values |= {"date": date, "reason": reason, "note": note}
    values |= {"target_class_code": target_class_code}
    applications = request.app.state.runtime.applications
    try:
        form = ApplicationForm(
            type="key_data_change" if chosen.key_data else "transfer" if chosen.transfer else type,
            student_number=student_number.strip().upper(),
            student_name=student_name.strip() or None,
            date=None if chosen.key_data else _date(date),
            reason=reason.strip(),
            note=note.strip() or None,
            target_class_code=target_class_code or None,
            proof=data,
            changes=changes if chosen.key_data else None,
        )
        created = await applications.apply(form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - next to its field, or on the form
        found = await _found_again(applications, chosen, student_number, student_name, user)
        errors = form_errors(refused, FORM_FIELDS + KDC_FIELDS, KDC_RENAMED)
        return await _form(request, user, chosen, 422, found=found, errors=errors, values=values)
    return await _form(request, user, chosen, created=created)


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ContractError("date", "bad_date", "请填写异动日期（年-月-日）") from None


async def _found_again(applications, kind: Kind, number: str, name: str, user: User):
    try:
        return await applications.look_up(kind.transfer, number, name, user.unit_code)
    except Exception:  # noqa: BLE001 - the form then shows the lookup again
        return None


@router.get("/{kind:application_kind}/pending")
async def pending_list(request: Request, user: User, kind: str) -> Response:
    """异动审核 / 转学核办: what awaits the caller's unit and role, with the decision dialog.
    No batch decisions for transfers [004 Q78]: one dialog per application."""
    return await _pending(request, user, _kind(kind))


async def _pending(request: Request, user: User, kind: Kind, **extra: object) -> Response:
    runtime = request.app.state.runtime
    items = await runtime.pending.items(meta_of(user), {kind.business})
    details = [await runtime.applications.get_process(UUID(i["id"]), events=False) for i in items]
    title = f"{kind.title}{kind.decide_word}"
    return _page(request, kind, "change_pending.html", title=title, items=details, **extra)


@router.post("/{kind:application_kind}/{application_id}/decision")
async def decide(
    request: Request,
    user: User,
    kind: str,
    application_id: UUID,
    approve: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    chosen, approved = _kind(kind), approve == "1"
    kept = {"failed_id": str(application_id), "opinion": opinion}
    try:
        await request.app.state.runtime.applications.decide(
            application_id, approved, opinion.strip() or None, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - next to its field in the dialog
        return await _pending(request, user, chosen, errors=field_errors(refused), **kept)
    word = chosen.decide_word
    done = f"{word}通过" if approved else f"{word}不通过，业务已结束"
    return await _pending(request, user, chosen, done=done)


@router.get("/{kind:application_kind}/query")
async def query(request: Request, user: User, policy: Policy, kind: str,
                revoke: bool = False) -> Response:  # fmt: skip
    """异动查询 / 转学查询 (转学撤销: the school's own transfers in progress)."""
    chosen = _kind(kind)
    params = request.query_params
    filters = {k: params.get(k, "") for k in ("type", "status", "name", "student_number")}
    filters |= {k: params.get(k, "") for k in ("date_from", "date_to")}
    types = (
        [filters["type"]] if filters["type"] and filters["type"] in chosen.types else chosen.types
    )
    asked: dict = {"types": types}
    asked |= {k: filters[k] or None for k in ("status", "name", "student_number")}
    asked |= {k: filters[k] or None for k in ("date_from", "date_to")}
    if revoke:
        asked |= {"status": "in_progress", "school_code": user.unit_code}
    found = await request.app.state.runtime.applications.search(
        asked, policy.school_filter(user), 1, 200
    )
    title = f"{chosen.title}{'撤销' if revoke else '查询'}"
    return _page(request, chosen, "change_query.html", title=title, items=found["items"],
                 total=found["total"], filters=filters, types=CHANGE_TYPES,
                 statuses=STATUS_OPTIONS, revoke=revoke)  # fmt: skip


@router.get("/{kind:application_kind}/revoke")
async def revoke_list(request: Request, user: User, policy: Policy, kind: str) -> Response:
    return await query(request, user, policy, kind, revoke=True)


DONE = {"revoked": "已撤销", "escalated": "已强制干预，提交省级审核", "resubmitted": "已重新提交"}


@router.get("/{kind:application_kind}/{application_id}")
async def detail(request: Request, user: User, policy: Policy, kind: str, application_id: UUID,
                 done: str = "", error: str = "", status: int = 200) -> Response:  # fmt: skip
    chosen, applications = _kind(kind), request.app.state.runtime.applications
    load = functools.partial(applications.get_process, application_id)
    application = await policy.record_in_sight(user, load, "该异动申请", "application_id",
                                               units=sides)  # fmt: skip
    mine = SCHOOL_REGISTRAR.allows(user) and policy.acts_for(user, application["school_code"])
    return _page(request, chosen, "change_detail.html", title=f"{chosen.title}详情",
                 application=application, due=await applications.due(application),
                 done=DONE.get(done, ""), error=error, can_act=mine, status=status)  # fmt: skip


ACTIONS = {"revoke": "revoked", "escalate": "escalated", "resubmit": "resubmitted"}


@router.post("/{kind:application_kind}/{application_id}/{action}")
async def act(request: Request, user: SchoolRegistrar, policy: Policy, kind: str,
              application_id: UUID, action: str) -> Response:  # fmt: skip
    """撤销 or 强制干预 (CHG-5), then the detail page (reloading it repeats nothing)."""
    _kind(kind)
    if action not in ACTIONS:
        raise HTTPException(404)
    applications = request.app.state.runtime.applications
    try:
        await getattr(applications, action)(application_id, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - said on the detail page
        message = field_errors(refused)
        return await detail(request, user, policy, kind, application_id,
                            error=next(iter(message.values())), status=409)  # fmt: skip
    return redirect(request, f"/{kind:application_kind}/{application_id}?done={ACTIONS[action]}")
