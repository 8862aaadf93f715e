"""控辍保学 pages (辍学登记 / 控辍保学管理 / 返校审核 / 辍学查询): DRP-1…DRP-5 [002 §12].

The pages call the use cases the JSON API calls (`runtime.dropouts`, `runtime.pending`) and
show the domain's refusal next to the field it names. 控辍保学管理 lists the cases in progress;
a case's page takes the measures (school and bureau registrars), 标记辍学 and 返校申请 (the
school's registrar); the bureau decides returns one by one or several at once (返校审核); the
query includes finished cases and exports the current query with a second account (SEC-4).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.errors import ContractError
from contracts.ids import parse_student_number
from projections import excel
from province_node.domain.dropout import MEASURE_FIELDS, CaseState, DropoutKind
from province_node.dropouts import DropoutForm, ReturnForm
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.access.policy import REGISTRAR, SCHOOL_REGISTRAR
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, form_errors, meta_of
from xueji.http import attachment

router = APIRouter(prefix="/dropouts", route_class=ConsoleRoute, include_in_schema=False)
KINDS = [(k.value, k.label) for k in DropoutKind]
STATES = [("", "全部"), ("open", "在办")] + [(s.value, s.label) for s in CaseState]
RECORD_FIELDS = ("student_number", "student_name", "kind", "date", "note")
RETURN_FIELDS = ("date", "class_code", "note")
QUERY_FIELDS = ("state", "name", "student_number", "grade", "class_code", "from", "to")
SECOND_ACCOUNT = (
    ("confirm_username", "请输入本单位另一账号"),
    ("confirm_password", "请输入该账号的密码"),
)


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(request, template, status=status, **context)


def _date(raw: str, field: str = "date") -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ContractError(field, "bad_date", "日期应为“年-月-日”") from None


# --- DRP-1 辍学登记 -----------------------------------------------------------------------------


async def _new(request: Request, status: int = 200, **context) -> Response:
    context = {"errors": {}, "values": {"kind": "suspected"}, "created": None} | context
    today = request.app.state.runtime.clock.today()
    return _page(request, "dropout_new.html", status, title="辍学登记", kinds=KINDS, today=today,
                 **context)  # fmt: skip


@router.get("/new")
async def record_form(request: Request, user: SchoolRegistrar) -> Response:
    return await _new(request)


@router.post("/new")
async def record(request: Request, user: SchoolRegistrar,
                 student_number: Annotated[str, Form(max_length=19)] = "",
                 student_name: Annotated[str, Form(max_length=60)] = "",
                 kind: Annotated[str, Form(max_length=20)] = "",
                 date: Annotated[str, Form(max_length=10)] = "",
                 note: Annotated[str, Form(max_length=500)] = "") -> Response:  # fmt: skip
    values = {"student_number": student_number, "student_name": student_name, "kind": kind,
              "date": date, "note": note}  # fmt: skip
    try:
        if not student_number.strip():
            raise ContractError("student_number", "missing_field", "请填写全国学籍号")
        number = str(parse_student_number(student_number.strip().upper()))
        form = DropoutForm(number, kind, _date(date), note, student_name.strip() or None)
        created = await request.app.state.runtime.dropouts.record(form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - next to its field, or on the form
        errors = form_errors(refused, RECORD_FIELDS)
        return await _new(request, 422, errors=errors, values=values)
    return await _new(request, created=created)


# --- 控辍保学管理 and a case's page (DRP-2…DRP-4) ----------------------------------------------


@router.get("")
async def in_progress(request: Request, user: User, policy: Policy) -> Response:
    """控辍保学管理: the cases in progress in the caller's jurisdiction."""
    found = await request.app.state.runtime.dropouts.search(
        {"state": "open"}, policy.school_filter(user), 1, 200
    )
    return _page(request, "dropouts.html", title="控辍保学管理", items=found["items"],
                 total=found["total"])  # fmt: skip


@router.get("/query")
async def query_page(request: Request, user: User, policy: Policy) -> Response:
    """辍学查询: in progress and finished, by state, name, number, grade, class, dates."""
    return await query(request, user, policy)


async def query(request: Request, user: User, policy: Policy, status: int = 200,
                **context) -> Response:  # fmt: skip
    params = request.query_params if request.method == "GET" else await request.form()
    values = {k: str(params.get(k, "")).strip()[:30] for k in QUERY_FIELDS}
    filters, errors = _filters(values)
    found = {"items": [], "total": 0}
    if not errors:
        found = await request.app.state.runtime.dropouts.search(
            filters, policy.school_filter(user), 1, 200
        )
    errors |= context.pop("errors", {})
    kept = {k: v for k, v in values.items() if v}
    return _page(request, "dropout_query.html", 422 if errors else status, title="辍学查询",
                 items=found["items"], total=found["total"], values=values, states=STATES,
                 errors=errors, hidden=kept, query=urlencode(kept), **context)  # fmt: skip


def _filters(values: dict) -> tuple[dict, dict]:
    filters = {"state": values["state"] or None, "name": values["name"] or None}
    filters |= {"student_number": values["student_number"].upper() or None}
    filters |= {"grade_name": values["grade"] or None, "class_code": values["class_code"] or None}
    errors = {}
    for key, name in (("from", "date_from"), ("to", "date_to")):
        try:
            day = _date(values[key], key)
        except ContractError as refused:
            errors[key] = refused.message
            day = None
        filters[name] = day and day.isoformat()
    if filters["state"] not in (None, *[k for k, _ in STATES]):
        errors["state"] = "未知的状态"
    return filters, errors


@router.post("/export")
async def export(request: Request, user: User, policy: Policy) -> Response:
    """SEC-4: a second account of the same unit confirms with its password, then export."""
    form = await request.form()
    runtime = request.app.state.runtime
    values = {k: str(form.get(k, ""))[:30].strip() for k in QUERY_FIELDS}
    filters, errors = _filters(values)
    account = {k: str(form.get(k, ""))[:200].strip() for k, _ in SECOND_ACCOUNT}
    errors |= {k: text for k, text in SECOND_ACCOUNT if not account[k]}
    if not errors:
        try:
            export = await runtime.access.confirm_personal_export(
                user, account["confirm_username"], account["confirm_password"], values,
                "控辍保学查询导出",
            )  # fmt: skip
            data = await runtime.dropouts.export(filters, policy.school_filter(user), export)
        except Exception as refused:  # noqa: BLE001 - shown in the dialog
            errors = field_errors(refused)
            if "password" in errors:
                errors["confirm_password"] = errors.pop("password")
            if "" in errors:
                errors["confirm_username"] = errors.pop("")
    if errors:
        return await query(request, user, policy, errors=errors, export_open=True)
    return attachment(data, "控辍保学查询导出.xlsx", excel.XLSX)


@router.get("/returns/pending")
async def returns_page(request: Request, user: User) -> Response:
    """返校审核: the returns awaiting the caller's unit and role; one or several decided."""
    return await returns_pending(request, user)


async def returns_pending(request: Request, user: User, **extra: object) -> Response:
    runtime = request.app.state.runtime
    items = await runtime.pending.items(meta_of(user), {"dropout_return"})
    details = [await runtime.dropouts.get_process(UUID(i["id"])) for i in items]
    return _page(request, "dropout_returns.html", 422 if extra.get("errors") else 200,
                 title="控辍保学返校审核", items=details, **extra)  # fmt: skip


@router.post("/returns/decision")
async def decide(request: Request, user: User) -> Response:
    """One return (its dialog) or the ticked ones (批量审核), all or none."""
    form = await request.form()
    one = request.query_params.get("one")  # a row's own dialog
    ids_raw = [one] if one else [str(i) for i in form.getlist("ids")][:500]
    approved = form.get("approve") == "1"
    opinion = str(form.get("opinion", ""))[:500].strip()
    kept = {"failed_id": ids_raw[0] if len(ids_raw) == 1 else "batch", "opinion": opinion}
    try:
        ids = [UUID(i) for i in ids_raw]
    except ValueError:  # a hand-edited form
        return await returns_pending(request, user, errors={"": "请选择要审核的返校申请"}, **kept)
    try:
        await request.app.state.runtime.dropouts.decide_many(
            ids, approved, opinion or None, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - next to its field in the dialog
        errors = form_errors(refused, ("opinion",))
        return await returns_pending(request, user, errors=errors, **kept)
    done = f"{len(ids)}条返校申请审核通过" if approved else f"{len(ids)}条返校申请审核不通过"
    return await returns_pending(request, user, done=done)


async def _case(request: Request, user: User, policy: Policy, case_id: UUID,
                status: int = 200, **context) -> Response:  # fmt: skip
    runtime = request.app.state.runtime
    load = functools.partial(runtime.dropouts.get, case_id)
    case = await policy.record_in_sight(user, load, "该控辍保学记录", "case_id")
    own_school = SCHOOL_REGISTRAR.allows(user) and policy.acts_for(user, case["school_code"])
    classes = []
    if own_school:
        school = await runtime.schools.school(case["school_code"])
        classes = sorted(school["classes"], key=lambda c: c["class_code"])
    context = {"errors": {}, "values": {}, "form": None} | context
    return _page(request, "dropout_detail.html", status, title=f"控辍保学：{case['student_name']}",
                 c=case, own_school=own_school, can_measure=REGISTRAR.allows(user),
                 classes=classes, measure_fields=MEASURE_FIELDS,
                 today=runtime.clock.today(), **context)  # fmt: skip


@router.get("/{case_id}")
async def case_page(request: Request, user: User, policy: Policy, case_id: UUID) -> Response:
    return await _case(request, user, policy, case_id)


async def _act(request: Request, user: User, policy: Policy, case_id: UUID, form_name: str,
               shown: tuple[str, ...], action, done: str) -> Response:  # fmt: skip
    posted = await request.form()
    values = {k: str(v)[:1000] for k, v in posted.items()}
    try:
        await action(values)
    except Exception as refused:  # noqa: BLE001 - next to its field, in the form it came from
        errors = form_errors(refused, shown)
        return await _case(request, user, policy, case_id, 422, errors=errors, values=values,
                           form=form_name)  # fmt: skip
    return await _case(request, user, policy, case_id, done=done)


@router.post("/{case_id}/confirm")
async def confirm(request: Request, user: SchoolRegistrar, policy: Policy,
                  case_id: UUID) -> Response:  # fmt: skip
    dropouts = request.app.state.runtime.dropouts

    async def action(v: dict) -> None:
        await dropouts.confirm(case_id, _date(v.get("date", "")), v.get("note"), meta_of(user))

    return await _act(request, user, policy, case_id, "confirm", ("date", "note"), action,
                      "已标记为辍学")  # fmt: skip


@router.post("/{case_id}/measures")
async def add_measure(request: Request, user: User, policy: Policy, case_id: UUID) -> Response:
    REGISTRAR.check(user)
    dropouts = request.app.state.runtime.dropouts

    async def action(v: dict) -> None:
        await _case_in_sight(request, user, policy, case_id)
        fields = {k: v.get(k, "") for k in MEASURE_FIELDS}
        await dropouts.add_measure(case_id, fields, meta_of(user))

    return await _act(request, user, policy, case_id, "measure", tuple(MEASURE_FIELDS), action,
                      "措施已保存")  # fmt: skip


@router.post("/{case_id}/measures/{n}")
async def edit_measure(request: Request, user: User, policy: Policy, case_id: UUID,
                       n: int) -> Response:  # fmt: skip
    REGISTRAR.check(user)
    dropouts = request.app.state.runtime.dropouts

    async def action(v: dict) -> None:
        await _case_in_sight(request, user, policy, case_id)
        fields = {k: v[k] for k in MEASURE_FIELDS if k in v}
        await dropouts.edit_measure(case_id, n, fields, meta_of(user))

    return await _act(request, user, policy, case_id, f"measure-{n}", tuple(MEASURE_FIELDS),
                      action, f"第 {n} 条措施已修改")  # fmt: skip


@router.post("/{case_id}/return")
async def apply_return(request: Request, user: SchoolRegistrar, policy: Policy,
                       case_id: UUID) -> Response:  # fmt: skip
    dropouts = request.app.state.runtime.dropouts

    async def action(v: dict) -> None:
        form = ReturnForm(_date(v.get("date", "")), v.get("class_code"), v.get("note"))
        await dropouts.apply_return(case_id, form, meta_of(user))

    return await _act(request, user, policy, case_id, "return", RETURN_FIELDS, action,
                      "返校申请已保存")  # fmt: skip


async def _case_in_sight(request: Request, user: User, policy: Policy, case_id: UUID) -> None:
    load = functools.partial(request.app.state.runtime.dropouts.get, case_id)
    await policy.record_in_sight(user, load, "该控辍保学记录", "case_id")
